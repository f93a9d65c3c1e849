"""A library that cannot be used is one clear line and exit status 1 for every command, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink import paths
from stridelink.cli import cli
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit"
OTHER = CORPUS / "runpandas" / "run.fit"
COMMANDS = [
    ["runs"],
    ["runs", "--json"],
    ["show", "abcdef"],
    ["plan"],
    ["plan", "--json"],
    ["export", "ics"],
    ["log", "pain", "2"],
    ["log", "list"],
    ["log", "rm", "1"],
    ["reanalyze"],
    ["report", "-o", "{tmp}/report.html"],
    ["import", str(RUN)],
]


def _run(args: list[str], tmp: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [a.format(tmp=tmp) for a in args])
    assert "Traceback" not in result.output, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_library_folder_that_is_a_file(library_home: Path, tmp_path: Path, command: list[str]) -> None:
    library_home.write_bytes(b"not a folder")
    code, out = _run(command, tmp_path)
    assert code == 1 and len(out.strip().splitlines()) == 1, out
    assert "is a file" in out and "STRIDELINK_HOME" in out
    assert library_home.read_bytes() == b"not a folder"


@pytest.mark.parametrize("garbage", [b"this is not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 4000])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_that_is_not_one(library_home: Path, tmp_path: Path, command: list[str], garbage: bytes) -> None:
    library_home.mkdir()
    paths.db_path(library_home).write_bytes(garbage)
    code, out = _run(command, tmp_path)
    assert code == 1 and len(out.strip().splitlines()) == 1, out
    assert "damaged or not a stridelink database" in out and "doctor --rebuild" in out
    assert paths.db_path(library_home).read_bytes() == garbage  # nothing written over it


@needs_corpus
@pytest.mark.parametrize("command", [["plan", "--week", "2026-W30"], ["log", "pain", "2"], ["import", str(OTHER)]],
                         ids=" ".join)
def test_a_read_only_database(library_home: Path, tmp_path: Path, command: list[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The database opened read-only, as SQLite does for a file or folder without write permission."""
    import sqlite3

    from stridelink.store import library as library_module

    assert _run(["import", str(RUN)], tmp_path)[0] == 0
    connect = sqlite3.connect

    def read_only(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library_module.sqlite3, "connect", read_only)
    code, out = _run(["runs"], tmp_path)  # reading works
    assert code == 0 and "garmin-fenix-5-run.fit" in out, out
    code, out = _run(command, tmp_path)
    assert code == 1, out
    assert len(out.strip().splitlines()) == 1 and "write" in out, out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only folders")
@needs_corpus
@pytest.mark.parametrize("command", [["runs"], ["plan"], ["log", "pain", "2"], ["import", str(RUN)]], ids=" ".join)
def test_a_read_only_library_folder(library_home: Path, tmp_path: Path, command: list[str]) -> None:
    assert _run(["import", str(RUN)], tmp_path)[0] == 0
    for path in [library_home, *library_home.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        code, out = _run(command, tmp_path)
    finally:
        for path in [library_home, *library_home.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert code == 1 and len(out.strip().splitlines()) == 1 and "write" in out, out
