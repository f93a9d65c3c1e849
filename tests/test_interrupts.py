"""Ctrl-C and a full disk during an import: one clear line, the right exit status, nothing half-stored, and the
files handled before still reported."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from tests.helpers.imports import assert_intact, make_watch_folder, start_import


@pytest.mark.slow  # imports in a subprocess, interrupted
@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a process group is POSIX")
@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_during_import(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "watch"
    made = make_watch_folder(folder, 40)
    home = tmp_path / "home"
    process = start_import(home, folder, workers=workers)
    assert process.stdout is not None
    first = process.stdout.readline()  # one file stored: interrupt in the middle of the rest
    assert json.loads(first)["status"] == "imported"
    os.killpg(process.pid, signal.SIGINT)  # as the terminal does: the whole process group
    out, err = process.communicate(timeout=120)
    lines = [first, *out.splitlines()]
    rows = [json.loads(line) for line in lines if line.strip()]
    assert process.returncode == 130, (process.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert len(rows) < len(made)  # it did stop early
    assert_intact(home)
    with Library.open(home) as library:
        assert len(library.file_hashes()) >= sum(row["status"] == "imported" for row in rows)
    again = start_import(home, folder)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    statuses = [json.loads(line)["status"] for line in out.splitlines()]
    assert len(statuses) == len(made) and set(statuses) <= {"imported", "duplicate"}
    with Library.open(home) as library:
        assert len(library.file_hashes()) == len(made)


def test_a_disk_that_fills_up_during_import(
    tmp_path: Path, library_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills at the sixth original: the five before are stored and reported, then one line, no traceback."""
    folder = tmp_path / "watch"
    make_watch_folder(folder, 12)
    real = Library.archive_file
    written: list[str] = []

    def filling(self: Library, sha256: str, suffix: str, data: bytes, *, sync: bool = True) -> str:
        if len(written) == 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(sha256)
        return real(self, sha256, suffix, data, sync=sync)

    monkeypatch.setattr(Library, "archive_file", filling)
    result = CliRunner().invoke(cli, ["import", str(folder), "--json", "--workers", "1"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["status"] for row in rows] == ["imported"] * 5
    [message] = result.stderr.strip().splitlines()
    assert "disk is full" in message and "5 file(s)" in message
    assert_intact(library_home)
    with Library.open(library_home) as library:
        assert sorted(library.file_hashes()) == sorted(written)


def test_a_database_that_cannot_grow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own "database or disk is full" is the same: one line, earlier files reported."""
    import sqlite3

    folder = tmp_path / "watch"
    make_watch_folder(folder, 6)
    real = Library.insert_file
    calls: list[int] = []

    def full(self: Library, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Library, "insert_file", full)
    result = CliRunner().invoke(cli, ["import", str(folder), "--json", "--workers", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["imported"] * 2
    assert "disk is full" in result.stderr and len(result.stderr.strip().splitlines()) == 1
