"""A soak of `stridelink watch`: minutes of files arriving while other importers, plans, exports and log entries
run against the same library; at the end every file is accounted for.

Part of the long-running suite, not CI:

    STRIDELINK_SOAK=1 python -m pytest tests/test_soak.py -s      # three minutes
    python -m tests.test_soak --minutes 5                           # the same, as a script, with the figures

Files arrive in every way a sync folder sees them: written at once, written slowly in pieces, written elsewhere
and renamed into place, gzipped, inside zip archives, copies of files already there, damaged files, a UTF-16 GPX,
and files removed again before they were complete. Meanwhile `stridelink import` runs on a second folder that
shares files with the watched one, and `plan`, `export` and `log` run in a loop. The watcher is stopped with
SIGINT. Then each file written must have a final line from the watcher (imported, duplicate, skipped or rejected;
``gone`` for the removed ones), every valid file must be in the library once, and the library must be intact.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FINAL = {"imported", "duplicate", "skipped", "rejected"}


@dataclass
class Ledger:
    """What was written, and what must come of it."""

    expected: dict[str, set[str]] = field(default_factory=dict)  # path shown by the watcher -> allowed statuses
    valid_hashes: set[str] = field(default_factory=set)  # activity bytes that must end in the library
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, path: Path | str, statuses: set[str], sha: str | None = None) -> None:
        with self.lock:
            self.expected[str(path)] = statuses
            if sha:
                self.valid_hashes.add(sha)


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "STRIDELINK_HOME": str(home), "STRIDELINK_LOAD_PLUGINS": "", "PYTHONPATH": str(ROOT)}


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stridelink", *args], env=_env(home), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def _activity(i: int) -> tuple[str, bytes]:
    from stridelink.demo.simulator import KINDS, make_run, to_fit, to_gpx

    kind = KINDS[i % len(KINDS)]
    start = datetime(2025, 3, 3, 6, 30, tzinfo=UTC) + timedelta(hours=13 * i)
    run = make_run(kind, start, seed=1000 + i, duration_s=120 + 7 * (i % 9))
    if i % 4 == 3 and kind != "treadmill":
        return "gpx", to_gpx(run)
    return "fit", to_fit(run)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_files(inbox: Path, shared: Path, ledger: Ledger, stop: threading.Event, rng: random.Random) -> int:
    """Drop files into ``inbox`` in every manner until ``stop``; returns how many were written."""
    i = 0
    earlier: list[tuple[str, bytes]] = []
    while not stop.is_set():
        i += 1
        fmt, data = _activity(i)
        name = f"a{i:05d}.{fmt}"
        way = rng.choice(["plain", "plain", "slow", "rename", "gzip", "zip", "copy", "damaged", "utf16", "gone",
                          "shared"])  # fmt: skip
        sha = _sha(data)
        if way == "plain":
            (inbox / name).write_bytes(data)
            ledger.expect(inbox / name, {"imported", "duplicate"}, sha)
        elif way == "shared":  # also given to the other importer: whoever is first imports, the other duplicates
            (shared / name).write_bytes(data)
            (inbox / name).write_bytes(data)
            ledger.expect(inbox / name, {"imported", "duplicate"}, sha)
        elif way == "slow":
            target = inbox / name
            with target.open("wb") as fh:
                step = len(data) // 4 + 1
                for start in range(0, len(data), step):
                    fh.write(data[start : start + step])
                    fh.flush()
                    time.sleep(rng.uniform(0.1, 0.6))
            ledger.expect(target, {"imported", "duplicate"}, sha)
        elif way == "rename":
            hidden = inbox / f".{name}.part"  # not an activity name while it is written
            hidden.write_bytes(data)
            os.replace(hidden, inbox / name)
            ledger.expect(inbox / name, {"imported", "duplicate"}, sha)
        elif way == "gzip":
            (inbox / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
            ledger.expect(inbox / f"{name}.gz", {"imported", "duplicate"}, sha)
        elif way == "zip":
            archive = inbox / f"z{i:05d}.zip"
            other_fmt, other = _activity(i + 100_000)
            second = f"activities/second.{other_fmt}.gz"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"activities/{name}", data)
                zf.writestr(second, gzip.compress(other, mtime=0))
            ledger.expect(f"{archive}!activities/{name}", {"imported", "duplicate"}, sha)
            ledger.expect(f"{archive}!{second}", {"imported", "duplicate"}, _sha(other))
        elif way == "copy" and earlier:
            copy_fmt, copy = rng.choice(earlier)
            (inbox / f"copy{i:05d}.{copy_fmt}").write_bytes(copy)
            ledger.expect(inbox / f"copy{i:05d}.{copy_fmt}", {"duplicate", "imported"})
            continue
        elif way == "damaged":
            broken = bytearray(data)
            broken[len(broken) // 2 : len(broken) // 2 + 64] = b"\xff" * 64
            (inbox / name).write_bytes(bytes(broken))
            ledger.expect(inbox / name, {"rejected", "imported"})  # GPX may survive the damage
        elif way == "utf16" and fmt == "gpx":
            text = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
            encoded = text.encode("utf-16")
            (inbox / name).write_bytes(encoded)
            ledger.expect(inbox / name, {"imported", "duplicate"}, _sha(encoded))
        elif way == "gone":
            target = inbox / name
            target.write_bytes(data[: len(data) // 3])
            time.sleep(rng.uniform(0.0, 0.3))
            target.unlink()
            ledger.expect(target, {"gone", "rejected"})  # seen half-written and removed, or never seen at all
            with ledger.lock:
                ledger.expected[str(target)].add("unseen")
        else:
            (inbox / name).write_bytes(data)
            ledger.expect(inbox / name, {"imported", "duplicate"}, sha)
        earlier.append((fmt, data))
        time.sleep(rng.uniform(0.0, 0.4))
    return i


def busy_work(home: Path, shared: Path, stop: threading.Event, counts: dict[str, int]) -> None:
    """Other commands on the same library: imports of the shared folder, plans, exports and log entries."""
    calendar = home.parent / "ankle.ics"
    step = 0
    while not stop.is_set():
        step += 1
        for args in (["import", str(shared), "--json"], ["plan", "--json"], ["export", "ics", "-o", str(calendar)],
                     ["log", "session", "20"] if step % 2 else ["log", "soreness", "2"]):  # fmt: skip
            if stop.is_set():
                break
            if args[0] == "import" and not any(shared.iterdir()):
                continue
            done = _cli(home, *args)
            assert "Traceback" not in done.stderr, (args, done.stderr)
            counts[args[0]] = counts.get(args[0], 0) + 1


def soak(base: Path, minutes: float, seed: int = 7) -> dict[str, object]:
    home, inbox, shared = base / "home", base / "inbox", base / "shared"
    for folder in (inbox, shared):
        folder.mkdir(parents=True)
    home.mkdir()
    (home / "settings.toml").write_text(f'[[export]]\nformat = "ics"\npath = "{base / "auto.ics"}"\n')
    watcher = subprocess.Popen([sys.executable, "-m", "stridelink", "watch", str(inbox), "--json", "--settle", "1"],
                               env=_env(home), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # fmt: skip
    lines: list[dict] = []
    reader = threading.Thread(target=lambda: lines.extend(json.loads(line) for line in watcher.stdout))  # type: ignore[union-attr]
    reader.start()
    time.sleep(3)
    ledger, stop, counts = Ledger(), threading.Event(), {}
    rng = random.Random(seed)
    written: list[int] = []
    started = time.monotonic()
    writer = threading.Thread(target=lambda: written.append(write_files(inbox, shared, ledger, stop, rng)))
    other = threading.Thread(target=busy_work, args=(home, shared, stop, counts))
    writer.start()
    other.start()
    time.sleep(minutes * 60)
    stop.set()
    writer.join()
    other.join()
    expected = dict(ledger.expected)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # let the watcher catch up with the last files
        final = {row["path"] for row in list(lines) if row["status"] in FINAL}
        if all(path in final or "unseen" in statuses for path, statuses in expected.items()):
            break
        time.sleep(1)
    os.killpg(watcher.pid, signal.SIGINT)
    _, err = watcher.communicate(timeout=120)
    reader.join()
    elapsed = time.monotonic() - started

    assert "Traceback" not in err, err
    last: dict[str, str] = {}
    for row in lines:
        if row["status"] != "waiting" or row["path"] not in last:
            last[row["path"]] = row["status"]
    unaccounted = {path: (statuses, last.get(path)) for path, statuses in expected.items()
                   if last.get(path, "unseen") not in statuses}  # fmt: skip
    assert not unaccounted, unaccounted

    from stridelink.store.integrity import check_library
    from stridelink.store.library import Library

    with Library.open(home) as library:
        stored = set(library.file_hashes())
        problems = [p for p in check_library(library, min_age_s=0) if not p.fixable]
    missing = ledger.valid_hashes - stored
    assert not missing, f"{len(missing)} valid files never reached the library"
    assert not problems, problems
    statuses: dict[str, int] = {}
    for status in last.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {"seconds": round(elapsed), "files_written": len(expected), "watch_lines": len(lines),
            "final_statuses": statuses, "library_files": len(stored), "other_commands": counts}  # fmt: skip


@pytest.mark.skipif(not os.environ.get("STRIDELINK_SOAK"), reason="the soak runs in the long suite: STRIDELINK_SOAK=1")
def test_watch_soak(tmp_path: Path) -> None:
    figures = soak(tmp_path, float(os.environ.get("STRIDELINK_SOAK_MINUTES", "3")))
    print(json.dumps(figures))


if __name__ == "__main__":
    import tempfile

    parser = argparse.ArgumentParser(description="soak `stridelink watch` and print the figures")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    print(json.dumps(soak(Path(tempfile.mkdtemp(prefix="stridelink-soak-")), options.minutes, options.seed)))
