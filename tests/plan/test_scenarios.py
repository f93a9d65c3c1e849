"""The weekly plan end to end: generated watch files imported into a library, then planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from stridelink.importer import import_paths
from stridelink.plan.programme import load_programme
from stridelink.store.library import Library
from stridelink.demo.simulator import make_run, to_fit
from stridelink.app import plan_week as plan_for

WEEK = "2026-W10"  # Monday 2 March 2026
MONDAY = date(2026, 3, 2)
EASY_DAYS = (0, 2, 5)  # Mon, Wed, Sat


@lru_cache(maxsize=None)
def _fit(kind: str, day: date, seed: int, duration_s: float | None = 2400) -> bytes:
    start = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    return to_fit(make_run(kind, start, seed=seed, duration_s=duration_s, record_interval_s=4))


def _baseline() -> list[tuple[str, date, int, float | None]]:
    """Four ordinary weeks before the one judged: three easy road runs each."""
    first = MONDAY - timedelta(weeks=5)
    return [("easy_road", first + timedelta(weeks=w, days=d), 10 * w + d, 2400) for w in range(4) for d in EASY_DAYS]


def _recent(*extra: tuple[str, int, float | None], easy: tuple[int, ...] = EASY_DAYS):
    start = MONDAY - timedelta(weeks=1)
    runs = [("easy_road", start + timedelta(days=d), 100 + d, 2400) for d in easy]
    runs += [(kind, start + timedelta(days=d), 200 + d, duration) for kind, d, duration in extra]
    return runs


def _plan(tmp_path, runs, logs=()):
    folder = tmp_path / "watch"
    folder.mkdir(exist_ok=True)
    for kind, day, seed, duration in runs:
        (folder / f"{day.isoformat()}-{kind}.fit").write_bytes(_fit(kind, day, seed, duration))
    with Library.open() as library:
        results = import_paths(library, [folder])
        assert {r.status for r in results} == {"imported"}
        for day, kind, value in logs:
            library.add_log(day, kind, value=value, side="left" if kind == "pain" else None)
        ids = {Path(r.path).name: r.run_ids[0] for r in results}
        return plan_for(library, WEEK), ids


def _kinds(plan):
    return {a.kind: a for a in plan.adjustments}


def test_a_trail_week_gives_more_lateral_citing_that_run(tmp_path) -> None:
    trail_day = MONDAY - timedelta(days=4)
    plan, ids = _plan(tmp_path, _baseline() + _recent(("trail", 3, 2400), easy=(0, 5)))
    lateral = _kinds(plan)["more_lateral"]
    assert lateral.run_ids == (ids[f"{trail_day.isoformat()}-trail.fit"],)
    assert lateral.reason
    assert any("lateral" in s.focus for s in plan.sessions if s.kind == "ankle")


def test_a_hill_session_on_sunday_dials_back_monday_and_tuesday(tmp_path) -> None:
    hill_day = MONDAY - timedelta(days=1)
    plan, ids = _plan(tmp_path, _baseline() + _recent(("hill_repeats", 6, None), easy=(0, 2)))
    kinds = _kinds(plan)
    assert kinds["dial_back"].run_ids == (ids[f"{hill_day.isoformat()}-hill_repeats.fit"],)
    assert "more_lateral" not in kinds  # road hill repeats are climbing, not rough ground
    assert {c.date for c in kinds["dial_back"].changes} <= {MONDAY, MONDAY + timedelta(days=1)}


def test_a_flat_easy_week_gives_neither(tmp_path) -> None:
    plan, _ = _plan(tmp_path, _baseline() + _recent())
    assert not {"more_lateral", "dial_back", "hold", "regress"} & set(_kinds(plan))


def test_a_jump_in_weekly_volume_holds_and_says_so(tmp_path) -> None:
    plan, _ = _plan(tmp_path, _baseline() + _recent(("long_run", 1, 6000), ("long_run", 6, 6000)))
    # no advance was due, so the hold changes no dose: a note, not an adjustment
    hold = [n for n in plan.notes if n.kind == "hold"]
    assert "hold" not in _kinds(plan) and hold and "no progression step was due" in hold[0].summary
    assert len(hold[0].run_ids) >= 4


def test_logged_pain_keeps_the_foundations_with_no_plyometrics(tmp_path) -> None:
    plan, _ = _plan(tmp_path, _baseline() + _recent(), logs=[(MONDAY - timedelta(days=2), "pain", 5.0)])
    assert "pain" in _kinds(plan)
    plyometric = {e.key for e in load_programme().exercises.values() if e.plyometric}
    assert not [e.key for s in plan.sessions for e in s.exercises if e.key in plyometric]
    assert any("seek advice" in str(note) for note in plan.notes)


def test_three_calm_weeks_with_sessions_done_advance(tmp_path) -> None:
    sessions = [(MONDAY - timedelta(weeks=w, days=d), "session", 20.0) for w in (0, 1, 2) for d in (2, 5)]
    plan, _ = _plan(tmp_path, _baseline() + _recent(), logs=sessions)
    assert "advance" in _kinds(plan)
    assert plan.stage.number == 2


def test_the_same_library_gives_the_same_plan(tmp_path) -> None:
    first, _ = _plan(tmp_path, _baseline() + _recent(("trail", 3, 2400), easy=(0, 5)))
    with Library.open() as library:
        assert plan_for(library, WEEK) == first
