"""A sample report: runs over four weeks (one week without runs, a hostile file name), a plan and a log entry."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from stridelink.models import Adjustment, Exercise, LogEntry, Plan, Run, Session, Signals, Stage
from stridelink.report.page import render_report

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 12, 9)  # a Wednesday in 2026-W50
HOSTILE = '<script>alert("x")</script>'


def make_run(
    run_id: str,
    start_utc: datetime,
    *,
    distance_m: float = 10_000.0,
    duration_s: float = 3_000.0,
    cadence_spm: float | None = 170.0,
    gct_ms: float | None = 245.0,
    balance: float | None = 50.5,
    gain_m: float | None = 60.0,
    terrain: float | None = 0.3,
    surface: str = "road",
    hill: bool | None = False,
    file_name: str = "run.fit",
) -> Run:
    signals = Signals(
        method_version=1,
        distance_m=distance_m,
        duration_s=duration_s,
        moving_time_s=duration_s,
        cadence_spm=cadence_spm,
        gct_ms=gct_ms,
        gct_balance_left_pct=balance,
        elevation_gain_m=gain_m,
        climb_m_per_km=None if gain_m is None else gain_m / (distance_m / 1000),
        terrain_variability=terrain,
        surface=surface,
        hill_session=hill,
    )
    return Run(run_id, run_id * 4, 0, start_utc, "running", surface, distance_m, duration_s, "fit", file_name,
               signals=signals)


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


W50 = date(2026, 12, 7)  # Monday of the current week
W49, W48, W47 = W50 - timedelta(weeks=1), W50 - timedelta(weeks=2), W50 - timedelta(weeks=3)

RUNS = [
    make_run("a00000000001", at(W47 + timedelta(days=1)), cadence_spm=168.0),
    make_run("a00000000002", at(W47 + timedelta(days=5)), surface="trail", gain_m=400.0, terrain=1.4, hill=True,
             cadence_spm=172.0, distance_m=8_000.0, duration_s=3_600.0),
    # W48: no runs at all
    make_run("a00000000003", at(W49 + timedelta(days=2)), balance=53.0),
    make_run("a00000000004", at(W49 + timedelta(days=6)), surface="trail", gain_m=300.0, hill=True,
             file_name=f"{HOSTILE}.fit"),
]


OLD = make_run("c00000000001", at(W47 - timedelta(weeks=2)), distance_m=40_000.0)  # before the period


def make_plan() -> Plan:
    exercises = (
        Exercise("Single-leg balance, eyes closed", "3 x 30 s each side", "balance"),
        Exercise("Eccentric heel drop", "3 x 12 each side", "calf strength"),
    )
    sessions = (
        Session(W50 + timedelta(days=1), "Ankle strength and balance", 25, ("balance", "strength"), exercises,
                slot="ankle-1"),
        Session(W50 + timedelta(days=6), "Mobility flow", 30, ("mobility",),
                (Exercise("Knee-to-wall lunge", "2 x 10 each side", "dorsiflexion"),), kind="flow", slot="flow"),
    )
    adjustments = (
        Adjustment("more_lateral", "Adds banded lateral walks", "Trail running last week", ("a00000000004",)),
        Adjustment("dial_back", "Lighter calf work on Tuesday", f"Hill session: {HOSTILE}",
                   ("a00000000004", "zz0000000099")),
    )
    return Plan("2026-W50", Stage(2, "Single-leg control"), adjustments, sessions,
                notes=("Stop any exercise that causes sharp pain.",))


def render_sample() -> str:
    logs = [LogEntry(1, W49 + timedelta(days=3), "pain", "left", 3.0, HOSTILE)]
    return render_report([OLD, *RUNS], make_plan(), weeks=4, today=TODAY, tz=BERLIN, logs=logs)


def svg_of(page: str, chart_id: str) -> str:
    """The inline SVG of chart ``chart_id`` in a report page."""
    match = re.search(rf'<svg\b[^>]*\bid="{chart_id}".*?</svg>', page, re.DOTALL)
    assert match, f"no svg with id {chart_id}"
    return match[0]
