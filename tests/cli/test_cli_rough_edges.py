"""Everyday rough edges of the command line: log ids and removal, the runs header, completion, names shown
safely, the demo's wording and JSON export's shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit"
HOSTILE = "evil\x1b]0;owned\x07\nimported: shadow (x)\x1b[2J.fit"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_log_list_shows_ids_and_log_rm_removes_one() -> None:
    assert _invoke("log", "pain", "6", "--date", "2026-11-30")[0] == 0
    assert _invoke("log", "session", "--minutes", "15", "--date", "2026-11-30")[0] == 0
    code, out = _invoke("log", "list", "--json")
    rows = json.loads(out)
    assert [(r["kind"], r["date"]) for r in rows] == [("pain", "2026-11-30"), ("session", "2026-11-30")]
    pain_id = rows[0]["id"]
    code, out = _invoke("log", "list")
    assert out.splitlines()[0].split() == ["id", "date", "entry"]
    assert any(line.split()[0] == str(pain_id) and "pain" in line for line in out.splitlines()[1:])

    code, out = _invoke("log", "rm", str(pain_id))
    assert code == 0 and out.startswith(f"removed entry {pain_id}: pain")
    assert [r["kind"] for r in json.loads(_invoke("log", "list", "--json")[1])] == ["session"]
    with Library.open() as library:  # what the plan reads
        assert [e.kind for e in library.logs()] == ["session"]

    code, out = _invoke("log", "rm", str(pain_id))
    assert code == 1 and "no log entry" in out and len(out.strip().splitlines()) == 1


def test_a_log_date_out_of_range_is_a_usage_error() -> None:
    code, out = _invoke("log", "pain", "3", "--date", "0001-01-01")
    assert code == 2 and "out of range" in out


def test_an_entry_stored_out_of_range_is_listed_to_be_removed() -> None:
    with Library.open() as library:
        with library.transaction() as db:
            db.execute(
                "INSERT INTO logs (day, kind, side, value, note, source, created_utc)"
                " VALUES ('0001-01-01', 'pain', 'both', 3, '', 'manual', '2026-01-01T00:00:00+00:00')"
            )
    [row] = json.loads(_invoke("log", "list", "--json")[1])
    assert row["date"] == "0001-01-01" and row["counted"] is False
    assert "not counted" in _invoke("log", "list")[1]
    assert _invoke("log", "rm", str(row["id"]))[0] == 0
    assert json.loads(_invoke("log", "list", "--json")[1]) == []


@needs_corpus
def test_runs_has_a_header_and_names_are_printed_safely(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / HOSTILE).write_bytes(RUN.read_bytes())
    code, out = _invoke("import", str(folder))
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out
    assert [line for line in out.splitlines() if line.startswith("imported:")] == [
        line for line in out.splitlines() if "\\e]0;owned" in line
    ]  # one line per file: the newline in the name forges none
    code, out = _invoke("runs")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["run", "start"] and "file" in lines[0]
    assert len(lines) == 2 and "\\n" in lines[1] and "\x1b" not in out


@needs_corpus
def test_completion_offers_formats_and_run_ids() -> None:
    assert _invoke("import", str(RUN))[0] == 0
    [run] = json.loads(_invoke("runs", "--json")[1])

    def complete(args: list[str], incomplete: str) -> list[str]:
        completer = ShellComplete(cli, {}, "stridelink", "_STRIDELINK_COMPLETE")
        return [item.value for item in completer.get_completions(args, incomplete)]

    assert {"ics", "csv", "json", "markdown", "fit-workout"} <= set(complete(["export"], ""))
    assert complete(["export"], "ic") == ["ics"]
    assert complete(["show"], run["run_id"][:3]) == [run["run_id"]]
    assert complete(["show"], "zzz") == []


@pytest.mark.parametrize("weeks", ["1", "2"])
def test_json_export_is_a_list_of_weeks_whatever_their_number(weeks: str) -> None:
    code, out = _invoke("export", "json", "--week", "2026-W49", "--weeks", weeks)
    assert code == 0, out
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == int(weeks) and data[0]["week"] == "2026-W49"


def test_the_demo_says_which_week_it_plans(tmp_path: Path) -> None:
    code, out = _invoke("demo", "--output-dir", str(tmp_path))
    assert code == 0, out
    assert "next week" not in out.lower()
    assert "the week after the sample runs" in out
    assert "next week" not in _invoke("demo", "--help")[1].lower()
    assert "calf_strength" not in out and "foot_intrinsics" not in out  # words, not internal keys


def test_zip_entry_names_are_printed_safely(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("runs/evil\x1b]0;owned\x07\nrejected: fake line\x1b[2J.fit", b"not a FIT file at all")
    result = CliRunner().invoke(cli, ["import", str(archive)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("rejected:")]
    assert len(lines) == 1 and "\\e]0;owned\\x07\\nrejected: fake line\\e[2J.fit" in lines[0]
