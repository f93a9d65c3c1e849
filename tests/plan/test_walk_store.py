"""Plans walked from the stored stage history equal plans walked from the first run, and any new or removed run,
signal or log entry forgets the stored weeks after it."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from stridelink import app
from stridelink import columns as col
from stridelink.models import Activity, Signals
from stridelink.plan.activities import distinct_runs
from stridelink.plan.planner import plan_weeks
from stridelink.plan.programme import load_programme
from stridelink.plugins import get_rules
from stridelink.store.library import Library
from stridelink.weeks import iso_week, week_start

FIRST = date(2025, 1, 6)
WEEKS = 30


def _add_run(library: Library, n: int, start: datetime, *, trail: bool = False, hill: bool = False) -> None:
    duration, distance = 2700.0 + 60 * (n % 7), 8000.0 + 150 * (n % 5)
    samples = pd.DataFrame({col.TIMESTAMP: pd.to_datetime([start, start + timedelta(seconds=duration)], utc=True),
                            col.DISTANCE: [0.0, distance]})
    signals = Signals(method_version=1, distance_m=distance, duration_s=duration, cadence_spm=168.0 + n % 3,
                      speed_mps=distance / duration, gct_balance_left_pct=50.0 + (n % 3) / 10,
                      surface="trail" if trail else "road", hill_session=hill, climb_m_per_km=25.0 if hill else 4.0,
                      terrain_variability=70.0 if trail else 10.0, gct_drift_pct=1.0, cadence_drift_pct=-0.5)
    activity = Activity("running", "trail" if trail else "road", start, "fit", samples)
    sha = hashlib.sha256(f"walk store run {n}".encode()).hexdigest()
    library.add_file(sha, f"run-{n}.fit", sha.encode(), "fit", [(activity, signals)])


def _library() -> Library:
    library = Library.open()
    n = 0
    for week in range(WEEKS):
        if 12 <= week < 15:
            continue  # a three-week break
        monday = FIRST + timedelta(weeks=week)
        for day in (0, 2, 5):
            n += 1
            start = datetime.combine(monday + timedelta(days=day), datetime.min.time(), UTC) + timedelta(hours=7)
            _add_run(library, n, start, trail=day == 5 and week % 2 == 0, hill=day == 2 and week % 5 == 0)
        for day in (1, 4):
            library.add_log(monday + timedelta(days=day), "session", value=20.0)
    library.add_log(FIRST + timedelta(weeks=8, days=3), "pain", side="left", value=4.0)
    return library


def _full(library: Library, weeks: list[str]):
    """The same weeks walked from the first run over everything the library holds."""
    return plan_weeks(weeks, distinct_runs(library.runs()), library.logs(), library.settings, get_rules(),
                      load_programme())


def test_a_plan_from_the_stored_walk_equals_one_from_the_first_run() -> None:
    with _library() as library:
        weeks = [iso_week(FIRST + timedelta(weeks=w)) for w in (5, 16, 22, 29)]
        cold = [app.plan_week(library, week) for week in weeks[-1:]]  # walks everything, stores the walk
        assert library.walk_state(week_start(weeks[-1]), app._fingerprint(library, load_programme(), get_rules()))
        warm = [app.plan_week(library, week) for week in weeks]  # each starts from a stored state
        assert warm[-1] == cold[0]
        assert warm == _full(library, weeks)
        assert any(p.adjustments for p in warm)


def test_new_runs_and_logs_forget_the_weeks_after_them() -> None:
    with _library() as library:
        last = iso_week(FIRST + timedelta(weeks=WEEKS - 1))
        fingerprint = app._fingerprint(library, load_programme(), get_rules())
        app.plan_week(library, last)
        stored = library.walk_state(week_start(last), fingerprint)
        assert stored is not None and stored["week"] == last
        # an old trail run in week 3: every stored week after it is forgotten, and the plan follows it
        _add_run(library, 999, datetime(2025, 1, 29, 7, tzinfo=UTC), trail=True)
        kept = library.walk_state(week_start(last), fingerprint)
        assert kept is not None and week_start(kept["week"]) <= date(2025, 1, 29)
        assert app.plan_week(library, last) == _full(library, [last])[0]
        # a pain entry logged in week 20 forgets weeks 20 on
        library.add_log(FIRST + timedelta(weeks=20, days=2), "pain", value=6.0)
        kept = library.walk_state(week_start(last), fingerprint)
        assert kept is not None and week_start(kept["week"]) <= FIRST + timedelta(weeks=20, days=2)
        assert app.plan_week(library, last) == _full(library, [last])[0]
        # other settings never reuse the stored walk
        assert library.walk_state(week_start(last), "another fingerprint") is None


def _long_break_library() -> Library:
    """Six weeks of running, half a year off (a pain entry in the middle of it), six weeks back."""
    library = Library.open()
    n = 0
    for week in [*range(6), *range(32, 38)]:
        monday = FIRST + timedelta(weeks=week)
        for day in (0, 3):
            n += 1
            start = datetime.combine(monday + timedelta(days=day), datetime.min.time(), UTC) + timedelta(hours=7)
            _add_run(library, n, start, trail=day == 3)
    library.add_log(FIRST + timedelta(weeks=20, days=2), "pain", value=7.0)
    return library


def test_weeks_that_only_prolong_a_break_hold_the_stage_as_the_rules_would() -> None:
    from stridelink.plan.planner import History, WalkState, walk

    with _long_break_library() as library:
        settings, programme = library.settings, load_programme()
        history = History(distinct_runs(library.runs()), library.logs(), settings.tz)
        last = iso_week(FIRST + timedelta(weeks=40))
        calls: list[str] = []
        rules = [*get_rules()]
        counting = rules[0].__class__(name="zz_counting", evaluate=lambda ctx: calls.append(ctx.week) or [])
        every = [iso_week(FIRST + timedelta(weeks=w)) for w in range(41)]
        start = WalkState(iso_week(FIRST), 3)  # entering at stage 3, so that a step back shows
        quick = walk(last, history, settings, [*rules, counting], programme, start)
        consulted = set(calls)
        full = walk(last, history, settings, rules, programme, start, keep=every)
        assert [w.state for w in quick] == [w.state for w in full]
        assert [w.week for w in quick] == every
        quiet = {w.week for w in quick if w.quiet}
        # nine weeks into the break (the rules' reach) until the Monday before the pain entry, then nine weeks
        # after it until the Monday the running resumes (that Monday sees only the days before it)
        assert quiet == {iso_week(FIRST + timedelta(weeks=w)) for w in (*range(15, 21), *range(30, 33))}
        assert not quiet & consulted and consulted | quiet == set(every)
        stage = {w.week: w.state.stage for w in full}
        # one stage down as the break begins, one more for the pain entry logged during it
        assert [stage[iso_week(FIRST + timedelta(weeks=w))] for w in (7, 8, 20, 21, 30)] == [3, 2, 2, 1, 1]


def test_plans_walked_from_sparse_stored_states_equal_plans_from_the_first_run() -> None:
    with _long_break_library() as library:
        weeks = [iso_week(FIRST + timedelta(weeks=w)) for w in (3, 14, 20, 25, 33, 40)]
        app.plan_week(library, weeks[-1])  # stores the states of the weeks decided in full only
        stored = library.db.execute("SELECT count(*) FROM plan_walk").fetchone()[0]
        assert stored < 41
        assert [app.plan_week(library, week) for week in weeks] == _full(library, weeks)
