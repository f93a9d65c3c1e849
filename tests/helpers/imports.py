"""Watch folders of synthetic files, ``stridelink import`` in a subprocess, and the check that a library
survived: for the crash, interrupt and concurrency tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stridelink.store.integrity import check_library
from stridelink.store.library import Library
from tests.conftest import ROOT


def make_watch_folder(folder: Path, count: int, *, first_seed: int = 0) -> dict[str, str]:
    """``count`` distinct, valid activity files (synthetic FIT, every fifth one GPX); returns name -> SHA-256."""
    from stridelink.demo.simulator import KINDS, make_run, to_fit, to_gpx

    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for i in range(first_seed, first_seed + count):
        kind = KINDS[i % len(KINDS)]
        start = datetime(2025, 1, 6, 6, 30, tzinfo=UTC) + timedelta(days=i)
        run = make_run(kind, start, seed=i, duration_s=150 + 10 * (i % 7))
        as_gpx = i % 5 == 4 and kind != "treadmill"  # GPX needs positions
        name, data = (f"{i:03d}.gpx", to_gpx(run)) if as_gpx else (f"{i:03d}.fit", to_fit(run))
        (folder / name).write_bytes(data)
        made[name] = hashlib.sha256(data).hexdigest()
    assert len(set(made.values())) == count
    return made


def start_import(home: Path, *inputs: Path, workers: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "STRIDELINK_HOME": str(home), "STRIDELINK_LOAD_PLUGINS": "", "PYTHONPATH": str(ROOT)}
    extra = [] if workers is None else ["--workers", str(workers)]
    return subprocess.Popen(
        [sys.executable, "-m", "stridelink", "import", *map(str, inputs), "--json", *extra],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: the kill reaches the reading workers too
    )  # fmt: skip


def assert_intact(home: Path) -> None:
    """The database is whole, every stored file has its runs, samples and original; leftovers are fixable only."""
    with Library.open(home) as lib:
        problems = check_library(lib, min_age_s=0)
        assert all(p.fixable for p in problems), [p for p in problems if not p.fixable]
        assert {p.kind for p in problems} <= {"orphan_archive", "temp_file"}
        n_files = lib.db.execute("SELECT count(*) FROM files").fetchone()[0]
        assert len(lib.runs()) == n_files  # one run per file, never a file without its run
