"""The whole real corpus through `stridelink import`: every file accounted for, every readable run kept."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

pytestmark = pytest.mark.slow  # imports the whole corpus, twice

STATUSES = {"imported", "duplicate", "skipped", "rejected"}


def _running_rows_a_reference_decoder_reads() -> set[str]:
    rows = csv.DictReader((CORPUS / "MANIFEST.csv").open(encoding="utf-8"))
    return {
        row["path"]
        for row in rows
        if any(s.strip().lower() in ("running", "run", "9") for s in row["sport"].split(";"))
        and not row["fitparse_error"]
        and not row["fitdecode_error"]
    }


def _library_digest() -> str:
    with Library.open() as library:
        dump = "\n".join(library.db.iterdump())
        archive = sorted(p.name for p in (library.home / "archive").rglob("*") if p.is_file())
    return hashlib.sha256((dump + "\n".join(archive)).encode()).hexdigest()


@needs_corpus
def test_every_corpus_file_is_accounted_for_and_a_second_import_changes_nothing() -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(CORPUS), "--json"])
    assert "Traceback" not in first.output
    assert first.exit_code == 1  # the corpus holds damaged files
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    found = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.suffix.lower() in (".fit", ".gpx", ".tcx")}
    assert {str(Path(r["path"]).relative_to(CORPUS)) for r in rows} == found
    for row in rows:
        assert row["status"] in STATUSES
        assert (row["run_id"] is not None) == (row["status"] in ("imported", "duplicate"))
        assert (row["error"] is not None) == (row["status"] in ("skipped", "rejected"))
        if row["error"]:
            assert "\n" not in row["error"] and len(row["error"]) < 300
    status = {str(Path(r["path"]).relative_to(CORPUS)): r["status"] for r in rows}
    missed = {path: status[path] for path in _running_rows_a_reference_decoder_reads() if status[path] != "imported"}
    assert missed == {}

    before = _library_digest()
    second = runner.invoke(cli, ["import", str(CORPUS), "--json"])
    again = {r["path"]: r for r in map(json.loads, second.stdout.splitlines())}
    for row in rows:
        expected = "duplicate" if row["status"] == "imported" else row["status"]
        assert again[row["path"]]["status"] == expected
        if expected == "duplicate":
            assert again[row["path"]]["run_id"] == row["run_id"]
    assert _library_digest() == before
