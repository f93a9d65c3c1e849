from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stridelink.models import LogEntry, Run, Signals
from stridelink.plan.planner import iso_week, plan_week, plan_weeks, stage_history, week_start, weeks_affected
from stridelink.plan.programme import load_programme
from stridelink.plan.rules import built_in_rules
from stridelink.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")
SETTINGS = Settings(timezone="Europe/Berlin")  # ankle sessions Tue and Fri, flow on Sunday
PROGRAMME = load_programme()
RULES = built_in_rules()
FIRST = date(2026, 1, 5)  # Monday of 2026-W02, the first week with data
RUN_TRIGGERED = {"more_lateral", "dial_back", "hold", "cadence", "unilateral", "calf_endurance"}


def week_of(n: int) -> str:
    """The ISO week ``n`` weeks after the first week with data."""
    return iso_week(FIRST + timedelta(days=7 * n))


def local(day: date, hh: int = 7, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=BERLIN).astimezone(UTC)


def run(
    run_id: str, start_utc: datetime, *, distance_m: float = 8000.0, duration_s: float = 2700.0, **signals
) -> Run:
    values = dict(
        distance_m=distance_m,
        duration_s=duration_s,
        speed_mps=distance_m / duration_s,
        cadence_spm=170.0,
        gct_balance_left_pct=50.3,
        surface="road",
        hill_session=False,
        climb_m_per_km=4.0,
        terrain_variability=10.0,
        gct_drift_pct=1.0,
        cadence_drift_pct=-0.5,
    )
    values.update(signals)
    return Run(
        run_id,
        "0" * 64,
        0,
        start_utc,
        "running",
        None,
        distance_m,
        duration_s,
        "fit",
        f"{run_id}.fit",
        signals=Signals(method_version=1, **values),
    )


def calm_history(weeks: int) -> tuple[list[Run], list[LogEntry]]:
    """Three flat road runs and two ankle sessions done every week, from FIRST on."""
    runs, logs = [], []
    for w in range(weeks):
        monday = FIRST + timedelta(days=7 * w)
        for offset in (1, 3, 5):
            runs.append(run(f"w{w}d{offset}", local(monday + timedelta(days=offset))))
        for offset in (1, 4):
            logs.append(LogEntry(len(logs) + 1, monday + timedelta(days=offset), "session", value=20))
    return runs, logs


def plan(week: str, runs, logs, settings: Settings = SETTINGS):
    return plan_week(week, runs, logs, settings, RULES, PROGRAMME)


def kinds(p) -> set[str]:
    return {a.kind for a in p.adjustments}


def by_slot(p):
    return {s.slot: s for s in p.sessions}


def keys(session) -> set[str]:
    return {e.key for e in session.exercises}


# ----------------------------------------------------------------------------------------------- weeks


def test_iso_week_and_its_monday():
    assert iso_week(date(2026, 12, 3)) == "2026-W49"
    assert week_start("2026-W49") == date(2026, 11, 30)
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert week_start("2020-W53") == date(2020, 12, 28)


@pytest.mark.parametrize("bad", ["2026-49", "2026-W5", "2025-W53", "W49", ""])
def test_week_start_rejects_what_is_not_an_iso_week(bad):
    with pytest.raises(ValueError):
        week_start(bad)


def test_weeks_affected_by_a_new_run():
    today = date(2026, 3, 18)  # 2026-W12
    # A run changes the rest of its own week, and every week after it.
    assert weeks_affected(local(date(2026, 3, 17)), BERLIN, today=today) == ["2026-W12"]
    assert weeks_affected(local(date(2026, 2, 25)), "Europe/Berlin", today=today) == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
        "2026-W12",
    ]
    # Sunday 22:00 in New York is Monday 03:00 UTC: the run belongs to the Sunday's week, W11.
    sunday_night = datetime(2026, 3, 16, 3, tzinfo=UTC)
    assert weeks_affected(sunday_night, "America/New_York", today=today) == ["2026-W11", "2026-W12"]
    assert weeks_affected(sunday_night, "UTC", today=today) == ["2026-W12"]


# ----------------------------------------------------------------------------------------------- stages


def test_three_calm_weeks_with_sessions_advance_a_stage():
    runs, logs = calm_history(14)
    history = stage_history(week_of(13), runs, logs, SETTINGS, RULES, PROGRAMME)
    assert history[0] == (week_of(0), PROGRAMME.stage(1).stage)
    numbers = [stage.number for _, stage in history]
    assert numbers == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5]
    advanced = plan(week_of(3), runs, logs)
    assert kinds(advanced) == {"advance"} and advanced.stage.number == 2


def test_no_sessions_logged_means_no_advance():
    runs, _ = calm_history(8)
    assert {stage.number for _, stage in stage_history(week_of(7), runs, [], SETTINGS, RULES, PROGRAMME)} == {
        1
    }


def test_weekly_volume_jump_holds_instead_of_advancing():
    runs, logs = calm_history(6)
    monday = FIRST + timedelta(days=7 * 5)
    runs = [r for r in runs if not r.run_id.startswith("w5")]
    runs += [
        run(f"big{i}", local(monday + timedelta(days=i * 2)), distance_m=14000.0, duration_s=4700.0)
        for i in range(3)
    ]
    held = plan(week_of(6), runs, logs)
    assert kinds(held) == {"hold"}
    assert held.stage.number == 2  # stage 2 since week 3; without the jump it would now be 3
    assert set(held.adjustments[0].run_ids) == {"big0", "big1", "big2"}
    calm_runs, _ = calm_history(6)
    assert plan(week_of(6), calm_runs, logs).stage.number == 3


def test_logged_pain_regresses_and_leaves_out_every_plyometric_drill():
    runs, logs = calm_history(13)
    at_four = plan(week_of(10), runs, logs)
    assert at_four.stage.number == 4
    assert any(PROGRAMME.exercises[k].plyometric for s in at_four.sessions for k in keys(s))

    pain_day = FIRST + timedelta(days=7 * 12 + 2)
    painful = [*logs, LogEntry(99, pain_day, "pain", side="left", value=5)]
    p = plan(week_of(13), runs, painful)
    assert {"regress", "pain"} <= kinds(p)
    assert p.stage.number == 4  # stage 5 in week 12, one down
    # no plyometric drill for the 7 days from the pain on, at the foundations
    within = [s for s in p.sessions if s.date < pain_day + timedelta(days=7)]
    assert within and all(s.stage == 1 for s in within)
    assert not [k for s in within for k in keys(s) if PROGRAMME.exercises[k].plyometric]
    assert any("seek advice" in a.summary for a in p.adjustments if a.kind == "pain")
    assert any("seek advice" in str(note) for note in p.notes)
    assert not any("seek advice" in str(note) for note in plan(week_of(13), runs, logs).notes)


# ------------------------------------------------------------------------------------- rules in the plan


def test_trail_week_adds_lateral_work_citing_the_run():
    runs, logs = calm_history(11)
    trail = run("trail1", local(FIRST + timedelta(days=7 * 10 + 5)), surface="trail")
    runs = [r for r in runs if r.run_id != "w10d5"] + [trail]
    p = plan(week_of(11), runs, logs)
    lateral = [a for a in p.adjustments if a.kind == "more_lateral"]
    assert len(lateral) == 1 and lateral[0].run_ids == ("trail1",)
    assert p.stage.number == 4
    for slot in ("ankle-1", "ankle-2"):
        assert {"banded_inversion_eversion", "lateral_hops"} <= keys(by_slot(p)[slot])
        assert "trail" in by_slot(p)[slot].why

    early = plan(
        week_of(2),
        [*calm_history(2)[0], run("trail0", local(FIRST + timedelta(days=12)), surface="trail")],
        [],
    )
    assert early.stage.number == 1 and "more_lateral" in kinds(early)
    added = keys(by_slot(early)["ankle-1"])
    assert {"side_to_side_ankle_mobility", "single_leg_balance_free_leg_extended"} <= added
    assert "lateral_hops" not in added and "banded_inversion_eversion" not in added


def test_hill_session_dials_back_the_48_hours_after_it():
    runs, logs = calm_history(11)
    sunday = FIRST + timedelta(days=7 * 10 + 6)
    runs.append(run("hill1", local(sunday, 9), hill_session=True, climb_m_per_km=12.0))
    p = plan(week_of(11), runs, logs)
    dial = [a for a in p.adjustments if a.kind == "dial_back"]
    assert len(dial) == 1 and dial[0].run_ids == ("hill1",)
    tuesday, friday = by_slot(p)["ankle-1"], by_slot(p)["ankle-2"]
    assert tuesday.date == sunday + timedelta(days=2)
    assert not any(PROGRAMME.exercises[k].plyometric for k in keys(tuesday))
    calf = next(e for e in tuesday.exercises if e.key == "calf_raises")
    assert calf.dose == PROGRAMME.exercises["calf_raises"].light_dose
    assert "48 hours" in tuesday.why
    assert any(PROGRAMME.exercises[k].plyometric for k in keys(friday))
    assert next(e for e in friday.exercises if e.key == "calf_raises").dose == PROGRAMME.exercises[
        "calf_raises"
    ].dose(4)


def test_flat_easy_week_has_no_run_triggered_adjustment():
    runs, logs = calm_history(6)
    p = plan(week_of(5), runs, logs)
    assert p.adjustments == ()


def test_cadence_drop_adds_turnover_drills():
    runs, logs = calm_history(6)
    monday = FIRST + timedelta(days=7 * 5)
    runs = [r for r in runs if r.run_id != "w5d3"] + [
        run("low", local(monday + timedelta(days=3)), cadence_spm=156.0)
    ]
    p = plan(week_of(6), runs, logs)
    assert [a.run_ids for a in p.adjustments if a.kind == "cadence"] == [("low",)]
    assert "light_running_drills" in keys(by_slot(p)["ankle-1"])


# ----------------------------------------------------------------------------------------------- invariants


def rich_history(seed: int = 7, weeks: int = 40) -> tuple[list[Run], list[LogEntry]]:
    rng = random.Random(seed)
    runs, logs = [], []
    for w in range(weeks):
        monday = FIRST + timedelta(days=7 * w)
        for d in sorted(rng.sample(range(7), rng.choice((2, 3, 4)))):
            distance = rng.uniform(5000, 16000)
            runs.append(
                run(
                    f"r{w}-{d}",
                    local(monday + timedelta(days=d), rng.randint(5, 20)),
                    distance_m=distance,
                    duration_s=distance / rng.uniform(2.6, 3.4),
                    surface=rng.choice(("road", "road", "trail")),
                    hill_session=rng.random() < 0.2,
                    climb_m_per_km=rng.uniform(0, 35),
                    terrain_variability=100 * rng.random(),
                    cadence_spm=rng.gauss(168, 5),
                    gct_balance_left_pct=rng.gauss(50.5, 1.5),
                    gct_drift_pct=rng.gauss(2, 2.5),
                    cadence_drift_pct=rng.gauss(-1, 1.5),
                )
            )
        for d in rng.sample(range(7), rng.choice((1, 2, 3))):
            logs.append(LogEntry(len(logs) + 1, monday + timedelta(days=d), "session", value=15))
        if rng.random() < 0.1:
            logs.append(
                LogEntry(len(logs) + 1, monday + timedelta(days=3), "pain", value=rng.choice((2, 4, 7)))
            )
    return runs, logs


def test_every_session_holds_only_exercises_of_its_stage():
    runs, logs = rich_history()
    ids = {r.run_id for r in runs}
    seen = set()
    for p in plan_weeks([week_of(n) for n in range(41)], runs, logs, SETTINGS, RULES, PROGRAMME):
        regress = "regress" in kinds(p)
        text = " ".join(
            [*map(str, p.notes), *(s.why for s in p.sessions), *(a.summary + a.reason for a in p.adjustments)]
        )
        assert not any(word in text.lower() for word in ("injur", "diagnos", "treat"))
        pain_days = {c.date for a in p.adjustments if a.kind == "pain" for c in a.changes}
        for session in p.sessions:
            assert session.stage <= p.stage.number
            for exercise in session.exercises:
                entry = PROGRAMME.exercises[exercise.key]
                assert entry.allowed(session.stage), (p.week, session.slot, exercise.key)
                assert not (session.date in pain_days and entry.plyometric)
        for adjustment in p.adjustments:
            seen.add(adjustment.kind)
            assert adjustment.reason and adjustment.summary
            assert set(adjustment.run_ids) <= ids
            if adjustment.kind in RUN_TRIGGERED:
                assert adjustment.run_ids
    assert {"more_lateral", "dial_back", "advance", "regress"} <= seen


def test_same_inputs_give_the_same_plan_in_any_order():
    runs, logs = rich_history(seed=3)
    first = plan(week_of(30), runs, logs)
    shuffled_runs, shuffled_logs = runs[:], logs[:]
    random.Random(1).shuffle(shuffled_runs)
    random.Random(2).shuffle(shuffled_logs)
    again = plan(week_of(30), shuffled_runs, shuffled_logs)
    assert again == first and again.to_dict() == first.to_dict()


def test_a_day_never_depends_on_what_came_after_it():
    runs, logs = calm_history(6)
    before = plan(week_of(6), runs, logs)
    monday = FIRST + timedelta(days=7 * 6)
    # Monday 00:30 in Berlin is still Sunday in UTC: local time decides, so the run counts from Tuesday.
    later = [
        run("mon", local(monday, 0, 30), surface="trail", hill_session=True, distance_m=30000.0, duration_s=12000.0),
        run("thu", local(monday + timedelta(days=3)), surface="trail"),
    ]
    after = plan(week_of(6), [*runs, *later], logs)
    assert [s for s in after.sessions if s.date == monday] == [s for s in before.sessions if s.date == monday]
    assert {"more_lateral", "dial_back"} <= kinds(after)
    triggered = [c.date for a in after.adjustments if a.kind in ("more_lateral", "dial_back") for c in a.changes]
    assert min(triggered) == monday + timedelta(days=1)
    # pain counts from the day it is logged: Monday itself changes
    pain = plan(week_of(6), runs, [*logs, LogEntry(500, monday, "pain", value=8)])
    assert [a.from_day for a in pain.adjustments if a.kind == "pain"] == [monday]
    sunday_night = run("sun", local(monday - timedelta(days=1), 23, 30), surface="trail")
    assert "more_lateral" in kinds(plan(week_of(6), [*runs, sunday_night], logs))


def test_week_shape_follows_the_settings():
    runs, logs = calm_history(3)
    p = plan(week_of(3), runs, logs)
    monday = week_start(p.week)
    slots = [s.slot for s in p.sessions]
    assert slots == ["warmup-mon", "ankle-1", "warmup-wed", "warmup-thu", "ankle-2", "warmup-sat", "flow"]
    assert [s.date for s in p.sessions] == [monday + timedelta(days=i) for i in range(7)]
    warmups = [s for s in p.sessions if s.kind == "warmup"]
    assert all(5 <= s.duration_min <= 7 for s in warmups)
    flow = by_slot(p)["flow"]
    assert flow.duration_min > max(s.duration_min for s in p.sessions if s.kind == "ankle")
    assert any(str(note).lower().startswith("pain means back off") for note in p.notes)

    custom = Settings(timezone="Europe/Berlin", ankle_days=(0, 3), flow_day=5)
    q = plan(week_of(3), runs, logs, custom)
    assert [(s.slot, s.date.weekday()) for s in q.sessions if s.kind != "warmup"] == [
        ("ankle-1", 0),
        ("ankle-2", 3),
        ("flow", 5),
    ]
    assert [s.slot for s in q.sessions if s.kind == "warmup"] == [
        "warmup-tue",
        "warmup-wed",
        "warmup-fri",
        "warmup-sun",
    ]


def test_emphasis_rotates_week_by_week():
    runs, logs = calm_history(2)
    titles = [by_slot(plan(week_of(n), runs, logs))["ankle-1"].title for n in (2, 3, 4, 5)]
    emphases = [title.split(": ")[1] for title in titles]
    assert len(set(emphases[:3])) == 3 and emphases[3] == emphases[0]
    assert by_slot(plan(week_of(2), runs, logs))["ankle-1"].focus[0] in emphases[0]


def test_plan_weeks_matches_plan_week():
    runs, logs = rich_history(seed=11, weeks=12)
    weeks = [iso_week(FIRST - timedelta(days=14)), week_of(4), week_of(9), week_of(12)]
    assert plan_weeks(weeks, runs, logs, SETTINGS, RULES, PROGRAMME) == [plan(w, runs, logs) for w in weeks]


def test_no_data_gives_the_first_stage_and_a_full_week():
    p = plan("2026-W20", [], [])
    assert p.stage.number == 1 and p.adjustments == ()
    assert len(p.sessions) == 7 and p.notes


def test_json_has_the_contract_keys():
    runs, logs = calm_history(4)
    data = plan(week_of(4), runs, logs).to_dict()
    assert set(data) >= {"week", "stage", "adjustments", "sessions"}
    assert set(data["stage"]) == {"number", "name"}
    session = data["sessions"][0]
    assert {"date", "title", "duration_min", "focus", "exercises"} <= set(session)
    assert set(session["exercises"][0]) >= {"name", "dose", "focus"}
    assert isinstance(session["duration_min"], int)


def test_soreness_lowers_the_sets_of_that_day_only():
    runs, logs = calm_history(4)
    tuesday = FIRST + timedelta(days=7 * 4 + 1)
    before = plan(week_of(4), runs, logs)
    sore = plan(week_of(4), runs, [*logs, LogEntry(900, tuesday, "soreness", value=5)])
    adjustment = next(a for a in sore.adjustments if a.kind == "soreness")
    assert {c.date for c in adjustment.changes} <= {tuesday, tuesday + timedelta(days=1)}
    calf = lambda p, d: next(e for s in p.sessions if s.date == d for e in s.exercises if e.key == "calf_raises")  # noqa: E731
    assert calf(sore, tuesday).sets == calf(before, tuesday).sets - 1
    friday = tuesday + timedelta(days=3)
    assert [s for s in sore.sessions if s.date == friday] == [s for s in before.sessions if s.date == friday]
