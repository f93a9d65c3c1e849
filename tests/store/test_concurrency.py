"""Two importers on one library at once: every run stored exactly once, right exit codes, no lock errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stridelink.store.integrity import check_library
from stridelink.store.library import Library
from tests.helpers.fuzz import LONG
from tests.helpers.imports import make_watch_folder, start_import

pytestmark = pytest.mark.slow  # two importers in subprocesses at once

ROUNDS = 10 if LONG else 2


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, str]]:
    """Three folders of distinct files: a, b, c."""
    root = tmp_path_factory.mktemp("concurrent")
    made: dict[str, str] = {}
    for i, name in enumerate("abc"):
        for file_name, sha in make_watch_folder(root / name, 12, first_seed=100 + 12 * i).items():
            made[f"{name}/{file_name}"] = sha
    return root / "a", root / "b", root / "c", made


def _run_both(home: Path, first: list[Path], second: list[Path], workers: int | None) -> list[list[dict]]:
    processes = [start_import(home, *first, workers=workers), start_import(home, *second, workers=workers)]
    outputs = [p.communicate(timeout=600) for p in processes]
    rows = []
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err, err
        rows.append([json.loads(line) for line in out.splitlines()])
    return rows


def _key(row: dict) -> str:
    path = Path(row["path"])
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("workers", [1, None])
def test_the_same_folder_twice_at_once(folders, library_home: Path, round_: int, workers: int | None) -> None:
    a, _b, _c, made = folders
    first, second = _run_both(library_home, [a], [a], workers)
    assert (
        sorted(map(_key, first)) == sorted(map(_key, second)) == sorted(k for k in made if k.startswith("a/"))
    )
    for one, other in zip(sorted(first, key=_key), sorted(second, key=_key)):
        assert sorted((one["status"], other["status"])) in (
            ["duplicate", "imported"],
            ["duplicate", "duplicate"],
        )
        assert one["run_id"] == other["run_id"] == made[_key(one)][:12]
    imported = [row for row in first + second if row["status"] == "imported"]
    assert len(imported) == 12  # each file by exactly one of the two
    with Library.open(library_home) as lib:
        assert sorted(run.sha256 for run in lib.runs()) == sorted(
            v for k, v in made.items() if k.startswith("a/")
        )
        assert check_library(lib, min_age_s=0) == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_overlapping_inputs_at_once(folders, library_home: Path, round_: int) -> None:
    a, b, c, made = folders
    first, second = _run_both(library_home, [a, b], [b, c], None)
    statuses: dict[str, list[str]] = {}
    for row in first + second:
        statuses.setdefault(_key(row), []).append(row["status"])
        assert row["run_id"] == made[_key(row)][:12]
    assert set(statuses) == set(made)
    for key, seen in statuses.items():
        if key.startswith("b/"):
            assert sorted(seen) == ["duplicate", "imported"], (key, seen)
        else:
            assert seen == ["imported"], (key, seen)
    with Library.open(library_home) as lib:
        assert sorted(run.sha256 for run in lib.runs()) == sorted(made.values())
        assert check_library(lib, min_age_s=0) == []
