"""The built-in plan rules, registered like any plugin's.

The planner asks every rule once per day of the week (``RuleContext.day``), with the runs that started
before that day and the log entries it may see. Rules propose ``Adjustment``s (what kind of change, from
which day, naming the runs and log entries behind it); the planner's composer turns them into concrete dose
changes in one documented precedence. A rule that cannot judge the day says so with ``NotChecked``; a
steady habit is a ``Note``. The evidence behind each rule, and where it is only coaching convention, is in
each ``reason`` and in docs/programme.md; none of them judges a cause.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from datetime import date, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from stridelink.hookspecs import hookimpl
from stridelink.models import Adjustment, LogEntry, NotChecked, Note, Rule, RuleContext, Run
from stridelink.plan.baseline import (
    Habit,
    descent_m_per_km,
    distance_m,
    duration_s,
    is_flat,
    is_hill,
    is_trail,
    local_day,
)
from stridelink.plan.programme import Programme, load_programme

# Trail above the habit: the 7 days' trail minutes beyond both of these over the weekly habit.
TRAIL_ABOVE_FACTOR = 1.5
TRAIL_ABOVE_MIN = 20.0
HILL_DESCENT_FACTOR = 1.5  # a hill session this much steeper downhill than the usual ones is above the habit
DIAL_BACK_DAYS = 2  # the two days after a hill session
# Weekly load: more than 30 % above the mean of the baseline weeks (Nielsen et al. 2014).
LOAD_SPIKE_RATIO = 1.30
MIN_LOAD_WEEKS = 2
# Cadence: this far below the mean of baseline runs within PACE_MATCH of the same speed.
CADENCE_DROP_FRACTION = 0.05
PACE_MATCH_FRACTION = 0.10
MIN_COMPARABLE_RUNS = 3
# Ground-contact balance: a shift from the athlete's own mean, or (fallback) Garmin's "fair" zone edge.
GCT_SHIFT_PCT = 1.5
GCT_BALANCE_LIMIT_PCT = 52.2
MIN_BALANCE_BASELINE_RUNS = 4
MIN_IMBALANCED_RUNS = 2
# Fatigue drift (first vs last third of a run), beyond the athlete's usual drift by these margins.
GCT_DRIFT_MARGIN_PCT = 3.0
CADENCE_DRIFT_MARGIN_PCT = 2.0
MIN_DRIFT_BASELINE_RUNS = 3
# Capacity tests: knee-to-wall error (cm; about the lunge test's 4.6-4.7 degree MDC), balance and calf-raise
# differences counted only beyond these fractions (coaching convention).
KNEE_TO_WALL_MDC_CM = 1.3
BALANCE_DIFF_FRACTION = 0.25
CALF_RAISE_DIFF_FRACTION = 0.15
CAPACITY_KINDS = {"knee_to_wall": "dorsiflexion", "balance": "balance", "calf_raise": "calf_strength"}
SORENESS_MIN = 2.0


# ----------------------------------------------------------------------------------------------- helpers


def _tz(ctx: RuleContext) -> tzinfo:
    settings = ctx.settings
    return settings.tz if settings is not None else ZoneInfo("UTC")


def _habit(ctx: RuleContext) -> Habit:
    return ctx.habit if ctx.habit is not None else Habit(0)


def _is_monday(ctx: RuleContext) -> bool:
    return ctx.day is None or ctx.day == ctx.week_start


def _programme(ctx: RuleContext) -> Programme:
    return ctx.programme if ctx.programme is not None else load_programme()


def day_label(day: date) -> str:
    """``Sat 6 Dec``, the same in every locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _runs_label(runs: Sequence[Run], tz: tzinfo) -> str:
    days = sorted({local_day(run, tz) for run in runs})
    return f"{len(runs)} run{'s' if len(runs) != 1 else ''} ({', '.join(day_label(d) for d in days)})"


def _ids(runs: Sequence[Run]) -> tuple[str, ...]:
    return tuple(run.run_id for run in runs)


def _logs_between(logs: Sequence[LogEntry], start: date, end: date) -> list[LogEntry]:
    """Entries on local days in [start, end); ``logs`` are oldest first, so the scan stops early."""
    found = []
    for log in reversed(logs):
        if log.day < start:
            break
        if log.day < end:
            found.append(log)
    return found[::-1]


def _pain_value(log: LogEntry) -> float:
    return float("inf") if log.value is None else log.value


def _no_dynamics(ctx: RuleContext, rule: str, what: str) -> list[Any]:
    if not ctx.recent_runs:
        return [NotChecked(rule, "no runs in the 7 days before")]
    return [NotChecked(rule, f"no {what} in the files of the last 7 days (a GPX or phone recording has none)")]


# ----------------------------------------------------------------------------------------------- terrain


def trail_exposure(ctx: RuleContext) -> list[Any]:
    """Trail or rough, climbing terrain above the athlete's own habit -> more lateral and balance work."""
    tz = _tz(ctx)
    habit = _habit(ctx)
    trail = [run for run in ctx.recent_runs if is_trail(run)]
    out: list[Any] = []
    if _is_monday(ctx) and habit.trail_habit:
        out.append(
            Note(
                "standing_lateral",
                f"Trail running is part of your usual weeks (trail in {habit.trail_weeks} of your last "
                f"{habit.weeks} weeks, {habit.trail_min_per_week:.0f} min a week): side-to-side and balance "
                "work stands in every ankle session, and the stages keep progressing.",
            )
        )
    if not trail:
        return out
    minutes = sum(duration_s(run) for run in trail) / 60
    if habit.enough:
        usual = habit.trail_min_per_week
        limit = max(usual * TRAIL_ABOVE_FACTOR, usual + TRAIL_ABOVE_MIN)
        if minutes <= limit:
            return out
        judged = (
            f"{minutes:.0f} min of trail in 7 days against your usual {usual:.0f} min a week "
            f"(last {habit.weeks} weeks)"
        )
    else:
        out.append(
            NotChecked(
                "trail_exposure: personal baseline",
                f"only {habit.weeks} full week(s) of history (3 needed): any trail run counts, not your own habit",
            )
        )
        judged = f"{minutes:.0f} min of trail in 7 days"
    out.append(
        Adjustment(
            kind="more_lateral",
            summary=(
                f"Trail or rough terrain in {_runs_label(trail, tz)}, {judged}: the ankle sessions of the "
                "following days add side-to-side (inversion/eversion) and single-leg balance volume."
            ),
            reason=(
                "Progressive balance and proprioceptive programmes went with fewer ankle sprains in trials "
                "(McGuine & Keene 2006, school athletes, RR 0.56; Hupperets et al. 2009, athletes after a "
                "sprain, RR 0.63; pooled RR 0.65 over 7 trials). None of them tested runners or trail "
                "exposure: adding the work after uneven ground is coaching convention built on them."
            ),
            run_ids=_ids(trail),
            rule="trail_exposure",
            from_day=ctx.today,
        )
    )
    return out


def hill_recovery(ctx: RuleContext) -> list[Any]:
    """A hill session above the athlete's habit -> lighter calf and plyometric work the next two days."""
    tz = _tz(ctx)
    habit = _habit(ctx)
    today = ctx.today
    hills = [
        run for run in ctx.recent_runs if is_hill(run) and today - timedelta(days=DIAL_BACK_DAYS) <= local_day(run, tz)
    ]
    if not hills:
        return []
    usual_count = math.ceil(habit.hill_per_week - 1e-9)
    week_hills = [run for run in ctx.recent_runs if is_hill(run)]
    above: list[Run] = []
    why = ""
    for run in hills:
        descent = descent_m_per_km(run)
        steeper = (
            habit.hill_descent_m_per_km is not None
            and descent is not None
            and descent > HILL_DESCENT_FACTOR * habit.hill_descent_m_per_km
        )
        if not habit.enough:
            above.append(run)
            why = "fewer than 3 weeks of history: every hill session counts"
        elif not habit.hill_habit:
            above.append(run)
            why = f"hill sessions in {habit.hill_weeks} of your last {habit.weeks} weeks"
        elif len(week_hills) > max(usual_count, 1):
            above.append(run)
            why = f"{len(week_hills)} hill sessions in 7 days against your usual {habit.hill_per_week:.1f} a week"
        elif steeper:
            above.append(run)
            why = (
                f"{descent:.0f} m of descent per km against your usual {habit.hill_descent_m_per_km:.0f} m/km"
            )
    if not above:
        if _is_monday(ctx) or any(local_day(r, tz) == today - timedelta(days=1) for r in hills):
            return [
                Note(
                    "hill_habit",
                    f"Hill session in {_runs_label(hills, tz)} is within your habit (hills in {habit.hill_weeks} "
                    f"of your last {habit.weeks} weeks): no dial-back.",
                    _ids(hills),
                )
            ]
        return []
    last = max(local_day(run, tz) for run in above)
    return [
        Adjustment(
            kind="dial_back",
            summary=(
                f"Hill session in {_runs_label(above, tz)}, above your habit ({why}): calf-loading and hopping "
                f"work is lighter for the 48 hours after it (to {day_label(last + timedelta(days=DIAL_BACK_DAYS))}); "
                "mobility stays."
            ),
            reason=(
                "Neves et al. 2014 (20 trained women, 30 min at -6 %, 0 and +6 % grade, same effort) found "
                "Achilles cross-sectional area about 5-7 % smaller after all three conditions alike, and the "
                "highest peak vertical force downhill; they advise a gradual transition to downhill running. "
                "They did not test recovery time or calf exercise, so the 48 hours of lighter calf and "
                "hopping work is coaching convention."
            ),
            run_ids=_ids(above),
            rule="hill_recovery",
            from_day=today,
        )
    ]


# ----------------------------------------------------------------------------------------------- load


def load_spike(ctx: RuleContext) -> list[Any]:
    """Last week's distance or time > 30 % above the athlete's weekly mean -> hold the stage."""
    if not _is_monday(ctx):
        return []
    state = ctx.state
    if state is not None and (state.on_break or state.weeks_back):
        return [NotChecked("load_spike", "back from a break: the weekly load baseline starts again")]
    habit = _habit(ctx)
    if habit.weeks < MIN_LOAD_WEEKS:
        return [NotChecked("load_spike", f"only {habit.weeks} full week(s) of history ({MIN_LOAD_WEEKS} needed)")]
    if not ctx.recent_runs:
        return []
    recent_m = sum(distance_m(run) for run in ctx.recent_runs)
    recent_s = sum(duration_s(run) for run in ctx.recent_runs)
    parts = []
    for recent, mean, text in (
        (recent_m, habit.distance_m_per_week, lambda r, m: f"distance {r / 1000:.1f} km"),
        (recent_s, habit.duration_s_per_week, lambda r, m: f"running time {r / 3600:.1f} h"),
    ):
        if mean > 0 and recent / mean > LOAD_SPIKE_RATIO:
            parts.append(f"{text(recent, mean)} was {recent / mean:.2f} x your {habit.weeks}-week mean")
    if not parts:
        return []
    return [
        Adjustment(
            kind="hold",
            summary=(
                f"Last week's {' and '.join(parts)}: the stage holds this week, with no new progression step. "
                "The ratio is shown for context; it is not a prediction."
            ),
            reason=(
                "Nielsen et al. 2014 (874 novice runners) saw more distance-related running complaints after weekly "
                "distance rose by more than 30 % over two weeks (hazard ratio 1.59, 95 % CI 0.96-2.66, not "
                "significant). Load ratios cannot forecast anything for one runner (Impellizzeri et al. 2020), "
                "so the plan only pauses its own progression."
            ),
            run_ids=_ids(ctx.recent_runs),
            rule="load_spike",
            from_day=ctx.week_start,
        )
    ]


# ----------------------------------------------------------------------------------------------- running dynamics


def cadence_drop(ctx: RuleContext) -> list[Any]:
    """Cadence > 5 % below the athlete's own runs at a similar pace -> quick, light turnover drills."""
    recent = [r for r in ctx.recent_runs if r.signals and r.signals.cadence_spm and r.signals.speed_mps]
    if not recent:
        return _no_dynamics(ctx, "cadence_drop", "cadence") if _is_monday(ctx) else []
    baseline = [
        r.signals for r in ctx.baseline_runs
        if r.signals and r.signals.cadence_spm and r.signals.speed_mps and not r.signals.hill_session
    ]
    flagged: list[tuple[Run, float, float]] = []
    compared = 0
    for run in recent:
        s = run.signals
        if s.hill_session:  # type: ignore[union-attr]
            continue
        low, high = s.speed_mps * (1 - PACE_MATCH_FRACTION), s.speed_mps * (1 + PACE_MATCH_FRACTION)  # type: ignore
        similar = [
            b.cadence_spm for b in baseline
            if low <= b.speed_mps <= high and (b.surface == "trail") == (s.surface == "trail")  # type: ignore
        ]
        if len(similar) < MIN_COMPARABLE_RUNS:
            continue
        compared += 1
        usual = statistics.fmean(similar)  # type: ignore[arg-type]
        if s.cadence_spm < usual * (1 - CADENCE_DROP_FRACTION):  # type: ignore
            flagged.append((run, s.cadence_spm, usual))  # type: ignore
    if not compared:
        if _is_monday(ctx):
            return [NotChecked("cadence_drop", f"fewer than {MIN_COMPARABLE_RUNS} earlier runs at a similar pace")]
        return []
    if not flagged:
        return []
    tz = _tz(ctx)
    details = "; ".join(
        f"{day_label(local_day(run, tz))}: {spm:.0f} spm vs your usual {usual:.0f} ({(spm / usual - 1) * 100:+.0f} %)"
        for run, spm, usual in flagged
    )
    return [
        Adjustment(
            kind="cadence",
            summary=(
                f"Cadence well below your usual at a similar pace ({details}): the ankle sessions add quick, "
                "light turnover drills at a step rate 5-10 % above your usual."
            ),
            reason=(
                "Heiderscheit et al. 2011 (45 runners, one lab session) found that a 5-10 % higher step rate "
                "lowered the load absorbed at the knee and hip; it did not test ankle drills or running complaints. The "
                "reference here is your own pace-matched runs, not a universal target such as 180 spm."
            ),
            run_ids=tuple(run.run_id for run, _, _ in flagged),
            rule="cadence_drop",
            from_day=ctx.today,
        )
    ]


def gct_imbalance(ctx: RuleContext) -> list[Any]:
    """Ground-contact balance shifted from the athlete's own mean on flatter runs -> unilateral work."""
    flat = [r for r in ctx.recent_runs if is_flat(r) and r.signals.gct_balance_left_pct is not None]  # type: ignore
    if not flat:
        return _no_dynamics(ctx, "gct_imbalance", "ground-contact balance") if _is_monday(ctx) else []
    habit = _habit(ctx)
    values = [r.signals.gct_balance_left_pct for r in flat]  # type: ignore[union-attr]
    mean_now = statistics.fmean(values)  # type: ignore[arg-type]
    out: list[Any] = []
    if habit.gct_balance_runs >= MIN_BALANCE_BASELINE_RUNS and habit.gct_balance_left_pct is not None:
        usual = habit.gct_balance_left_pct
        shift = mean_now - usual
        if len(flat) < MIN_IMBALANCED_RUNS or abs(shift) < GCT_SHIFT_PCT:
            if _is_monday(ctx) and max(usual, 100 - usual) > GCT_BALANCE_LIMIT_PCT:
                out.append(
                    Note(
                        "gct_balance",
                        f"Ground-contact balance steady at {mean_now:.1f} % left, your usual "
                        f"({usual:.1f} % over {habit.gct_balance_runs} runs): outside Garmin's 'fair' zone but "
                        "not changing, so no adjustment.",
                        _ids(flat),
                    )
                )
            return out
        judged = (
            f"{mean_now:.1f} % left on {len(flat)} flatter runs against your usual {usual:.1f} % "
            f"({shift:+.1f} points)"
        )
    else:
        out.append(
            NotChecked(
                "gct_imbalance: personal baseline",
                f"{habit.gct_balance_runs} earlier runs with balance data ({MIN_BALANCE_BASELINE_RUNS} needed): "
                "judged by Garmin's 52.2 % zone edge instead",
            )
        )
        beyond = [v for v in values if max(v, 100 - v) > GCT_BALANCE_LIMIT_PCT]  # type: ignore[type-var]
        if len(beyond) < MIN_IMBALANCED_RUNS or 2 * len(beyond) < len(values):
            return out
        judged = f"beyond 52.2/47.8 on {len(beyond)} of {len(flat)} flatter runs (mean {mean_now:.1f} % left)"
    out.append(
        Adjustment(
            kind="unilateral",
            summary=(
                f"Ground-contact balance {judged}: the ankle sessions add single-leg work, equal on both sides. "
                "If it persists, a qualified coach or physiotherapist can take a look."
            ),
            reason=(
                "Garmin's percentile zones put more than 52.2 % on one side among the least even 10 % of "
                "runners; Garmin reports a link with running problems in some runners but there is no trial, and "
                "balance shifts on hills, so only flatter runs count. Joubert et al. 2020 linked each 1 % of "
                "imbalance with about 3.7 % worse running economy (a secondary report). Single-leg work is "
                "coaching convention, not a tested fix."
            ),
            run_ids=_ids(flat),
            rule="gct_imbalance",
            from_day=ctx.today,
        )
    )
    return out


def fatigue_drift(ctx: RuleContext) -> list[Any]:
    """Late-run GCT rising or cadence falling beyond the athlete's usual drift -> calf endurance work."""
    recent = [
        r for r in ctx.recent_runs
        if r.signals and not r.signals.hill_session
        and (r.signals.gct_drift_pct is not None or r.signals.cadence_drift_pct is not None)
    ]
    if not recent:
        return _no_dynamics(ctx, "fatigue_drift", "cadence or contact-time drift") if _is_monday(ctx) else []
    baseline = [r.signals for r in ctx.baseline_runs if r.signals and not r.signals.hill_session]
    gct_usual = [s.gct_drift_pct for s in baseline if s.gct_drift_pct is not None]
    cad_usual = [s.cadence_drift_pct for s in baseline if s.cadence_drift_pct is not None]
    gct_limit = (
        max(statistics.median(gct_usual), 0.0) + GCT_DRIFT_MARGIN_PCT
        if len(gct_usual) >= MIN_DRIFT_BASELINE_RUNS else None
    )
    cad_limit = (
        min(statistics.median(cad_usual), 0.0) - CADENCE_DRIFT_MARGIN_PCT
        if len(cad_usual) >= MIN_DRIFT_BASELINE_RUNS else None
    )
    if gct_limit is None and cad_limit is None:
        if _is_monday(ctx):
            return [NotChecked("fatigue_drift", f"fewer than {MIN_DRIFT_BASELINE_RUNS} earlier runs with drift data")]
        return []
    flagged: list[tuple[Run, list[str]]] = []
    for run in recent:
        s = run.signals
        notes = []
        if gct_limit is not None and s.gct_drift_pct is not None and s.gct_drift_pct > gct_limit:  # type: ignore
            notes.append(f"ground contact {s.gct_drift_pct:+.1f} %")  # type: ignore[union-attr]
        if cad_limit is not None and s.cadence_drift_pct is not None and s.cadence_drift_pct < cad_limit:  # type: ignore
            notes.append(f"cadence {s.cadence_drift_pct:+.1f} %")  # type: ignore[union-attr]
        if notes:
            flagged.append((run, notes))
    if not flagged or 2 * len(flagged) < len(recent):
        return []
    tz = _tz(ctx)
    details = "; ".join(f"{day_label(local_day(run, tz))}: {', '.join(n)}" for run, n in flagged)
    return [
        Adjustment(
            kind="calf_endurance",
            summary=(
                f"Late-run drift beyond your usual ({details}, first to last third): the ankle sessions add "
                "calf endurance work with slow lowering."
            ),
            reason=(
                "Contact time and cadence depend strongly on the runner and the pace, so the drift is compared "
                "with your own runs only. No trial links late-run drift to calf work: this is coaching "
                "convention, chosen because it is low-risk."
            ),
            run_ids=tuple(run.run_id for run, _ in flagged),
            rule="fatigue_drift",
            from_day=ctx.today,
        )
    ]


# ----------------------------------------------------------------------------------------------- the athlete's logs


def _capacity(logs: Sequence[LogEntry], kind: str, start: date, end: date) -> dict[str, list[LogEntry]]:
    by_side: dict[str, list[LogEntry]] = {}
    for log in _logs_between(logs, start, end):
        if log.kind == kind and log.value is not None and log.side in ("left", "right"):
            by_side.setdefault(log.side, []).append(log)
    return by_side


def _tolerance(kind: str, value: float) -> float:
    if kind == "knee_to_wall":
        return KNEE_TO_WALL_MDC_CM
    return value * (BALANCE_DIFF_FRACTION if kind == "balance" else CALF_RAISE_DIFF_FRACTION)


_CAPACITY_WORDS = {"knee_to_wall": ("knee-to-wall", "cm"), "balance": ("single-leg balance", "s"),
                   "calf_raise": ("calf raises", "reps")}


def steady_progress(ctx: RuleContext) -> list[Any]:
    """Ankle sessions done on enough weeks, no pain, capacity holding -> advance a stage."""
    if not _is_monday(ctx):
        return []
    programme = _programme(ctx)
    rule = programme.advancement
    if ctx.stage.number >= programme.last_stage:
        return []
    start = ctx.week_start - timedelta(days=7 * rule.weeks)
    per_week = [0] * rule.weeks
    for log in _logs_between(ctx.logs, start, ctx.week_start):
        if log.kind == "session":
            per_week[((ctx.week_start - log.day).days - 1) // 7] += 1
    if min(per_week) < rule.sessions_per_week:
        return []
    if any(log.kind == "pain" and _pain_value(log) > rule.max_pain
           for log in _logs_between(ctx.logs, start, ctx.week_start)):
        return []
    # Capacity: any measured decline beyond its error waits; gains beyond it on every test open a week early.
    improved, declined = [], []
    for kind, (label, unit) in _CAPACITY_WORDS.items():
        for side, entries in _capacity(ctx.logs, kind, ctx.week_start - timedelta(weeks=9), ctx.week_start).items():
            if len(entries) < 2:
                continue
            first, last = entries[0].value, entries[-1].value
            tol = _tolerance(kind, first)  # type: ignore[arg-type]
            if last < first - tol:  # type: ignore[operator]
                declined.append(f"{label} {side} {first:g} -> {last:g} {unit}")
            elif last > first + tol:  # type: ignore[operator]
                improved.append(f"{label} {side} {first:g} -> {last:g} {unit}")
    min_weeks = rule.min_weeks_in_stage - (1 if improved and not declined else 0)
    if ctx.weeks_in_stage < min_weeks:
        return []
    tz = _tz(ctx)
    target = programme.stage(ctx.stage.number + 1)
    if declined:
        return [Note("advance_waits", f"The sessions are there for stage {target.number}, but {', '.join(declined)} "
                                      "fell by more than the test's error: the stage holds until it recovers.")]
    hills = [r for r in ctx.recent_runs if is_hill(r)]
    habit = _habit(ctx)
    if hills and not habit.hill_habit:
        return [Note("advance_waits", f"Stage {target.number} waits a week after the hill session in "
                                      f"{_runs_label(hills, tz)}: one new load at a time.", _ids(hills))]
    log_ids = tuple(log.entry_id for log in _logs_between(ctx.logs, start, ctx.week_start) if log.kind == "session")
    capacity = f"; {', '.join(improved)}" if improved else ""
    return [
        Adjustment(
            kind="advance",
            summary=(
                f"{sum(per_week)} ankle sessions over the last {rule.weeks} weeks (at least "
                f"{rule.sessions_per_week} every week), no pain logged{capacity}: on to stage {target.number}, "
                f"{target.name}."
            ),
            reason=(
                "The sprain-prevention trials progressed their balance programmes in phases once the previous "
                "one was done (McGuine & Keene 2006: five phases over 4 weeks; Hupperets et al. 2009: 8 weeks, "
                "3 sessions a week). The session counts and test margins used here are coaching convention; "
                "the knee-to-wall margin is the lunge test's measurement error (about 4.6 degrees)."
            ),
            rule="steady_progress",
            log_ids=log_ids,
            from_day=ctx.week_start,
        )
    ]


def capacity_sides(ctx: RuleContext) -> list[Any]:
    """A side behind the other beyond the test's error (knee-to-wall, balance, calf raises) -> extra set there."""
    if not _is_monday(ctx):
        return []
    out: list[Any] = []
    for kind, (label, unit) in _CAPACITY_WORDS.items():
        sides = _capacity(ctx.logs, kind, ctx.week_start - timedelta(weeks=6), ctx.week_start)
        if set(sides) != {"left", "right"}:
            continue
        left, right = sides["left"][-1], sides["right"][-1]
        gap = left.value - right.value  # type: ignore[operator]
        if abs(gap) <= _tolerance(kind, max(left.value, right.value)):  # type: ignore[arg-type, type-var]
            continue
        weaker = "right" if gap > 0 else "left"
        out.append(
            Adjustment(
                kind="unilateral",
                summary=(
                    f"{label.capitalize()}: left {left.value:g} {unit}, right {right.value:g} {unit}: one extra set "
                    f"on the {weaker} side of the {CAPACITY_KINDS[kind].replace('_', ' ')} work."
                ),
                reason=(
                    "The weight-bearing lunge test's measurement error is about 4.6 degrees, so only a larger "
                    "knee-to-wall difference counts; weight-bearing dorsiflexion is often a little asymmetric "
                    "(Rabin et al. 2015). Limited knee-bent dorsiflexion went with Achilles tendinopathy in "
                    "one small study (Rabin et al. 2014, 5 cases). Working the weaker side more is coaching "
                    "convention."
                ),
                rule="capacity_sides",
                log_ids=(left.entry_id, right.entry_id),
                from_day=ctx.week_start,
                until_day=ctx.week_start + timedelta(days=6),  # decided on Monday, for the whole week
                side=weaker,
                foci=(CAPACITY_KINDS[kind],),
            )
        )
    return out


def pain_logged(ctx: RuleContext) -> list[Any]:
    """Pain at or above the threshold: foundations from that day, no plyometrics or heavy calf work."""
    programme = _programme(ctx)
    rule = programme.regression
    today = ctx.today
    out: list[Any] = []
    entries = [
        log for log in _logs_between(ctx.logs, today - timedelta(days=rule.days - 1), today + timedelta(days=1))
        if log.kind == "pain" and _pain_value(log) >= rule.pain_threshold
    ]
    if _is_monday(ctx):
        last_week = [
            log for log in _logs_between(ctx.logs, ctx.week_start - timedelta(days=rule.days), ctx.week_start)
            if log.kind == "pain" and _pain_value(log) >= rule.pain_threshold
        ]
        if last_week and ctx.stage.number > 1:
            target = programme.stage(ctx.stage.number - 1)
            out.append(
                Adjustment(
                    kind="regress",
                    summary=f"Pain logged last week: back to stage {target.number}, {target.name}, this week.",
                    reason=_PAIN_REASON,
                    rule="pain_logged",
                    log_ids=tuple(log.entry_id for log in last_week),
                    from_day=ctx.week_start,
                )
            )
        weeks = {
            (ctx.week_start - log.day).days // 7
            for log in _logs_between(ctx.logs, ctx.week_start - timedelta(weeks=rule.persistent_weeks + 1),
                                     ctx.week_start)
            if log.kind == "pain" and _pain_value(log) >= rule.pain_threshold
        }
        if len(weeks) >= rule.persistent_weeks:
            out.append(Note("see_professional", f"Pain of {rule.pain_threshold:g}/10 or more logged in "
                                                f"{len(weeks)} of the last {rule.persistent_weeks + 1} weeks: "
                                                "please see a qualified professional (a physiotherapist or "
                                                "doctor) before building load again."))
    if not entries:
        return out
    first_day = min(log.day for log in entries)
    sides = {log.side for log in entries if log.side in ("left", "right")}
    side = sides.pop() if len(sides) == 1 and not any(log.side == "both" for log in entries) else None
    logged = ", ".join(f"{log.value:g}/10" if log.value is not None else "pain" for log in entries)
    where = f" ({side})" if side else ""
    other = {"left": "right", "right": "left"}.get(side or "")
    out.append(
        Adjustment(
            kind="pain",
            summary=(
                f"Pain logged on {day_label(first_day)}{where}: {logged}. From that day the sessions go back to "
                "the foundations: no hopping or skipping and no heavy calf loading"
                + (f"; single-leg work on the {other} side only" if other else "")
                + ". If the pain persists, stop and seek advice from a qualified professional."
            ),
            reason=_PAIN_REASON,
            rule="pain_logged",
            log_ids=tuple(log.entry_id for log in entries),
            from_day=first_day,
            side=side,
        )
    )
    return out


_PAIN_REASON = (
    "The programme's own rule: pain means back off and reinforce the fundamentals. No trial sets a pain "
    "threshold for these drills; 3/10 is coaching convention, and stridelink does not judge what the pain means."
)


def soreness_logged(ctx: RuleContext) -> list[Any]:
    """Soreness logged today or yesterday -> one set fewer of calf, hopping and single-leg work."""
    today = ctx.today
    entries = [
        log for log in _logs_between(ctx.logs, today - timedelta(days=1), today + timedelta(days=1))
        if log.kind == "soreness" and (log.value is None or log.value >= SORENESS_MIN)
    ]
    if not entries:
        return []
    return [
        Adjustment(
            kind="soreness",
            summary=(
                f"Soreness logged on {', '.join(sorted({day_label(log.day) for log in entries}))}"
                + "".join(f" ({side})" for side in sorted({log.side for log in entries if log.side in ('left', 'right')}))
                + ": one set fewer of calf, hopping and single-leg work that day and the next."
            ),
            reason="Lowering volume while sore is coaching convention; no trial tested it for these drills.",
            rule="soreness_logged",
            log_ids=tuple(log.entry_id for log in entries),
            from_day=min(log.day for log in entries),
        )
    ]


BUILT_IN_RULES: tuple[tuple[str, Callable[[RuleContext], list[Any]]], ...] = (
    ("trail_exposure", trail_exposure),
    ("hill_recovery", hill_recovery),
    ("load_spike", load_spike),
    ("cadence_drop", cadence_drop),
    ("gct_imbalance", gct_imbalance),
    ("fatigue_drift", fatigue_drift),
    ("steady_progress", steady_progress),
    ("capacity_sides", capacity_sides),
    ("pain_logged", pain_logged),
    ("soreness_logged", soreness_logged),
)


def built_in_rules() -> list[Rule]:
    return [
        Rule(name=name, evaluate=evaluate, description=(evaluate.__doc__ or "").strip())
        for name, evaluate in BUILT_IN_RULES
    ]


@hookimpl
def register_rules(register: Callable[[Rule], None]) -> None:
    for rule in built_in_rules():
        register(rule)
