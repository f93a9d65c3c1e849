"""An automatic export that cannot be written never hides that the import or log entry was saved."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from stridelink import paths
from stridelink.cli import cli
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit"


def _configure(home: Path, target: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    paths.settings_path(home).write_text(
        f'[[export]]\nformat = "ics"\npath = "{target}"\n\n[[export]]\nformat = "csv"\npath = "{target.parent.parent}/ok.csv"\n',
        encoding="utf-8",
    )


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_log_entry_is_saved_once_and_the_failed_export_is_named(library_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "plan.ics"
    _configure(library_home, missing)
    code, out, err = _invoke("log", "pain", "2")
    assert code == 0, (out, err)
    assert out.startswith("logged pain on ")
    [line] = err.strip().splitlines()
    assert "saved" in line and "automatic export" in line and str(missing) in line and "does not exist" in line
    assert (tmp_path / "ok.csv").exists()  # the other export still ran
    with Library.open() as library:
        assert len(library.logs()) == 1


@needs_corpus
def test_an_import_reports_its_files_and_then_the_failed_export(library_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "plan.ics"
    _configure(library_home, missing)
    code, out, err = _invoke("import", "--json", str(RUN))
    assert code == 0, (out, err)
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["imported"]
    assert "automatic export" in err and str(missing) in err
    code, out, err = _invoke("import", "--json", str(RUN))  # a retry changes nothing
    assert code == 0 and json.loads(out)["status"] == "duplicate"
