"""Watch folders of synthetic files, and ``stridelink import`` in a subprocess: for crash and concurrency tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
