from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from stridelink.plan import rules
from zoneinfo import ZoneInfo

from stridelink.models import Adjustment, LogEntry, Rule, RuleContext, Run, Signals
from stridelink.plan.baseline import measure
from stridelink.plan.programme import load_programme
from stridelink.settings import Settings

MONDAY = date(2026, 3, 16)  # ISO week 2026-W12
PROGRAMME = load_programme()
FORBIDDEN = ("injur", "diagnos", "treat")


def run(
    run_id: str,
    day: date,
    *,
    hour: int = 7,
    distance_m: float = 8000.0,
    duration_s: float = 2700.0,
    **signals,
) -> Run:
    values = dict(
        distance_m=distance_m,
        duration_s=duration_s,
        speed_mps=distance_m / duration_s,
        cadence_spm=170.0,
        gct_balance_left_pct=50.2,
        surface="road",
        hill_session=False,
        climb_m_per_km=4.0,
        terrain_variability=10.0,
        gct_drift_pct=1.0,
        cadence_drift_pct=-0.5,
    )
    values.update(signals)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return Run(
        run_id,
        "0" * 64,
        0,
        start,
        "running",
        None,
        distance_m,
        duration_s,
        "fit",
        f"{run_id}.fit",
        signals=Signals(method_version=1, **values),
    )


def baseline(per_week: int = 3, weeks: int = 4, **signals) -> tuple[Run, ...]:
    """Steady, flat road runs over the 28 days before the recent week."""
    runs = []
    for week in range(weeks):
        for i in range(per_week):
            day = MONDAY - timedelta(days=8 + 7 * week + 2 * i)
            runs.append(run(f"b{week}{i}", day, terrain_variability=8.0 + i, **signals))
    return tuple(sorted(runs, key=lambda r: r.start_utc))


def easy_week(**signals) -> tuple[Run, ...]:
    return tuple(run(f"e{i}", MONDAY - timedelta(days=6 - 2 * i), **signals) for i in range(3))


def context(recent=(), base=None, logs=(), stage: int = 1, weeks_in_stage: int = 1) -> RuleContext:
    return RuleContext(
        week="2026-W12",
        week_start=MONDAY,
        recent_runs=tuple(recent),
        baseline_runs=baseline() if base is None else tuple(base),
        logs=tuple(sorted(logs, key=lambda log: (log.day, log.entry_id))),
        stage=PROGRAMME.stage(stage).stage,
        settings=Settings(),
        weeks_in_stage=weeks_in_stage,
        programme=PROGRAMME,
        habit=_habit(baseline() if base is None else tuple(base)),
    )


def _habit(base: tuple[Run, ...]):
    first = min((r.start_utc.date() for r in base), default=MONDAY - timedelta(days=7))
    since = first - timedelta(days=first.weekday())  # the week of the first baseline run
    return measure(base, MONDAY - timedelta(days=7), ZoneInfo("UTC"), since=since)


def adjustments(found) -> list[Adjustment]:
    return [item for item in found if isinstance(item, Adjustment)]


def kinds(ctx: RuleContext) -> dict[str, tuple[str, ...]]:
    found = {}
    for rule in rules.built_in_rules():
        for adjustment in adjustments(rule.evaluate(ctx)):
            assert adjustment.reason and adjustment.summary
            assert not any(word in (adjustment.summary + adjustment.reason).lower() for word in FORBIDDEN)
            found[adjustment.kind] = adjustment.run_ids
    return found


def test_hook_registers_every_built_in_rule():
    registered: list[Rule] = []
    rules.register_rules(registered.append)
    names = [rule.name for rule in registered]
    assert len(names) == len(set(names)) == 10
    assert all(rule.description for rule in registered)


def test_a_flat_easy_week_suggests_nothing():
    assert kinds(context(easy_week())) == {}


def test_trail_run_gives_more_lateral_naming_that_run():
    recent = (
        *easy_week()[:2],
        run("t1", MONDAY - timedelta(days=1), surface="trail", surface_source="device"),
    )
    found = kinds(context(recent))
    assert found == {"more_lateral": ("t1",)}
    adjustment = rules.trail_exposure(context(recent))[0]
    assert "McGuine" in adjustment.reason and "Sun 15 Mar" in adjustment.summary


def test_steep_rough_road_counts_as_trail_but_steep_smooth_does_not():
    rough = run("c1", MONDAY - timedelta(days=2), climb_m_per_km=28.0, terrain_variability=70.0)
    smooth = run("c2", MONDAY - timedelta(days=2), climb_m_per_km=28.0, terrain_variability=5.0)
    assert kinds(context([rough])) == {"more_lateral": ("c1",)}
    assert "more_lateral" not in kinds(context([smooth]))


def test_hill_session_gives_dial_back():
    recent = (*easy_week()[:2], run("h1", MONDAY - timedelta(days=1), hill_session=True, climb_m_per_km=15.0))
    found = kinds(context(recent))
    assert found == {"dial_back": ("h1",)}
    assert "Neves" in rules.hill_recovery(context(recent))[0].reason


def test_weekly_volume_jump_holds_and_shows_the_ratio():
    big = tuple(
        run(f"v{i}", MONDAY - timedelta(days=6 - 2 * i), distance_m=12000.0, duration_s=4050.0)
        for i in range(3)
    )
    found = kinds(context(big))
    assert set(found) == {"hold"} and found["hold"] == ("v0", "v1", "v2")
    summary = rules.load_spike(context(big))[0].summary
    assert "1.50 x" in summary and "not a prediction" in summary
    assert "Nielsen" in rules.load_spike(context(big))[0].reason


def test_modest_increase_does_not_hold():
    recent = tuple(
        run(f"m{i}", MONDAY - timedelta(days=6 - 2 * i), distance_m=10000.0, duration_s=3375.0)
        for i in range(3)
    )
    assert kinds(context(recent)) == {}  # 1.25 x the baseline


def test_new_athlete_is_not_compared_with_empty_weeks():
    one_week = baseline(weeks=1)
    big = tuple(
        run(f"v{i}", MONDAY - timedelta(days=6 - 2 * i), distance_m=12000.0, duration_s=4050.0)
        for i in range(3)
    )
    assert "hold" not in kinds(context(big, base=one_week))


def test_cadence_below_baseline_at_same_pace():
    slow_steps = run("s1", MONDAY - timedelta(days=3), cadence_spm=158.0)
    found = kinds(context([slow_steps]))
    assert found == {"cadence": ("s1",)}
    assert "Heiderscheit" in adjustments(rules.cadence_drop(context([slow_steps])))[0].reason


def test_low_cadence_at_a_much_slower_pace_is_not_compared():
    recovery_jog = run(
        "s2", MONDAY - timedelta(days=3), distance_m=6000.0, duration_s=3000.0, cadence_spm=158.0
    )
    assert "cadence" not in kinds(context([recovery_jog]))


def test_sustained_gct_imbalance_gives_unilateral():
    recent = [run(f"g{i}", MONDAY - timedelta(days=6 - 2 * i), gct_balance_left_pct=53.0) for i in range(3)]
    found = kinds(context(recent))
    assert found == {"unilateral": ("g0", "g1", "g2")}


def test_one_imbalanced_run_or_hilly_runs_do_not_count():
    one = [*easy_week(), run("g9", MONDAY - timedelta(days=1), gct_balance_left_pct=54.0)]
    assert "unilateral" not in kinds(context(one))
    hilly = [
        run(
            f"g{i}",
            MONDAY - timedelta(days=6 - 2 * i),
            gct_balance_left_pct=54.0,
            climb_m_per_km=35.0,
            terrain_variability=1.0,
        )
        for i in range(3)
    ]
    assert "unilateral" not in kinds(context(hilly))


def test_late_run_drift_beyond_usual_gives_calf_endurance():
    recent = [run(f"d{i}", MONDAY - timedelta(days=6 - 2 * i), gct_drift_pct=7.5) for i in range(2)]
    found = kinds(context(recent))
    assert found == {"calf_endurance": ("d0", "d1")}


def test_drift_is_judged_against_the_athletes_own_drift():
    habitual = baseline(gct_drift_pct=6.0)
    recent = [run(f"d{i}", MONDAY - timedelta(days=6 - 2 * i), gct_drift_pct=7.5) for i in range(2)]
    assert "calf_endurance" not in kinds(context(recent, base=habitual))


def sessions(weeks: int = 3, per_week: int = 2) -> list[LogEntry]:
    logs = []
    for week in range(weeks):
        for i in range(per_week):
            logs.append(
                LogEntry(len(logs) + 1, MONDAY - timedelta(days=7 * week + 2 + 2 * i), "session", value=20)
            )
    return logs


def test_calm_consistent_weeks_advance():
    ctx = context(easy_week(), logs=sessions(), weeks_in_stage=3)
    found = kinds(ctx)
    assert set(found) == {"advance"}
    advance = adjustments(rules.steady_progress(ctx))[0]
    assert "stage 2" in advance.summary and len(advance.log_ids) == 6  # the sessions logged


@pytest.mark.parametrize(
    "change",
    ["too_soon", "few_sessions", "pain", "last_stage"],
)
def test_no_advance_without_every_criterion(change):
    logs = sessions()
    weeks_in_stage, stage = 3, 1
    if change == "too_soon":
        weeks_in_stage = 2
    elif change == "few_sessions":
        logs = [log for log in logs if log.day > MONDAY - timedelta(days=14) or log.entry_id % 2]
    elif change == "pain":
        logs.append(LogEntry(99, MONDAY - timedelta(days=12), "pain", side="left", value=2))
    else:
        stage = 5
    assert "advance" not in kinds(context(easy_week(), logs=logs, stage=stage, weeks_in_stage=weeks_in_stage))


def test_logged_pain_regresses_a_stage_and_says_seek_advice():
    logs = [LogEntry(1, MONDAY - timedelta(days=3), "pain", side="right", value=4)]
    ctx = context(easy_week(), logs=logs, stage=4)
    assert set(kinds(ctx)) == {"regress", "pain"}  # a stage back this week, foundations while it lasts
    regress, pain = adjustments(rules.pain_logged(ctx))
    assert "stage 3" in regress.summary and "seek advice" in pain.summary
    assert "(right)" in pain.summary and "left side only" in pain.summary


@pytest.mark.parametrize(("days_ago", "value"), [(3, 2), (8, 6)])
def test_mild_or_older_pain_does_not_regress(days_ago, value):
    logs = [LogEntry(1, MONDAY - timedelta(days=days_ago), "pain", value=value)]
    assert "regress" not in kinds(context(easy_week(), logs=logs, stage=3))


def test_logs_on_or_after_monday_are_not_the_rules_business():
    ctx = context(easy_week(), logs=[LogEntry(1, MONDAY, "pain", value=9)], stage=3)
    assert "regress" not in kinds(ctx)


def test_soreness_today_or_yesterday_takes_a_set_off_and_names_the_side():
    logs = [LogEntry(1, MONDAY, "soreness", side="left", value=4)]
    found = adjustments(rules.soreness_logged(context(easy_week(), logs=logs)))
    assert [a.kind for a in found] == ["soreness"] and "(left)" in found[0].summary and found[0].log_ids == (1,)
    later = RuleContext(**{**context(easy_week(), logs=logs).__dict__, "day": MONDAY + timedelta(days=2)})
    assert adjustments(rules.soreness_logged(later)) == []  # two days on: over
    mild = [LogEntry(1, MONDAY, "soreness", value=1)]
    assert adjustments(rules.soreness_logged(context(easy_week(), logs=mild))) == []
