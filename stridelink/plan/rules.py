"""The built-in plan rules, registered like any plugin's.

Each rule reads one week's ``RuleContext`` (the 7 days before the Monday, the 28 days before those as the
athlete's own baseline, the logs) and returns suggested ``Adjustment``s naming the runs behind them. The
evidence each rule leans on is in its ``reason`` and in docs/programme.md; none of them judges a cause.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from datetime import date, timedelta, tzinfo
from zoneinfo import ZoneInfo

from stridelink.hookspecs import hookimpl
from stridelink.models import Adjustment, LogEntry, Rule, RuleContext, Run, Signals
from stridelink.plan.planner import day_label
from stridelink.plan.programme import Programme, load_programme

# Trail exposure: climbing density counts as trail-like (one project's heuristic, DOMAIN 3.4) when the
# terrain score is also in the top third of the athlete's own baseline runs.
TRAIL_CLIMB_M_PER_KM = 20.0
TERRAIN_TOP_FRACTION = 2 / 3
ROUGH_TERRAIN_SCORE = 50.0  # the terrain score from which a run reads as trail (stridelink/signals/terrain.py)
# Weekly load: more than 30 % above the mean of the baseline weeks (Nielsen et al. 2014).
LOAD_SPIKE_RATIO = 1.30
MIN_BASELINE_WEEKS = 2
# Cadence: this far below the mean of baseline runs within PACE_MATCH of the same speed.
CADENCE_DROP_FRACTION = 0.05
PACE_MATCH_FRACTION = 0.10
MIN_COMPARABLE_RUNS = 3
# Ground-contact balance: outside Garmin's "fair" zone on one side.
GCT_BALANCE_LIMIT_PCT = 52.2
MIN_IMBALANCED_RUNS = 2
# Fatigue drift (first vs last third of a run), beyond the athlete's usual drift by these margins.
GCT_DRIFT_MARGIN_PCT = 3.0
CADENCE_DRIFT_MARGIN_PCT = 2.0
MIN_DRIFT_BASELINE_RUNS = 3


# ----------------------------------------------------------------------------------------------- helpers


def _tz(ctx: RuleContext) -> tzinfo:
    settings = ctx.settings
    return settings.tz if settings is not None else ZoneInfo("UTC")


def _local_day(run: Run, tz: tzinfo) -> date:
    return run.start_utc.astimezone(tz).date()


def _with_signals(runs: Sequence[Run]) -> list[tuple[Run, Signals]]:
    """Runs that have signals, in the context's order (the planner passes them oldest first)."""
    return [(run, run.signals) for run in runs if run.signals]


def _distance_m(run: Run) -> float:
    value = run.signals.distance_m if run.signals and run.signals.distance_m is not None else run.distance_m
    return float(value or 0.0)


def _duration_s(run: Run) -> float:
    value = run.signals.duration_s if run.signals and run.signals.duration_s is not None else run.duration_s
    return float(value or 0.0)


def _runs_label(runs: Sequence[Run], tz: tzinfo) -> str:
    days = sorted({_local_day(run, tz) for run in runs})
    labels = ", ".join(day_label(day) for day in days)
    return f"{len(runs)} run{'s' if len(runs) != 1 else ''} ({labels})"


def _programme(ctx: RuleContext) -> Programme:
    return ctx.programme if ctx.programme is not None else load_programme()


# ----------------------------------------------------------------------------------------------- rules


def trail_exposure(ctx: RuleContext) -> list[Adjustment]:
    """Trail running, or dense climbing on terrain rougher than usual -> more lateral and balance work."""
    baseline_terrain = sorted(
        s.terrain_variability
        for _, s in _with_signals(ctx.baseline_runs)
        if s.terrain_variability is not None
    )
    terrain_cut = None
    if len(baseline_terrain) >= 3:
        terrain_cut = baseline_terrain[int(len(baseline_terrain) * TERRAIN_TOP_FRACTION)]
    triggered: list[Run] = []
    for run, s in _with_signals(ctx.recent_runs):
        on_trail = s.surface == "trail" or run.sub_sport == "trail"
        climbing = s.climb_m_per_km is not None and s.climb_m_per_km >= TRAIL_CLIMB_M_PER_KM
        # Rough: above the athlete's usual and above the score the signals call trail-like (docs/signals.md).
        rough_cut = max(terrain_cut or 0.0, ROUGH_TERRAIN_SCORE)
        rough = s.terrain_variability is not None and s.terrain_variability >= rough_cut
        if on_trail or (climbing and rough):
            triggered.append(run)
    if not triggered:
        return []
    tz = _tz(ctx)
    return [
        Adjustment(
            kind="more_lateral",
            summary=(
                f"Trail or rough, climbing terrain in {_runs_label(triggered, tz)}: this week's ankle "
                "sessions add side-to-side (inversion/eversion) work and a single-leg balance progression."
            ),
            reason=(
                "Progressive balance and proprioceptive training went with fewer ankle sprains in trials "
                "(McGuine & Keene 2006, RR 0.56; Hupperets et al. 2009, RR 0.63 in athletes with a "
                "previous sprain; pooled RR 0.65 across 7 trials). Uneven ground asks most of that "
                "side-to-side control."
            ),
            run_ids=tuple(run.run_id for run in triggered),
            rule="trail_exposure",
        )
    ]


def hill_recovery(ctx: RuleContext) -> list[Adjustment]:
    """A hill session -> less calf and plyometric volume in the 48 hours after it; mobility stays."""
    hills = [run for run, s in _with_signals(ctx.recent_runs) if s.hill_session]
    if not hills:
        return []
    tz = _tz(ctx)
    return [
        Adjustment(
            kind="dial_back",
            summary=(
                f"Hill session in {_runs_label(hills, tz)}: calf-loading and hopping work is lighter on the "
                "day and the two days after (that weekday this week too, in case you repeat it); mobility "
                "stays."
            ),
            reason=(
                "Running up or down a 6 % grade at matched effort reduced Achilles tendon cross-sectional "
                "area for a while afterwards, and downhill running gave the highest peak vertical force "
                "(Neves et al. 2014); the authors advise building downhill load gradually."
            ),
            run_ids=tuple(run.run_id for run in hills),
            rule="hill_recovery",
        )
    ]


def load_spike(ctx: RuleContext) -> list[Adjustment]:
    """Weekly distance or duration > 30 % above the baseline weeks' mean -> hold the stage."""
    tz = _tz(ctx)
    recent_start = ctx.week_start - timedelta(days=7)
    weekly_m = [0.0] * 4
    weekly_s = [0.0] * 4
    used = [False] * 4
    for run in ctx.baseline_runs:
        index = (recent_start - _local_day(run, tz)).days
        if 1 <= index <= 28:
            week = (index - 1) // 7  # 0 = the week just before the recent one
            weekly_m[week] += _distance_m(run)
            weekly_s[week] += _duration_s(run)
            used[week] = True
    if not any(used) or not ctx.recent_runs:
        return []
    # Count the baseline from the athlete's first week in it, so a new athlete is not compared with zeros.
    weeks = max(i for i, flag in enumerate(used) if flag) + 1
    if weeks < MIN_BASELINE_WEEKS:
        return []
    recent_m = sum(_distance_m(run) for run in ctx.recent_runs)
    recent_s = sum(_duration_s(run) for run in ctx.recent_runs)
    mean_m = sum(weekly_m[:weeks]) / weeks
    mean_s = sum(weekly_s[:weeks]) / weeks
    parts = []
    ratios = []
    if mean_m > 0 and recent_m / mean_m > LOAD_SPIKE_RATIO:
        ratios.append(recent_m / mean_m)
        parts.append(
            f"distance {recent_m / 1000:.1f} km was {recent_m / mean_m:.2f} x your {weeks}-week mean "
            f"({mean_m / 1000:.1f} km)"
        )
    if mean_s > 0 and recent_s / mean_s > LOAD_SPIKE_RATIO:
        ratios.append(recent_s / mean_s)
        parts.append(
            f"running time {recent_s / 3600:.1f} h was {recent_s / mean_s:.2f} x your {weeks}-week mean "
            f"({mean_s / 3600:.1f} h)"
        )
    if not parts:
        return []
    runs = ctx.recent_runs
    return [
        Adjustment(
            kind="hold",
            summary=(
                f"Last week's {' and '.join(parts)}: the stage holds this week, with no new progression "
                "step. The ratio is shown for context; it is not a prediction."
            ),
            reason=(
                "Nielsen et al. 2014 (874 novice runners) saw more distance-related running complaints after "
                "weekly distance rose by more than 30 % (hazard ratio 1.59, 95 % CI 0.96-2.66). Load ratios "
                "cannot forecast anything for one runner (Impellizzeri et al. 2020), so the plan only pauses "
                "its own progression."
            ),
            run_ids=tuple(run.run_id for run in runs),
            rule="load_spike",
        )
    ]


def cadence_drop(ctx: RuleContext) -> list[Adjustment]:
    """Cadence > 5 % below the athlete's own runs at a similar pace -> quick, light turnover drills."""
    baseline = [
        s for _, s in _with_signals(ctx.baseline_runs) if s.cadence_spm and s.speed_mps and not s.hill_session
    ]
    flagged: list[tuple[Run, float, float]] = []
    for run, s in _with_signals(ctx.recent_runs):
        if not s.cadence_spm or not s.speed_mps or s.hill_session:
            continue
        on_trail = s.surface == "trail"
        low, high = s.speed_mps * (1 - PACE_MATCH_FRACTION), s.speed_mps * (1 + PACE_MATCH_FRACTION)
        similar = [
            b.cadence_spm
            for b in baseline
            if low <= b.speed_mps <= high and (b.surface == "trail") == on_trail  # type: ignore[operator]
        ]
        if len(similar) < MIN_COMPARABLE_RUNS:
            continue
        usual = statistics.fmean(similar)  # type: ignore[arg-type]
        if s.cadence_spm < usual * (1 - CADENCE_DROP_FRACTION):
            flagged.append((run, s.cadence_spm, usual))
    if not flagged:
        return []
    tz = _tz(ctx)
    details = "; ".join(
        f"{day_label(_local_day(run, tz))}: {spm:.0f} spm vs your usual {usual:.0f} "
        f"({(spm / usual - 1) * 100:+.0f} %)"
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
                "Raising step rate by 5-10 % lowered the load absorbed at the knee and hip "
                "(Heiderscheit et al. 2011); the reference here is your own pace-matched runs, not a "
                "universal target such as 180 spm."
            ),
            run_ids=tuple(run.run_id for run, _, _ in flagged),
            rule="cadence_drop",
        )
    ]


def gct_imbalance(ctx: RuleContext) -> list[Adjustment]:
    """Ground-contact balance beyond 52.2/47.8 on several flatter runs -> unilateral ankle and calf work."""
    flat = [
        (run, s)
        for run, s in _with_signals(ctx.recent_runs)
        if s.gct_balance_left_pct is not None
        and not s.hill_session
        and (s.climb_m_per_km is None or s.climb_m_per_km < TRAIL_CLIMB_M_PER_KM)
    ]
    left = [(run, s) for run, s in flat if s.gct_balance_left_pct > GCT_BALANCE_LIMIT_PCT]  # type: ignore[operator]
    right = [
        (run, s)
        for run, s in flat
        if s.gct_balance_left_pct < 100 - GCT_BALANCE_LIMIT_PCT  # type: ignore[operator]
    ]
    side, flagged = ("left", left) if len(left) >= len(right) else ("right", right)
    if len(flagged) < MIN_IMBALANCED_RUNS or 2 * len(flagged) < len(flat):
        return []
    mean_left = statistics.fmean(s.gct_balance_left_pct for _, s in flagged)  # type: ignore[misc]
    usual = [
        s.gct_balance_left_pct
        for _, s in _with_signals(ctx.baseline_runs)
        if s.gct_balance_left_pct is not None
    ]
    usual_text = f"; your 4 weeks before: {statistics.fmean(usual):.1f} % left" if usual else ""
    return [
        Adjustment(
            kind="unilateral",
            summary=(
                f"Ground-contact balance leaned {side} beyond 52.2/47.8 on {len(flagged)} of {len(flat)} "
                f"flatter runs (mean {mean_left:.1f} % left{usual_text}): the ankle sessions add single-leg "
                "work, equal on both sides. If it persists, a qualified coach or physiotherapist can take a "
                "look."
            ),
            reason=(
                "Garmin's percentile zones put more than 52.2 % on one side among the least even 10 % of "
                "runners (no trial behind them), and balance shifts on hills, so only flatter runs count "
                "here; Joubert et al. 2020 linked each 1 % of imbalance with about 3.7 % worse running "
                "economy."
            ),
            run_ids=tuple(run.run_id for run, _ in flagged),
            rule="gct_imbalance",
        )
    ]


def fatigue_drift(ctx: RuleContext) -> list[Adjustment]:
    """Late-run GCT rising or cadence falling beyond the athlete's usual drift -> calf endurance work."""
    baseline = [s for _, s in _with_signals(ctx.baseline_runs) if not s.hill_session]
    gct_usual = [s.gct_drift_pct for s in baseline if s.gct_drift_pct is not None]
    cad_usual = [s.cadence_drift_pct for s in baseline if s.cadence_drift_pct is not None]
    gct_limit = (
        max(statistics.median(gct_usual), 0.0) + GCT_DRIFT_MARGIN_PCT
        if len(gct_usual) >= MIN_DRIFT_BASELINE_RUNS
        else None
    )
    cad_limit = (
        min(statistics.median(cad_usual), 0.0) - CADENCE_DRIFT_MARGIN_PCT
        if len(cad_usual) >= MIN_DRIFT_BASELINE_RUNS
        else None
    )
    if gct_limit is None and cad_limit is None:
        return []
    judged = 0
    flagged: list[tuple[Run, list[str]]] = []
    for run, s in _with_signals(ctx.recent_runs):
        if s.hill_session:
            continue
        notes = []
        if gct_limit is not None and s.gct_drift_pct is not None and s.gct_drift_pct > gct_limit:
            notes.append(f"ground contact {s.gct_drift_pct:+.1f} %")
        if cad_limit is not None and s.cadence_drift_pct is not None and s.cadence_drift_pct < cad_limit:
            notes.append(f"cadence {s.cadence_drift_pct:+.1f} %")
        if (gct_limit is not None and s.gct_drift_pct is not None) or (
            cad_limit is not None and s.cadence_drift_pct is not None
        ):
            judged += 1
        if notes:
            flagged.append((run, notes))
    if not flagged or 2 * len(flagged) < judged:
        return []
    tz = _tz(ctx)
    details = "; ".join(f"{day_label(_local_day(run, tz))}: {', '.join(notes)}" for run, notes in flagged)
    usual_bits = []
    if gct_limit is not None:
        usual_bits.append(f"ground contact {statistics.median(gct_usual):+.1f} %")
    if cad_limit is not None:
        usual_bits.append(f"cadence {statistics.median(cad_usual):+.1f} %")
    return [
        Adjustment(
            kind="calf_endurance",
            summary=(
                f"Late-run drift beyond your usual ({details}; usual: {', '.join(usual_bits)}, first to last "
                "third): the ankle sessions add calf endurance work with slow lowering."
            ),
            reason=(
                "Ground-contact time and cadence depend strongly on the runner and the pace, so the drift is "
                "compared with your own runs only; a late-run fall in step rate moves load away from what "
                "Heiderscheit et al. 2011 found helpful. Calf endurance work is a low-risk response, not a "
                "tested rule."
            ),
            run_ids=tuple(run.run_id for run, _ in flagged),
            rule="fatigue_drift",
        )
    ]


def _logs_between(logs: Sequence[LogEntry], start: date, end: date) -> list[LogEntry]:
    """Entries on local days in [start, end); ``logs`` are oldest first, so the scan stops early."""
    found = []
    for log in reversed(logs):
        if log.day < start:
            break
        if log.day < end:
            found.append(log)
    return found[::-1]


def _pain_logs(logs: Sequence[LogEntry], start: date, end: date) -> list[LogEntry]:
    """Pain entries on local days in [start, end); an entry without a value counts as pain."""
    return [log for log in _logs_between(logs, start, end) if log.kind == "pain"]


def _pain_value(log: LogEntry) -> float:
    return float("inf") if log.value is None else log.value


def steady_progress(ctx: RuleContext) -> list[Adjustment]:
    """Ankle sessions done on enough weeks, no pain, long enough at the stage -> advance a stage."""
    programme = _programme(ctx)
    rule = programme.advancement
    if ctx.stage.number >= programme.last_stage or ctx.weeks_in_stage < rule.min_weeks_in_stage:
        return []
    start = ctx.week_start - timedelta(days=7 * rule.weeks)
    per_week = [0] * rule.weeks
    for log in _logs_between(ctx.logs, start, ctx.week_start):
        if log.kind == "session":
            per_week[((ctx.week_start - log.day).days - 1) // 7] += 1
    if min(per_week) < rule.sessions_per_week:
        return []
    if any(_pain_value(log) > rule.max_pain for log in _pain_logs(ctx.logs, start, ctx.week_start)):
        return []
    tz = _tz(ctx)
    runs = sorted(
        (r for r in (*ctx.baseline_runs, *ctx.recent_runs) if start <= _local_day(r, tz) < ctx.week_start),
        key=lambda r: (r.start_utc, r.run_id),
    )
    target = programme.stage(ctx.stage.number + 1)
    return [
        Adjustment(
            kind="advance",
            summary=(
                f"{sum(per_week)} ankle sessions over the last {rule.weeks} weeks (at least "
                f"{rule.sessions_per_week} every week), no pain logged: on to stage {target.number}, "
                f"{target.name}."
            ),
            reason=(
                "The sprain-prevention trials progressed their balance programmes in phases once the "
                "previous one was done consistently (McGuine & Keene 2006: five phases; Hupperets et al. "
                "2009: 8 weeks, 3 sessions a week); consistency, not intensity, opens the next stage."
            ),
            run_ids=tuple(run.run_id for run in runs),
            rule="steady_progress",
        )
    ]


def pain_logged(ctx: RuleContext) -> list[Adjustment]:
    """Pain at or above the threshold in the past week -> one stage down, no plyometrics, seek advice."""
    programme = _programme(ctx)
    rule = programme.regression
    start = ctx.week_start - timedelta(days=rule.days)
    entries = [
        log for log in _pain_logs(ctx.logs, start, ctx.week_start) if _pain_value(log) >= rule.pain_threshold
    ]
    if not entries:
        return []
    tz = _tz(ctx)
    last_day = max(log.day for log in entries)
    runs = sorted(
        (r for r in ctx.recent_runs if _local_day(r, tz) <= last_day), key=lambda r: (r.start_utc, r.run_id)
    )
    logged = ", ".join(
        f"{log.value:g}/10" if log.value is not None else "pain"
        for log in sorted(entries, key=lambda e: (e.day, e.entry_id))
    )
    sides = sorted({log.side for log in entries if log.side})
    where = f" ({', '.join(sides)})" if sides else ""
    target = programme.stage(ctx.stage.number - 1)
    return [
        Adjustment(
            kind="regress",
            summary=(
                f"Pain logged on {day_label(last_day)}{where}: {logged}. Back to stage {target.number}, "
                f"{target.name}, with no hopping or skipping this week. If the pain persists, stop and seek "
                "advice from a qualified professional."
            ),
            reason=(
                "The programme's own rule is to pause when pain arises and reinforce the fundamentals; "
                "stridelink does not judge what the pain means. The prevention trials built load in phases "
                "(McGuine & Keene 2006), so stepping back a phase is the conservative choice."
            ),
            run_ids=tuple(run.run_id for run in runs),
            rule="pain_logged",
        )
    ]


BUILT_IN_RULES: tuple[tuple[str, Callable[[RuleContext], list[Adjustment]]], ...] = (
    ("trail_exposure", trail_exposure),
    ("hill_recovery", hill_recovery),
    ("load_spike", load_spike),
    ("cadence_drop", cadence_drop),
    ("gct_imbalance", gct_imbalance),
    ("fatigue_drift", fatigue_drift),
    ("steady_progress", steady_progress),
    ("pain_logged", pain_logged),
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
