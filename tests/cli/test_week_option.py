"""`--week` takes any letter case and refuses weeks no plan can have, in one line, never a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from stridelink.cli import cli


@pytest.mark.parametrize("command", [["plan", "--json"], ["export", "json"], ["export", "ics", "--weeks", "3"]])
@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1989-W52", "2101-W01"])
def test_weeks_out_of_range_are_a_usage_error(command: list[str], week: str) -> None:
    result = CliRunner().invoke(cli, [*command, "--week", week])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OverflowError, ValueError))
    assert "out of range" in result.output


@pytest.mark.parametrize("week", ["2026-w49", "2026-W49", " 2026-w49 "])
def test_lower_case_weeks_are_accepted_and_shown_in_canonical_form(week: str) -> None:
    result = CliRunner().invoke(cli, ["plan", "--json", "--week", week])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["week"] == "2026-W49"
    result = CliRunner().invoke(cli, ["export", "json", "--week", week])
    assert result.exit_code == 0, result.output
    assert "2026-W49" in result.output and "2026-w49" not in result.output
