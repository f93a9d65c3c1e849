from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink import paths
from stridelink.cli.library import doctor
from stridelink.signals import compute
from stridelink.store.integrity import Problem, check_library, repair
from stridelink.importer import import_paths
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

FILES = [
    CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit",
    CORPUS / "python-fitparse" / "Activity.fit",
    CORPUS / "heartandsole" / "testdata.gpx",
]
HOUR_AGO = time.time() - 3600


@pytest.fixture
def library() -> Library:
    with Library.open() as lib:
        results = import_paths(lib, FILES, workers=1)
        assert [r.status for r in results] == ["imported"] * 3
        yield lib


def _archived(lib: Library, index: int) -> Path:
    name = lib.db.execute("SELECT archive_name FROM files ORDER BY archive_name").fetchall()[index][0]
    return paths.archive_path(lib.home) / name


def _kinds(problems: list[Problem]) -> list[str]:
    return sorted(p.kind for p in problems)


def _stale_file(path: Path, data: bytes) -> Path:
    """A file as a crash long ago would have left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


def test_a_healthy_library_passes(library: Library) -> None:
    assert check_library(library) == []
    result = CliRunner().invoke(doctor, [])
    assert result.exit_code == 0, result.output
    assert result.output == "no problems found\n"


def test_a_deleted_original_is_reported(library: Library) -> None:
    path = _archived(library, 0)
    path.unlink()
    [problem] = check_library(library)
    assert problem.kind == "archive_missing" and path.name in problem.detail and not problem.fixable


def test_a_truncated_original_is_reported(library: Library) -> None:
    path = _archived(library, 1)
    path.write_bytes(path.read_bytes()[:100])
    [problem] = check_library(library)
    assert problem.kind == "archive_size" and "100 bytes" in problem.detail and not problem.fixable


def test_an_original_with_changed_bytes_is_reported(library: Library) -> None:
    path = _archived(library, 2)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    [problem] = check_library(library)
    assert problem.kind == "archive_hash" and path.name in problem.detail


def test_corrupted_samples_are_reported(library: Library) -> None:
    run_id = library.runs()[0].run_id
    with library.transaction() as db:
        db.execute("UPDATE samples SET data = ? WHERE run_id = ?", (b"\x78\x9c not zlib at all", run_id))
    [problem] = check_library(library)
    assert problem.kind == "samples_unreadable" and run_id in problem.detail and not problem.fixable


def test_missing_samples_are_reported(library: Library) -> None:
    run_id = library.runs()[1].run_id
    with library.transaction() as db:
        db.execute("DELETE FROM samples WHERE run_id = ?", (run_id,))
    assert [(p.kind, run_id in p.detail) for p in check_library(library)] == [("samples_missing", True)]


def test_rows_pointing_nowhere_are_reported(library: Library) -> None:
    library.db.execute("PRAGMA foreign_keys = OFF")
    with library.transaction() as db:
        db.execute("DELETE FROM files WHERE sha256 = (SELECT sha256 FROM runs LIMIT 1)")
    kinds = _kinds(check_library(library, min_age_s=0))
    assert "foreign_key" in kinds and "orphan_archive" in kinds  # the original is left behind as well


def _as_orphan(lib: Library, source: Path) -> Path:
    """An original archived by an import killed before it committed the rows (named by its SHA-256)."""
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    return _stale_file(paths.archive_path(lib.home) / sha[:2] / f"{sha}{source.suffix.lower()}", data)


def test_fix_restores_orphaned_originals_removes_temp_files_and_keeps_the_rest(library: Library) -> None:
    archive = paths.archive_path(library.home)
    originals = {p: p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    orphan = _as_orphan(library, CORPUS / "python-fitparse" / "activity-small-fenix2-run.fit")
    junk = _stale_file(archive / "ab" / ("ab" + "0" * 62 + ".fit"), b"written, never committed")
    temp = _stale_file(archive / "cd" / ".incoming-x1y2z3", b"half a fi")
    fresh = archive / "ef" / ("ef" + "1" * 62 + ".gpx")  # an import running now: not an orphan yet
    fresh.parent.mkdir()
    fresh.write_bytes(b"<gpx/>")

    problems = check_library(library)
    name = orphan.relative_to(archive).as_posix()
    assert sorted((p.kind, p.fixable, p.archive_name) for p in problems) == sorted([
        ("orphan_archive", True, name),
        ("orphan_archive", False, junk.relative_to(archive).as_posix()),
        ("temp_file", True, temp.relative_to(archive).as_posix()),
    ])
    assert len(check_library(library, min_age_s=0)) == 4

    result = CliRunner().invoke(doctor, ["--fix", "--json"])
    assert result.exit_code == 1, result.output  # the file that is no original remains, for the user to decide
    report = json.loads(result.output)
    assert report["removed"] == [temp.relative_to(archive).as_posix()]
    assert [(r["archive_name"], r["status"]) for r in report["restored"]] == [(name, "imported")]
    assert [p["kind"] for p in report["problems"]] == ["orphan_archive"]
    assert orphan.exists() and junk.exists() and fresh.exists() and not temp.exists()
    assert all(path.read_bytes() == data for path, data in originals.items())
    assert len(library.runs()) == 4


def test_fix_leaves_user_data_and_reports_what_remains(library: Library) -> None:
    missing = _archived(library, 0)
    missing.unlink()
    orphan = _stale_file(paths.archive_path(library.home) / "ab" / ("ab" + "2" * 62 + ".fit"), b"x")
    result = CliRunner().invoke(doctor, ["--fix"])
    assert result.exit_code == 1
    assert "removed" not in result.output
    assert "archive_missing: original missing" in result.output
    assert "its bytes do not match its name: kept" in result.output
    assert orphan.exists()
    assert len(library.runs()) == 3 and library.db.execute("SELECT count(*) FROM files").fetchone()[0] == 3


def test_repair_never_removes_a_file_a_row_refers_to(library: Library) -> None:
    """A stale problem list (an import committed since the check) must not cost an original."""
    path = _archived(library, 0)
    name = path.relative_to(paths.archive_path(library.home)).as_posix()
    claimed = [Problem("orphan_archive", f"no run refers to {name}", True, name)]
    outside = [Problem("orphan_archive", "no run refers to ../stridelink.db", True, "../stridelink.db")]
    assert repair(library, claimed + outside) == []
    assert path.exists() and paths.db_path(library.home).exists()


def test_a_damaged_database_is_reported_not_a_traceback(library_home: Path) -> None:
    library_home.mkdir(parents=True)
    paths.db_path(library_home).write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    result = CliRunner().invoke(doctor, [])
    assert result.exit_code == 1
    assert result.output.startswith("integrity: ") and "Traceback" not in result.output


def test_a_run_whose_signals_failed_is_kept_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the signals must not lose the run or stop the batch: it is stored, and doctor lists it."""
    def broken(activity: object) -> None:
        raise IndexError("index 0 is out of bounds")

    monkeypatch.setattr(compute, "compute_signals", broken)
    with Library.open() as lib:
        results = import_paths(lib, FILES[:2], workers=1)
        assert [r.status for r in results] == ["imported", "imported"]
        kinds = [p.kind for p in check_library(lib)]
    assert kinds == ["signals_missing", "signals_missing"]
