"""The report a new user gets by default shows their runs in words, never empty charts with made-up scales."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.report.page import CHART_IDS, render_report
from tests.conftest import CORPUS, needs_corpus
from tests.helpers.report import BERLIN, TODAY, make_plan, svg_of

FILES = [CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit", CORPUS / "runpandas" / "run.tcx"]


def _tick_labels(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_charts_without_data_show_no_made_up_scale() -> None:
    page = render_report([], make_plan(), weeks=12, today=TODAY, tz=BERLIN)
    for chart_id in CHART_IDS:
        labels = _tick_labels(svg_of(page, chart_id))
        tiny = [t for t in labels if re.fullmatch(r"[−-]?0\.0\d+", t.strip())]
        assert tiny == [], (chart_id, tiny)
        assert any(t.startswith("No ") for t in labels), (chart_id, labels)


def test_plan_focus_and_adjustment_kinds_read_as_words() -> None:
    plan = make_plan()
    session = plan.sessions[0]
    keyed = replace(
        session,
        focus=("calf_strength", "foot_intrinsics"),
        exercises=(replace(session.exercises[0], focus="foot_intrinsics"),),
    )
    page = render_report([], replace(plan, sessions=(keyed,)), weeks=4, today=TODAY, tz=BERLIN)
    assert "calf strength, foot intrinsics" in page
    plan = page[page.index('id="plan"'):page.index('id="runs"')]
    visible = re.sub(r"<[^>]+>", " ", plan)  # attributes such as data-kind may keep the key
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", visible), re.findall(r"\b[a-z]+_[a-z_]+\b", visible)


@needs_corpus
def test_the_default_report_of_older_runs_shows_them(library_home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", *map(str, FILES)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert 'id="period-note"' in page
    runs = page[page.index('id="runs"'):]
    assert "No runs in these weeks" not in runs
    assert "garmin-fenix-5-run.fit" in runs and "running" in runs  # the file and sport, not only an id
    assert "No cadence data" not in svg_of(page, "chart-cadence")

    result = CliRunner().invoke(cli, ["report", "--weeks", "12", "-o", str(out)])  # asked for: as asked
    assert result.exit_code == 0, result.output
    assert 'id="period-note"' not in out.read_text(encoding="utf-8")
