from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from stridelink.watch import find_device_folders, looks_complete, watch_folders
from tests.conftest import SAMPLE_RUNS


def _write_slowly(target: Path, data: bytes, pieces: int = 4, pause_s: float = 0.4) -> None:
    step = len(data) // pieces + 1
    with target.open("wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start : start + step])
            fh.flush()
            time.sleep(pause_s)


def test_files_written_in_pieces_are_imported_once_and_exports_refreshed(tmp_path, library_home) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    calendar = tmp_path / "synced" / "ankle.ics"
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


def test_a_half_written_fit_is_not_complete(tmp_path) -> None:
    data = (SAMPLE_RUNS / "easy_road.fit").read_bytes()
    half = tmp_path / "half.fit"
    half.write_bytes(data[: len(data) // 2])
    assert not looks_complete(half)
    half.write_bytes(data)
    assert looks_complete(half)


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
