"""A lost or damaged database never costs the archive: the library is rebuilt from it with every run back."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink import paths
from stridelink.cli import cli
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

FILES = [
    CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit",
    CORPUS / "python-fitparse" / "activity-large-fenxi2-multisport.fit",  # two running legs: two runs
    CORPUS / "heartandsole" / "testdata.gpx",
    CORPUS / "runpandas" / "run.tcx",
]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _archive(home: Path) -> dict[str, bytes]:
    root = paths.archive_path(home)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def imported(library_home: Path) -> list[dict[str, object]]:
    code, out = _invoke("import", *map(str, FILES))
    assert code == 0, out
    code, out = _invoke("runs", "--json")
    runs = json.loads(out)
    assert len(runs) == 5
    return runs


def _without_names(runs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in run.items() if k != "file_name"} for run in runs]


def _delete_database(home: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.db_path(home)}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_database_is_rebuilt_from_the_archive_with_every_run(
    imported: list[dict[str, object]], library_home: Path, how: str
) -> None:
    archive = _archive(library_home)
    _delete_database(library_home)
    if how == "emptied":
        paths.db_path(library_home).write_bytes(b"")

    for command in (["runs"], ["plan"], ["export", "json"], ["log", "list"], ["import", str(FILES[0])]):
        code, out = _invoke(*command)
        assert code == 1, (command, out)
        assert "doctor --rebuild" in out and len(out.strip().splitlines()) == 1, (command, out)

    code, out = _invoke("doctor", "--json")
    assert code == 1
    assert "database_lost" in [p["kind"] for p in json.loads(out)["problems"]]
    assert _archive(library_home) == archive  # checking deletes nothing

    code, out = _invoke("doctor", "--fix", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["removed"] == [] and report["problems"] == []
    assert sorted(r["archive_name"] for r in report["restored"]) == sorted(archive)
    assert _archive(library_home) == archive  # not one original deleted

    code, out = _invoke("runs", "--json")
    assert code == 0, out
    assert _without_names(json.loads(out)) == _without_names(imported)  # same ids, times, sports, distances
    code, out = _invoke("import", *map(str, FILES))
    assert code == 0 and out.count("duplicate:") == len(FILES), out


def test_rows_deleted_from_a_healthy_database_come_back_and_no_original_is_removed(
    imported: list[dict[str, object]], library_home: Path
) -> None:
    archive = _archive(library_home)
    with Library.open(library_home) as library:
        with library.transaction() as db:
            db.execute("DELETE FROM files")  # the runs go with them (ON DELETE CASCADE)
    hour_ago = time.time() - 3600
    for name in archive:
        os.utime(paths.archive_path(library_home) / name, (hour_ago, hour_ago))
    code, out = _invoke("doctor")
    assert code == 1 and out.count("orphan_archive:") == len(archive) and "(--fix restores its runs)" in out
    code, out = _invoke("doctor", "--fix")
    assert code == 0, out
    assert out.count("restored: ") == len(archive) and "removed" not in out
    assert _archive(library_home) == archive
    code, out = _invoke("runs", "--json")
    assert _without_names(json.loads(out)) == _without_names(imported)


def test_a_damaged_database_is_set_aside_and_rebuilt(imported: list[dict[str, object]], library_home: Path) -> None:
    archive = _archive(library_home)
    _delete_database(library_home)
    garbage = b"SQLite format 3\0" + b"\xff" * 4000
    paths.db_path(library_home).write_bytes(garbage)

    code, out = _invoke("runs")
    assert code == 1 and len(out.strip().splitlines()) == 1
    assert "damaged" in out and "doctor --rebuild" in out

    code, out = _invoke("doctor", "--fix")  # a fix never acts on a damaged database
    assert code == 1 and out.startswith("integrity: ")
    assert paths.db_path(library_home).read_bytes() == garbage

    code, out = _invoke("doctor", "--rebuild")
    assert code == 0, out
    assert out.startswith("set aside the damaged database as stridelink.db.damaged-")
    kept = [p for p in library_home.iterdir() if p.name.startswith("stridelink.db.damaged-")]
    assert [p.read_bytes() for p in kept] == [garbage]
    assert _archive(library_home) == archive
    code, out = _invoke("runs", "--json")
    assert _without_names(json.loads(out)) == _without_names(imported)


def test_rebuild_on_a_healthy_library_changes_nothing(imported: list[dict[str, object]], library_home: Path) -> None:
    code, out = _invoke("doctor", "--rebuild", "--json")
    assert code == 0, out
    assert json.loads(out) == {"problems": [], "removed": [], "restored": [], "set_aside": []}
    code, out = _invoke("runs", "--json")
    assert json.loads(out) == imported


def test_a_new_library_is_not_mistaken_for_a_lost_one(library_home: Path) -> None:
    code, out = _invoke("runs")
    assert code == 0 and "No runs yet" in out
    code, out = _invoke("import", str(FILES[0]))
    assert code == 0, out
    code, out = _invoke("runs")
    assert code == 0 and "No runs yet" not in out
