from __future__ import annotations

import json
import os
import struct
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from stridelink.watch import find_device_folders, watch_folders
from tests.conftest import CORPUS, SAMPLE_RUNS, needs_corpus


def _write_slowly(target: Path, data: bytes, pieces: int = 4, pause_s: float = 0.4) -> None:
    step = len(data) // pieces + 1
    with target.open("wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start : start + step])
            fh.flush()
            time.sleep(pause_s)


@pytest.mark.slow  # a watching thread and files written over seconds
def test_files_written_in_pieces_are_imported_once_and_exports_refreshed(tmp_path, library_home) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    calendar = tmp_path / "synced" / "ankle.ics"
    calendar.parent.mkdir()  # automatic exports write into a folder that exists; they never create one
    library_home.mkdir(parents=True)
    (library_home / "settings.toml").write_text(f'[[export]]\nformat = "ics"\npath = "{calendar}"\n')
    batches: list[tuple[list, list]] = []
    stop = threading.Event()

    def run() -> None:
        with Library.open() as library:
            watch_folders(library, [inbox], settle_s=0.8, poll_s=0.1, stop=stop,
                          on_batch=lambda batch: batches.append((batch.results, batch.changed_weeks)))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        time.sleep(0.5)
        _write_slowly(inbox / "easy_road.fit", (SAMPLE_RUNS / "easy_road.fit").read_bytes())
        _write_slowly(inbox / "TRAIL.FIT", (SAMPLE_RUNS / "trail.fit").read_bytes())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(len(r) for r, _ in batches) < 2:
            time.sleep(0.1)
        time.sleep(1.5)  # any late duplicate import would show up now
    finally:
        stop.set()
        thread.join(10)
    results = [r for batch, _ in batches for r in batch]
    assert sorted((Path(r.path).name, r.status) for r in results) == [("TRAIL.FIT", "imported"),
                                                                       ("easy_road.fit", "imported")]
    with Library.open() as library:
        assert len(library.runs()) == 2
    assert any(changed for _, changed in batches)  # the plan was refreshed...
    assert calendar.read_text().startswith("BEGIN:VCALENDAR")  # ...and the configured export written


class _Watcher:
    """``watch_folders`` on a thread, collecting every line it reports."""

    def __init__(self, folder: Path, settle_s: float = 0.6) -> None:
        self.events: list = []
        self.errors: list[str] = []
        self.stop = threading.Event()

        def run() -> None:
            with Library.open() as library:
                watch_folders(library, [folder], settle_s=settle_s, poll_s=0.1, stop=self.stop,
                              on_batch=lambda batch: self.events.extend(batch.results),
                              on_pending=self.events.extend, on_error=self.errors.append)  # fmt: skip

        self.thread = threading.Thread(target=run, daemon=True)

    def __enter__(self) -> _Watcher:
        self.thread.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(20)
        assert not self.thread.is_alive(), "the watcher did not stop"

    def wait_for(self, names: set[str], timeout_s: float = 30) -> dict[str, object]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            final = {Path(e.path).name: e for e in self.events if e.status not in ("waiting",)}
            if names <= set(final):
                return final
            time.sleep(0.1)
        raise AssertionError(f"never reported: {sorted(names - set(final))}; events: {self.events}")


@needs_corpus
def test_files_whose_content_is_unusual_are_imported_or_reported(tmp_path) -> None:
    """A byte search used to decide "complete": these waited forever, unreported."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    gpx = (CORPUS / "togeojson" / "Friday-Evening-Run.gpx").read_text(encoding="utf-8")
    fit = (SAMPLE_RUNS / "easy_road.fit").read_bytes()
    with _Watcher(inbox) as watcher:
        (inbox / "utf16.gpx").write_bytes(gpx.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
        (inbox / "trailing.gpx").write_bytes(
            (gpx.replace("Friday", "Saturday") + "\n<!-- exported by a sync app -->" + " " * 400).encode()
        )
        claimed = bytearray(fit)
        struct.pack_into("<I", claimed, 4, struct.unpack_from("<I", fit, 4)[0] + 4096)  # more than is there
        (inbox / "claims-more.fit").write_bytes(bytes(claimed))
        final = watcher.wait_for({"utf16.gpx", "trailing.gpx", "claims-more.fit"})
    assert final["utf16.gpx"].status == "imported"
    assert final["trailing.gpx"].status == "imported"
    assert final["claims-more.fit"].status == "rejected" and final["claims-more.fit"].error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_does_not_block_the_watcher(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "already-there.fit")
    with _Watcher(inbox) as watcher:
        os.mkfifo(inbox / "new.FIT")
        (inbox / "run.fit").write_bytes((SAMPLE_RUNS / "easy_road.fit").read_bytes())
        final = watcher.wait_for({"already-there.fit", "new.FIT", "run.fit"})
    assert final["run.fit"].status == "imported"
    for name in ("already-there.fit", "new.FIT"):
        assert final[name].status == "rejected" and "named pipe" in final[name].error


@pytest.mark.slow  # files that settle over seconds
def test_files_still_changing_or_removed_are_reported(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = (SAMPLE_RUNS / "easy_road.fit").read_bytes()
    with _Watcher(inbox, settle_s=0.8) as watcher:
        growing = inbox / "growing.fit"
        (inbox / "brief.fit").write_bytes(data[:100])
        time.sleep(0.2)
        (inbox / "brief.fit").unlink()
        with growing.open("wb") as fh:
            for start in range(0, 2000, 100):  # longer than the settle time, never finished
                fh.write(data[start : start + 100])
                fh.flush()
                time.sleep(0.15)
        final = watcher.wait_for({"brief.fit"})
    statuses = [(Path(e.path).name, e.status) for e in watcher.events]
    assert final["brief.fit"].status == "gone"
    assert ("growing.fit", "waiting") in statuses  # said while it was being written...
    assert statuses[-1] == ("growing.fit", "waiting")  # ...and again when the watch stopped
    assert "still being written" in watcher.events[-1].error


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this system")
def test_watch_follows_file_links_like_import(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = tmp_path / "elsewhere.fit"
    target.write_bytes((SAMPLE_RUNS / "easy_road.fit").read_bytes())
    with _Watcher(inbox) as watcher:
        (inbox / "link.fit").symlink_to(target)
        final = watcher.wait_for({"link.fit"})
    assert final["link.fit"].status == "imported"
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(inbox / "link.fit"), "--json"])
    assert json.loads(result.stdout)["status"] == "duplicate"


def test_mounted_watch_folders_are_found(tmp_path) -> None:
    (tmp_path / "GARMIN_VOL" / "GARMIN" / "Activity").mkdir(parents=True)
    (tmp_path / "USB" / "music").mkdir(parents=True)
    assert find_device_folders([tmp_path]) == [tmp_path / "GARMIN_VOL" / "GARMIN" / "Activity"]


def test_watch_once_imports_then_reports_duplicates(tmp_path) -> None:
    (tmp_path / "easy_road.fit").write_bytes((SAMPLE_RUNS / "easy_road.fit").read_bytes())
    runner = CliRunner()
    first = runner.invoke(cli, ["watch", str(tmp_path), "--once", "--json"])
    assert first.exit_code == 0, first.output
    assert [json.loads(line)["status"] for line in first.stdout.splitlines()] == ["imported"]
    second = runner.invoke(cli, ["watch", str(tmp_path), "--once", "--json"])
    assert [json.loads(line)["status"] for line in second.stdout.splitlines()] == ["duplicate"]
