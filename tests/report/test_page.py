from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from stridelink import columns as col
from stridelink.models import Activity, Run, Signals
from stridelink.cli.report import report
from stridelink.report.page import CHART_IDS, Period, render_chart, render_report, weekly_summary
from stridelink.store.library import Library
from tests.helpers.report import (
    BERLIN,
    OLD,
    RUNS,
    TODAY,
    W47,
    W48,
    W49,
    W50,
    at,
    make_run,
    render_sample,
    svg_of,
)

@pytest.fixture(scope="module")
def page() -> str:
    return render_sample()


def test_every_chart_is_inline_svg_with_an_accessible_title(page: str) -> None:
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    for chart_id in CHART_IDS:
        svg = svg_of(page, chart_id)
        opening = svg[: svg.index(">") + 1]
        assert 'role="img"' in opening and f'aria-labelledby="{chart_id}-title' in opening
        title = re.search(rf'<title id="{chart_id}-title">([^<]+)</title>', svg)
        assert title and title[1].strip()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids of different charts collide"


def test_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "<link" not in page and "@import" not in page and "src=" not in page
    urls = set(re.findall(r"https?://[^\s\"')]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert 'name="viewport"' in page and "@media (max-width:600px)" in page


def test_header_names_the_period(page: str) -> None:
    assert "Mon 16 Nov 2026 – Sun 13 Dec 2026" in page
    assert "2026-W47 to 2026-W50" in page


def test_plan_shows_stage_sessions_adjustments_and_their_runs(page: str) -> None:
    plan = page[page.index('id="plan"'):page.index('id="runs"')]
    assert "Stage 2" in plan and "Single-leg control" in plan
    assert "Stop any exercise that causes sharp pain." in plan
    for kind, summary in (("more_lateral", "Adds banded lateral walks"), ("dial_back", "Lighter calf work")):
        assert f'data-kind="{kind}"' in plan and summary in plan
    assert "Trail running last week" in plan
    # Runs in the period link to their row in the run table; others are still named.
    assert plan.count('href="#run-a00000000004"') == 2
    assert 'id="run-a00000000004"' in page
    assert "zz0000000099" in plan and 'href="#run-zz0000000099"' not in plan
    assert re.search(r"Tue 8 Dec 2026.*?Ankle strength and balance.*?25 min", plan, re.DOTALL)
    assert "Eccentric heel drop</td><td>3 x 12 each side" in plan
    assert "Sun 13 Dec 2026" in plan and "Knee-to-wall lunge" in plan


def test_an_empty_library_without_a_plan_renders() -> None:
    page = render_report([], None, weeks=12, today=TODAY, tz=BERLIN)
    assert all(f'id="{chart_id}"' in page for chart_id in CHART_IDS)
    assert "No plan yet" in page and "No runs in these weeks." in page
    assert "12 weeks: Mon 21 Sep 2026 – Sun 13 Dec 2026" in page


def test_athlete_text_is_escaped(page: str) -> None:
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert escaped in page[page.index('id="log"'):]  # the logged note
    assert escaped in page[page.index('id="plan"'):page.index('id="runs"')]  # the adjustment's reason
    assert f'title="{escaped}.fit"' in page  # the file name


def test_run_table_lists_the_period_newest_first(page: str) -> None:
    table = page[page.index('id="run-table"'):]
    rows = re.findall(r'<tr id="run-([^"]+)"', table)
    assert rows == ["a00000000004", "a00000000003", "a00000000002", "a00000000001"]
    row = re.search(r'<tr id="run-a00000000002">.*?</tr>', table, re.DOTALL)
    assert row
    for shown in ("8.00", "1:00", "trail", "172", "245", "50.5", "50.0", "1.40", "yes"):
        assert f">{shown}<" in row[0] or f">{shown}</span>" in row[0], shown


def test_weeks_without_runs_are_gaps_not_zeros(page: str) -> None:
    week = weekly_summary(RUNS, period=Period.ending(TODAY, 4), tz=BERLIN)
    empty = week.loc[W48]
    assert empty["runs"] == 0
    for column in ("cadence_spm", "gct_ms", "balance_left_pct", "climb_m", "terrain", "trail_runs_pct",
                   "distance_km"):
        assert math.isnan(empty[column]), column
    # The week table says so instead of printing zeros.
    assert re.search(r"2026-W48.*?<td colspan=\"11\" class=\"norun\">no runs</td>", page, re.DOTALL)
    # The cadence line is drawn in two pieces: W47 and W49-W50 (the current week has no runs yet either).
    line = re.search(r'<g id="chart-cadence-cadence-line">.*?</g>', svg_of(page, "chart-cadence"), re.DOTALL)
    assert line
    path = re.search(r'<path d="([^"]+)"', line[0])
    assert path and path[1].count("M") == 2


def test_weekly_figures() -> None:
    week = weekly_summary(RUNS, period=Period.ending(TODAY, 4), tz=BERLIN)
    w47 = week.loc[W47]
    assert w47["runs"] == 2
    assert w47["distance_km"] == pytest.approx(18.0)
    assert w47["duration_h"] == pytest.approx(6600 / 3600)
    # Weighted by moving time: 3000 s at 168 spm and 3600 s at 172 spm.
    assert w47["cadence_spm"] == pytest.approx((3000 * 168 + 3600 * 172) / 6600)
    assert w47["climb_m"] == pytest.approx(460.0)
    assert w47["climb_m_per_km"] == pytest.approx(460.0 / 18.0)
    assert w47["trail_runs_pct"] == pytest.approx(50.0)
    assert w47["trail_distance_pct"] == pytest.approx(100 * 8 / 18)
    assert w47["hill_sessions"] == 1
    # The 4-week mean counts a week without runs as no load, from the first run on.
    assert week.loc[W48, "distance_km_mean"] == pytest.approx(18.0 / 2)
    assert week.loc[W49, "distance_km_mean"] == pytest.approx((18.0 + 0 + 20.0) / 3)
    assert week.loc[W50, "distance_km_mean"] == pytest.approx((18.0 + 0 + 20.0 + 0) / 4)


def test_runs_fall_in_their_local_week() -> None:
    late_sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin: 2026-W49
    runs = [make_run("b00000000001", late_sunday_utc)]
    period = Period.ending(TODAY, 4)
    berlin = weekly_summary(runs, period=period, tz=BERLIN)
    utc = weekly_summary(runs, period=period, tz=UTC)
    assert berlin.loc[W49, "runs"] == 1 and berlin.loc[W48, "runs"] == 0
    assert utc.loc[W48, "runs"] == 1 and utc.loc[W49, "runs"] == 0


def test_runs_before_the_period_only_feed_the_load_mean(page: str) -> None:
    assert 'id="run-c00000000001"' not in page
    week = weekly_summary([OLD, *RUNS], period=Period.ending(TODAY, 4), tz=BERLIN)
    assert week.loc[W47, "distance_km_mean"] == pytest.approx((40.0 + 0 + 18.0) / 3)


def test_runs_without_signals_still_count_for_load() -> None:
    bare = Run("d00000000001", "d" * 64, 0, at(W49), "running", None, 5_000.0, 1_800.0, "gpx", "x.gpx")
    week = weekly_summary([bare], period=Period.ending(TODAY, 2), tz=BERLIN)
    assert week.loc[W49, "distance_km"] == pytest.approx(5.0)
    assert math.isnan(week.loc[W49, "cadence_spm"])
    assert "No cadence data in these weeks" in render_chart("chart-cadence", "Cadence", week, "")


def test_same_inputs_give_the_same_page(page: str) -> None:
    assert render_sample() == page


def _add_run(library: Library, start_utc: datetime) -> str:
    samples = pd.DataFrame({
        col.TIMESTAMP: pd.date_range(start_utc, periods=3, freq="1s", tz="UTC"),
        col.DISTANCE: [0.0, 3.0, 6.0],
    })
    activity = Activity("running", "trail", start_utc, "fit", samples)
    signals = Signals(method_version=1, distance_m=6_000.0, duration_s=2_000.0, cadence_spm=171.0,
                      surface="trail", hill_session=True)
    return library.add_file("e" * 64, "morning.fit", b"bytes", "fit", [(activity, signals)])[0]


def test_command_writes_the_page_and_prints_its_path(tmp_path: Path) -> None:
    with Library.open() as library:
        run_id = _add_run(library, datetime.now(UTC) - timedelta(hours=1))
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result = CliRunner().invoke(report, ["--weeks", "6", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target)
    html = target.read_text(encoding="utf-8")
    assert f'id="run-{run_id}"' in html and "6 weeks:" in html
    assert all(f'id="{chart_id}"' in html for chart_id in CHART_IDS)


def test_command_needs_an_output_and_explains_itself() -> None:
    assert CliRunner().invoke(report, []).exit_code == 2
    help_text = CliRunner().invoke(report, ["--help"]).output
    assert "stridelink report -o report.html" in help_text and "--weeks" in help_text
