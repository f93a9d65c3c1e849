"""The plan side of the command line: plan, log, export, reanalyze, settings, demo."""

from __future__ import annotations

import json
import subprocess
import sys

import icalendar
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.store.library import Library
from tests.conftest import SAMPLE_RUNS

WEEK = "2026-W48"  # the week after the sample runs


def _import_samples(runner: CliRunner) -> dict[str, str]:
    result = runner.invoke(cli, ["import", str(SAMPLE_RUNS), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["path"].rsplit("/", 1)[-1]: row["run_id"] for row in rows}


def test_plan_json_follows_the_contract_and_cites_runs() -> None:
    runner = CliRunner()
    ids = _import_samples(runner)
    result = runner.invoke(cli, ["plan", "--week", WEEK, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["week"] == WEEK
    assert set(plan["stage"]) == {"number", "name"} and isinstance(plan["stage"]["number"], int)
    kinds = {a["kind"]: a for a in plan["adjustments"]}
    assert kinds["more_lateral"]["run_ids"] == [ids["trail.fit"]]  # the FIT twin, not its GPX copy
    assert ids["hill_repeats.fit"] in kinds["dial_back"]["run_ids"]
    for adjustment in plan["adjustments"]:
        assert adjustment["summary"] and adjustment["reason"] and adjustment["run_ids"]
    for session in plan["sessions"]:
        assert session["date"].startswith("2026-11-") or session["date"].startswith("2026-11")
        assert isinstance(session["duration_min"], int) and session["exercises"]
        for exercise in session["exercises"]:
            assert {"name", "dose", "focus"} <= set(exercise)
    assert sum(1 for s in plan["sessions"] if s["kind"] == "ankle") == 2
    assert sum(1 for s in plan["sessions"] if s["kind"] == "flow") == 1
    human = runner.invoke(cli, ["plan", "--week", WEEK])
    assert "more lateral" in human.output and "more_lateral" not in human.output and "why:" in human.output


def test_a_week_before_any_run_has_no_adjustments() -> None:
    runner = CliRunner()
    _import_samples(runner)
    plan = json.loads(runner.invoke(cli, ["plan", "--week", "2026-W40", "--json"]).stdout)
    assert plan["adjustments"] == []


def test_bad_week_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["plan", "--week", "2026-49"])
    assert result.exit_code == 2 and "ISO week" in result.output


def test_logged_pain_regresses_the_plan_and_the_calendar_follows(tmp_path) -> None:
    runner = CliRunner()
    _import_samples(runner)
    ics = tmp_path / "plan.ics"
    assert runner.invoke(cli, ["export", "ics", "--week", WEEK, "-o", str(ics)]).exit_code == 0
    before = icalendar.Calendar.from_ical(ics.read_bytes())
    logged = runner.invoke(cli, ["log", "pain", "5", "--side", "left", "--date", "2026-11-22"])
    assert logged.exit_code == 0, logged.output
    plan = json.loads(runner.invoke(cli, ["plan", "--week", WEEK, "--json"]).stdout)
    assert "pain" in {a["kind"] for a in plan["adjustments"]}  # from the day logged, before this week
    assert any("seek advice" in note["summary"] for note in plan["notes"])
    assert runner.invoke(cli, ["export", "ics", "--week", WEEK, "-o", str(ics)]).exit_code == 0
    after = icalendar.Calendar.from_ical(ics.read_bytes())
    uids = lambda cal: sorted(str(e["UID"]) for e in cal.walk("VEVENT"))  # noqa: E731
    assert uids(before) == uids(after)  # same events, updated in place
    assert max(int(e.get("SEQUENCE", 0)) for e in after.walk("VEVENT")) >= 1
    listed = json.loads(runner.invoke(cli, ["log", "list", "--json"]).stdout)
    assert [(e["kind"], e["side"], e["value"]) for e in listed if e["source"] == "manual"] == [("pain", "left", 5.0)]


def test_the_watch_mobility_session_counts_as_a_session_done() -> None:
    runner = CliRunner()
    ids = _import_samples(runner)
    assert ids["ankle_mobility.fit"] is None
    entries = json.loads(runner.invoke(cli, ["log", "list", "--json"]).stdout)
    assert [(e["day"], e["kind"]) for e in entries] == [("2026-11-17", "session")]
    _import_samples(runner)  # importing again logs nothing twice
    assert len(json.loads(runner.invoke(cli, ["log", "list", "--json"]).stdout)) == 1


def test_exporters_write_each_format(tmp_path) -> None:
    runner = CliRunner()
    _import_samples(runner)
    for name in ("csv", "json", "markdown"):
        result = runner.invoke(cli, ["export", name, "--week", WEEK, "--weeks", "2"])
        assert result.exit_code == 0 and result.stdout.strip(), name
    unknown = runner.invoke(cli, ["export", "pdf"])
    assert unknown.exit_code == 1 and "ics" in unknown.output


def test_reanalyze_recomputes_outdated_signals_from_the_archive() -> None:
    runner = CliRunner()
    ids = _import_samples(runner)
    with Library.open() as library:
        library.db.execute("UPDATE signals SET method_version = 0, data = json_set(data, '$.surface', 'x')")
    result = runner.invoke(cli, ["reanalyze"])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["show", ids["trail.fit"], "--json"]).stdout)
    assert shown["signals"]["surface"] == "trail" and shown["signals"]["method_version"] >= 1


def test_settings_file_shapes_the_week(library_home) -> None:
    library_home.mkdir(parents=True)
    (library_home / "settings.toml").write_text(
        'timezone = "Europe/Paris"\nankle_days = ["mon", "thu"]\nflow_day = "sat"\npreferred_time = "06:45"\n'
    )
    runner = CliRunner()
    shown = json.loads(runner.invoke(cli, ["settings", "--json"]).stdout)
    assert shown["ankle_days"] == ["mon", "thu"] and shown["preferred_time"] == "06:45"
    plan = json.loads(runner.invoke(cli, ["plan", "--week", WEEK, "--json"]).stdout)
    days = {s["kind"]: [] for s in plan["sessions"]}
    for s in plan["sessions"]:
        days[s["kind"]].append(s["date"])
    assert days["ankle"] == ["2026-11-23", "2026-11-26"] and days["flow"] == ["2026-11-28"]
    (library_home / "settings.toml").write_text('timezone = "Mars/Olympus"\n')
    bad = runner.invoke(cli, ["plan"])
    assert bad.exit_code == 1 and "timezone" in bad.output and "Traceback" not in bad.output


def test_python_dash_m_and_version() -> None:
    result = subprocess.run([sys.executable, "-m", "stridelink", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("stridelink, version")


def test_demo_writes_a_calendar_and_a_report_without_touching_the_library(tmp_path, library_home) -> None:
    result = CliRunner().invoke(cli, ["demo", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "more lateral" in result.output and "trail (device)" in result.output
    calendar = icalendar.Calendar.from_ical((tmp_path / "demo.ics").read_bytes())
    assert len(list(calendar.walk("VEVENT"))) == 7  # a session every day of the week
    assert 'id="chart-cadence"' in (tmp_path / "report.html").read_text()
    assert not library_home.exists()
