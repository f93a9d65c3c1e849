"""The athlete's own habit: what their recent weeks looked like, so a week is judged against them.

A habit is measured on the full weeks before the week planned (up to ``BASELINE_WEEKS``), leaving out the
partial first week of the history and anything before the last break. While fewer than ``MIN_WEEKS`` such
weeks exist the rules fall back to the population figures documented in docs/programme.md.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from stridelink.models import Run, Signals

BASELINE_WEEKS = 6
MIN_WEEKS = 3
TRAIL_CLIMB_M_PER_KM = 20.0  # dense climbing reads as trail-like on rough ground (DOMAIN 3.4)
ROUGH_TERRAIN_SCORE = 50.0  # the terrain score from which a run reads as trail (docs/signals.md)
LONG_RUN_FACTOR = 1.25  # a week's longest run is its long run when this much longer than the others (median)
HABIT_SHARE = 0.5  # a habit: in at least half of the baseline weeks


def local_day(run: Run, tz: tzinfo) -> date:
    return run.start_utc.astimezone(tz).date()


def distance_m(run: Run) -> float:
    value = run.signals.distance_m if run.signals and run.signals.distance_m is not None else run.distance_m
    return float(value or 0.0)


def duration_s(run: Run) -> float:
    value = run.signals.duration_s if run.signals and run.signals.duration_s is not None else run.duration_s
    return float(value or 0.0)


def is_trail(run: Run) -> bool:
    s: Signals | None = run.signals
    if run.sub_sport == "trail" or (s is not None and s.surface == "trail"):
        return True
    if s is None or s.climb_m_per_km is None or s.terrain_variability is None:
        return False
    return s.climb_m_per_km >= TRAIL_CLIMB_M_PER_KM and s.terrain_variability >= ROUGH_TERRAIN_SCORE


def is_hill(run: Run) -> bool:
    return bool(run.signals and run.signals.hill_session)


def descent_m_per_km(run: Run) -> float | None:
    s = run.signals
    km = distance_m(run) / 1000
    if s is None or km <= 0:
        return None
    loss = s.elevation_loss_m if s.elevation_loss_m is not None else s.device_descent_m
    return None if loss is None else loss / km


def is_flat(run: Run) -> bool:
    s = run.signals
    return bool(s) and not s.hill_session and (s.climb_m_per_km is None or s.climb_m_per_km < TRAIL_CLIMB_M_PER_KM)


@dataclass(frozen=True, slots=True)
class Habit:
    """Means per week over ``weeks`` full baseline weeks (0: no usable baseline yet)."""

    weeks: int
    runs_per_week: float = 0.0
    distance_m_per_week: float = 0.0
    duration_s_per_week: float = 0.0
    trail_min_per_week: float = 0.0
    trail_weeks: int = 0  # weeks with at least one trail run
    hill_per_week: float = 0.0
    hill_weeks: int = 0
    hill_descent_m_per_km: float | None = None  # median over the baseline's hill sessions
    climb_m_per_km: float | None = None  # median over all baseline runs
    gct_balance_left_pct: float | None = None  # mean over flat runs with running dynamics
    gct_balance_sd: float | None = None
    gct_balance_runs: int = 0
    long_run_weekday: int | None = None  # Monday = 0
    hill_weekday: int | None = None

    @property
    def enough(self) -> bool:
        return self.weeks >= MIN_WEEKS

    @property
    def trail_habit(self) -> bool:
        return self.enough and self.trail_weeks >= max(2, HABIT_SHARE * self.weeks)

    @property
    def hill_habit(self) -> bool:
        return self.enough and self.hill_weeks >= max(2, HABIT_SHARE * self.weeks)


def measure(runs: Sequence[Run], monday: date, tz: tzinfo, *, since: date | None,
            days: Sequence[date] | None = None) -> Habit:
    """The habit of the full weeks before ``monday`` that start on or after ``since`` (the first Monday after
    the history began, or after the last break); ``runs`` are those of the baseline window, oldest first, and
    ``days`` their local days when known."""
    first = monday - timedelta(weeks=BASELINE_WEEKS)
    if since is not None and since > first:
        first = since
    weeks = max((monday - first).days // 7, 0)
    if weeks == 0:
        return Habit(0)
    dated = zip(days, runs, strict=True) if days is not None else ((local_day(run, tz), run) for run in runs)
    used = [(day, run) for day, run in dated if first <= day < monday]
    by_week: dict[int, list[Run]] = {}
    for day, run in used:
        by_week.setdefault((day - first).days // 7, []).append(run)
    trail_min = sum(duration_s(run) for _, run in used if is_trail(run)) / 60
    hills = [run for _, run in used if is_hill(run)]
    descents = [d for d in (descent_m_per_km(run) for run in hills) if d is not None]
    climbs = [run.signals.climb_m_per_km for _, run in used if run.signals and run.signals.climb_m_per_km is not None]
    balance = [
        run.signals.gct_balance_left_pct
        for _, run in used
        if is_flat(run) and run.signals and run.signals.gct_balance_left_pct is not None
    ]
    day_of = {run.run_id: day for day, run in used}
    longest: list[int] = []
    for week_runs in by_week.values():
        if len(week_runs) >= 2:
            ordered = sorted(week_runs, key=duration_s)
            others = statistics.median(duration_s(r) for r in ordered[:-1])
            if duration_s(ordered[-1]) >= LONG_RUN_FACTOR * others:  # clearly the week's long run
                longest.append(day_of[ordered[-1].run_id].weekday())
    hill_days = [day_of[run.run_id].weekday() for run in hills]
    return Habit(
        weeks=weeks,
        runs_per_week=len(used) / weeks,
        distance_m_per_week=sum(distance_m(run) for _, run in used) / weeks,
        duration_s_per_week=sum(duration_s(run) for _, run in used) / weeks,
        trail_min_per_week=trail_min / weeks,
        trail_weeks=sum(1 for rs in by_week.values() if any(is_trail(r) for r in rs)),
        hill_per_week=len(hills) / weeks,
        hill_weeks=sum(1 for rs in by_week.values() if any(is_hill(r) for r in rs)),
        hill_descent_m_per_km=statistics.median(descents) if descents else None,
        climb_m_per_km=statistics.median(climbs) if climbs else None,
        gct_balance_left_pct=statistics.fmean(balance) if balance else None,
        gct_balance_sd=_sd(balance) if len(balance) >= 2 else None,
        gct_balance_runs=len(balance),
        long_run_weekday=_habitual_day(longest, weeks),
        hill_weekday=_habitual_day(hill_days, weeks),
    )


def _sd(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def _habitual_day(days: Sequence[int], weeks: int) -> int | None:
    if weeks < MIN_WEEKS or not days:
        return None
    day, count = Counter(days).most_common(1)[0]
    return day if count >= max(2, HABIT_SHARE * weeks) else None
