from __future__ import annotations

import json
import shutil

import click
from click.testing import CliRunner

from stridelink.cli import BUILTIN_COMMANDS, cli
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "stride" / "run.fit"
RIDE = CORPUS / "stride" / "ride.fit"
BROKEN = CORPUS / "python-fitparse" / "activity-filecrc.fit"


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@needs_corpus
def test_import_json_lines_and_exit_codes(tmp_path) -> None:
    runner = CliRunner()
    for src in (RUN, RIDE):
        shutil.copy(src, tmp_path / src.name)
    result = runner.invoke(cli, ["import", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert [set(row) >= {"path", "status", "run_id", "error"} for row in rows] == [True, True]
    by_name = {row["path"].rsplit("/", 1)[-1]: row for row in rows}
    assert by_name["run.fit"]["status"] == "imported" and by_name["run.fit"]["error"] is None
    assert by_name["ride.fit"]["status"] == "skipped" and by_name["ride.fit"]["run_id"] is None
    assert by_name["ride.fit"]["error"]

    again = runner.invoke(cli, ["import", str(tmp_path / "run.fit"), str(BROKEN), "--json"])
    assert again.exit_code == 1
    first, second = _lines(again.stdout)
    assert first["status"] == "duplicate" and first["run_id"] == by_name["run.fit"]["run_id"]
    assert second["status"] == "rejected" and second["run_id"] is None and "damaged" in second["error"]
    assert "Traceback" not in again.output


def test_usage_errors_exit_2(tmp_path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import"]).exit_code == 2
    assert runner.invoke(cli, ["import", str(tmp_path / "missing.fit")]).exit_code == 2
    assert runner.invoke(cli, ["show"]).exit_code == 2


@needs_corpus
def test_runs_and_show(tmp_path) -> None:
    runner = CliRunner()
    imported = _lines(runner.invoke(cli, ["import", str(RUN), "--json"]).stdout)[0]
    listed = json.loads(runner.invoke(cli, ["runs", "--json"]).stdout)
    assert [row["run_id"] for row in listed] == [imported["run_id"]]
    row = listed[0]
    assert row["start_utc"] == "2025-02-28T10:54:54+00:00"
    assert (row["sport"], row["sub_sport"], row["source"]) == ("running", "generic", "fit")
    assert abs(row["distance_m"] - 10607.76) / 10607.76 < 0.015
    shown = json.loads(runner.invoke(cli, ["show", imported["run_id"], "--json"]).stdout)
    assert {"run_id", "start_utc", "sport", "sub_sport", "distance_m", "duration_s", "source", "signals"} <= set(shown)
    missing = runner.invoke(cli, ["show", "ffffffffffff"])
    assert missing.exit_code == 1 and "stridelink runs" in missing.output


def test_path_honours_stridelink_home(library_home) -> None:
    result = CliRunner().invoke(cli, ["path"])
    assert result.output.strip() == str(library_home)


def test_every_command_has_help() -> None:
    runner = CliRunner()
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None and command.help, f"{name} has no help text"
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0


def test_the_stored_short_help_of_each_built_in_command_is_its_own() -> None:
    """`stridelink --help` lists commands without importing them, from short help kept beside their names."""
    ctx = click.Context(cli)
    for name, (_module, _attribute, short) in BUILTIN_COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=1000) == short, name


def test_completing_a_command_name_offers_built_in_and_plugin_commands_with_their_help() -> None:
    ctx = click.Context(cli)
    offered = {item.value: item.help for item in cli.shell_complete(ctx, "")}
    assert set(BUILTIN_COMMANDS) | {"caldav"} <= set(offered)
    assert offered["runs"] == "List the runs in the library, oldest first."
    assert [item.value for item in cli.shell_complete(ctx, "re")] == ["reanalyze", "report"]
