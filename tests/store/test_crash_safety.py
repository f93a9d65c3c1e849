"""An import killed at any moment loses nothing and leaves nothing half-done.

``stridelink import --json`` runs as a subprocess on a folder of distinct activity files and is killed with
SIGKILL at seeded random moments; after every kill the library must be intact (only fixable leftovers), and a
final import must finish the job: each file imported exactly once over all the rounds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from stridelink.store.integrity import check_library, repair
from stridelink.store.library import Library
from tests.helpers.fuzz import LONG
from tests.helpers.imports import assert_intact, make_watch_folder, start_import

pytestmark = pytest.mark.slow  # imports in subprocesses, killed with SIGKILL

ROUNDS = 25 if LONG else 5
FILES = 40


def kill(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def stored_hashes(home: Path) -> set[str]:
    with Library.open(home) as lib:
        return set(lib.file_hashes())


@pytest.fixture(scope="module")
def watch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("crash") / "watch"
    return folder, make_watch_folder(folder, FILES)


def test_killed_imports_lose_nothing_and_finish_on_the_next_run(watch, library_home: Path) -> None:
    folder, made = watch
    rng = random.Random(2024)
    kills_mid_import = 0
    for _round in range(ROUNDS):
        process = start_import(library_home, folder)
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0.0, 2.0))  # anywhere, start-up and migrations included
        else:
            wanted = rng.randrange(1, FILES)  # after some results, at a random moment within the next file
            for _ in range(wanted):
                if not process.stdout.readline():
                    break
            time.sleep(rng.uniform(0.0, 0.01))  # files are read a few ms each, in batches, then re-planned
        kills_mid_import += process.poll() is None
        kill(process)
        assert_intact(library_home)
    assert kills_mid_import >= ROUNDS // 2  # the kills landed while importing, not after it

    before = stored_hashes(library_home)
    assert before <= set(made.values())
    process = start_import(library_home, folder)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    rows = {Path(row["path"]).name: row for row in map(json.loads, out.splitlines())}
    assert set(rows) == set(made)
    for name, sha in made.items():
        expected = "duplicate" if sha in before else "imported"
        assert rows[name]["status"] == expected, (name, rows[name])
        assert rows[name]["run_id"] == sha[:12]
    with Library.open(library_home) as lib:
        assert sorted(run.sha256 for run in lib.runs()) == sorted(made.values())
        problems = check_library(lib, min_age_s=0)
        assert all(p.fixable for p in problems)
        repair(lib, problems)
        assert check_library(lib, min_age_s=0) == []
