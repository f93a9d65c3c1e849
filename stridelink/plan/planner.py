"""The weekly plan: the stage history walked week by week, the rules' adjustments, the week's sessions.

Pure and deterministic: ``plan_week`` sees only runs that started before the week's Monday 00:00 local
time and logs dated before it, so the same inputs always give the same ``Plan``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from stridelink.models import Adjustment, Exercise, LogEntry, Plan, Rule, RuleContext, Run, Session, Stage
from stridelink.plan.programme import LibraryExercise, Programme, StageSpec, load_programme
from stridelink.settings import WEEKDAYS, Settings
from stridelink.weeks import iso_week, week_start

RECENT_DAYS = 7
BASELINE_DAYS = 28
DIAL_BACK_DAYS = 2  # the hill session's day and this many days after it
# Adjustment kinds that add exercises to the ankle sessions, in the order their additions appear.
ADDING_KINDS = ("more_lateral", "unilateral", "calf_endurance", "cadence")


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def weeks_affected(run_start_utc: datetime, tz: tzinfo | str, *, today: date | None = None) -> list[str]:
    """The weeks whose plan a run starting at ``run_start_utc`` changes: every week after the run's own
    week, in practice from the next week up to the current week (at least the next week)."""
    zone = _zone(tz)
    run_monday = week_start(iso_week(run_start_utc.astimezone(zone).date()))
    today = today if today is not None else datetime.now(zone).date()
    last = max(week_start(iso_week(today)), run_monday + timedelta(days=7))
    monday = run_monday + timedelta(days=7)
    weeks = []
    while monday <= last:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks


# ----------------------------------------------------------------------------------------------- history


class _History:
    """Runs and logs sorted by local day once, so each week's windows are two bisects."""

    def __init__(self, runs: Iterable[Run], logs: Iterable[LogEntry], tz: tzinfo, before: date) -> None:
        dated = sorted(
            ((run.start_utc.astimezone(tz).date(), run.start_utc, run.run_id, run) for run in runs),
            key=lambda item: item[:3],
        )
        dated = [item for item in dated if item[0] < before]
        self.run_days = [item[0] for item in dated]
        self.runs = [item[3] for item in dated]
        kept = sorted((log for log in logs if log.day < before), key=lambda log: (log.day, log.entry_id))
        self.log_days = [log.day for log in kept]
        self.logs = kept
        self.by_id = {run.run_id: run for run in self.runs}
        self.local_day = {run.run_id: day for day, run in zip(self.run_days, self.runs, strict=True)}

    def first_day(self) -> date | None:
        days = [d for d in (self.run_days[:1] + self.log_days[:1])]
        return min(days) if days else None

    def runs_between(self, start: date, end: date) -> tuple[Run, ...]:
        lo = bisect.bisect_left(self.run_days, start)
        hi = bisect.bisect_left(self.run_days, end)
        return tuple(self.runs[lo:hi])

    def logs_before(self, end: date) -> tuple[LogEntry, ...]:
        return tuple(self.logs[: bisect.bisect_left(self.log_days, end)])


@dataclass(frozen=True, slots=True)
class _Week:
    week: str
    monday: date
    stage: Stage
    adjustments: tuple[Adjustment, ...]


def _evaluate(
    rules: Sequence[Rule],
    history: _History,
    monday: date,
    previous: Stage,
    weeks_in_stage: int,
    settings: Settings,
    programme: Programme,
) -> tuple[Adjustment, ...]:
    ctx = RuleContext(
        week=iso_week(monday),
        week_start=monday,
        recent_runs=history.runs_between(monday - timedelta(days=RECENT_DAYS), monday),
        baseline_runs=history.runs_between(
            monday - timedelta(days=RECENT_DAYS + BASELINE_DAYS), monday - timedelta(days=RECENT_DAYS)
        ),
        logs=history.logs_before(monday),
        stage=previous,
        settings=settings,
        weeks_in_stage=weeks_in_stage,
        programme=programme,
    )
    found: list[Adjustment] = []
    for rule in rules:
        for adjustment in rule.evaluate(ctx):
            found.append(adjustment if adjustment.rule else _with_rule(adjustment, rule.name))
    return _resolve(found)


def _with_rule(adjustment: Adjustment, name: str) -> Adjustment:
    return Adjustment(adjustment.kind, adjustment.summary, adjustment.reason, tuple(adjustment.run_ids), name)


def _resolve(adjustments: list[Adjustment]) -> tuple[Adjustment, ...]:
    """Safety first: a regress or a hold cancels an advance."""
    kinds = {a.kind for a in adjustments}
    if kinds & {"regress", "hold"}:
        adjustments = [a for a in adjustments if a.kind != "advance"]
    return tuple(adjustments)


def _next_stage(previous: Stage, adjustments: Sequence[Adjustment], programme: Programme) -> Stage:
    kinds = {a.kind for a in adjustments}
    number = previous.number
    if "regress" in kinds:
        number -= 1
    elif "advance" in kinds:
        number += 1
    return programme.stage(number).stage


def _walk(
    week: str,
    runs: Sequence[Run],
    logs: Sequence[LogEntry],
    settings: Settings,
    rules: Sequence[Rule],
    programme: Programme,
) -> tuple[list[_Week], _History]:
    """Every week from the first one with data up to ``week``, each with its stage and adjustments."""
    target = week_start(week)
    history = _History(runs, logs, settings.tz, target)
    first = history.first_day()
    monday = week_start(iso_week(first)) if first is not None else target
    stage = programme.stage(1).stage
    weeks_in_stage = 0
    walked: list[_Week] = []
    while monday <= target:
        adjustments = _evaluate(rules, history, monday, stage, weeks_in_stage, settings, programme)
        new_stage = _next_stage(stage, adjustments, programme)
        weeks_in_stage = weeks_in_stage + 1 if new_stage == stage else 1
        stage = new_stage
        walked.append(_Week(iso_week(monday), monday, stage, adjustments))
        monday += timedelta(days=7)
    return walked, history


def stage_history(
    week: str,
    runs: Sequence[Run],
    logs: Sequence[LogEntry],
    settings: Settings,
    rules: Sequence[Rule],
    programme: Programme | None = None,
) -> list[tuple[str, Stage]]:
    """The stage of every week from the first one with data up to and including ``week``."""
    walked, _ = _walk(week, runs, logs, settings, rules, programme or load_programme())
    return [(w.week, w.stage) for w in walked]


# ----------------------------------------------------------------------------------------------- sessions


def plan_week(
    week: str,
    runs: Sequence[Run],
    logs: Sequence[LogEntry],
    settings: Settings,
    rules: Sequence[Rule],
    programme: Programme | None = None,
) -> Plan:
    """The ankle programme for ISO week ``week``."""
    programme = programme or load_programme()
    walked, history = _walk(week, runs, logs, settings, rules, programme)
    return _plan(walked[-1], history, settings, programme)


def plan_weeks(
    weeks: Iterable[str],
    runs: Sequence[Run],
    logs: Sequence[LogEntry],
    settings: Settings,
    rules: Sequence[Rule],
    programme: Programme | None = None,
) -> list[Plan]:
    """``plan_week`` for several weeks at the cost of one walk (e.g. every week an import changed)."""
    programme = programme or load_programme()
    wanted = sorted(set(weeks), key=week_start)
    if not wanted:
        return []
    walked, history = _walk(wanted[-1], runs, logs, settings, rules, programme)
    by_week = {w.week: w for w in walked}
    plans = []
    for week in wanted:
        if week in by_week:
            plans.append(_plan(by_week[week], history, settings, programme))
        else:  # before the first data: nothing to walk, the plan sees no runs
            plans.append(plan_week(week, (), (), settings, rules, programme))
    return plans


def _plan(this: _Week, history: _History, settings: Settings, programme: Programme) -> Plan:
    builder = _WeekBuilder(this, history, settings, programme)
    notes = list(programme.safety_always)
    if any(a.kind == "regress" for a in this.adjustments):
        notes.append(programme.safety_pain)
    return Plan(
        week=this.week,
        stage=this.stage,
        adjustments=this.adjustments,
        sessions=builder.sessions(),
        notes=tuple(notes),
    )


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """``Sat 6 Dec``, the same in every locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


class _WeekBuilder:
    def __init__(self, week: _Week, history: _History, settings: Settings, programme: Programme) -> None:
        self.week = week
        self.settings = settings
        self.programme = programme
        self.spec: StageSpec = programme.stage(week.stage.number)
        self.kinds = {a.kind for a in week.adjustments}
        self.no_plyometrics = "regress" in self.kinds
        self.emphasis = programme.week.emphasis(week.monday.isocalendar()[1])
        self.dial_back = self._dial_back_days(history)

    # -- what the week's adjustments change

    def _dial_back_days(self, history: _History) -> dict[date, date]:
        """Days of this week within 48 h of a hill session -> that session's day (actual or same weekday)."""
        days: dict[date, date] = {}
        monday = self.week.monday
        for adjustment in self.week.adjustments:
            if adjustment.kind != "dial_back":
                continue
            for run_id in adjustment.run_ids:
                hill_day = history.local_day.get(run_id)
                if hill_day is None:
                    continue
                repeat_day = monday + timedelta(days=hill_day.weekday())
                for start in (hill_day, repeat_day):
                    for offset in range(DIAL_BACK_DAYS + 1):
                        day = start + timedelta(days=offset)
                        if monday <= day < monday + timedelta(days=7):
                            days.setdefault(day, start)
        return days

    def _usable(self, exercise: LibraryExercise, kind: str) -> bool:
        return (
            exercise.allowed(self.spec.number)
            and kind in exercise.sessions
            and not (self.no_plyometrics and exercise.plyometric)
        )

    # -- sessions

    def sessions(self) -> tuple[Session, ...]:
        monday = self.week.monday
        ankle_days = sorted(set(self.settings.ankle_days))
        flow_day = self.settings.flow_day
        out: list[tuple[date, int, Session]] = []
        for number, weekday in enumerate(ankle_days, start=1):
            day = monday + timedelta(days=weekday)
            out.append((day, 1, self._ankle(day, number)))
        flow = monday + timedelta(days=flow_day)
        out.append((flow, 2, self._flow(flow)))
        for weekday in range(7):
            if weekday in ankle_days or weekday == flow_day:
                continue
            day = monday + timedelta(days=weekday)
            out.append((day, 0, self._warmup(day, WEEKDAYS[weekday])))
        out.sort(key=lambda item: (item[0], item[1], item[2].slot))
        return tuple(session for _, _, session in out)

    def _exercise(self, key: str) -> LibraryExercise:
        return self.programme.exercises[key]

    def _warmup(self, day: date, weekday: str) -> Session:
        chosen = [self._exercise(k) for k in self.spec.warmup]
        exercises = tuple(
            e.at(self.spec.number, dose=e.warmup_dose) for e in chosen if self._usable(e, "warmup")
        )
        return Session(
            date=day,
            title=self.programme.week.warmup_title,
            duration_min=self.programme.week.warmup_minutes,
            focus=_foci(exercises),
            exercises=exercises,
            kind="warmup",
            why="A short daily routine of ankle active range and light calf activation, on a day without "
            "another ankle session. Stop any drill that hurts.",
            slot=f"warmup-{weekday}",
        )

    def _emphasis_picks(self, number: int, taken: set[str]) -> list[LibraryExercise]:
        foci = self.programme.week.emphasis_focus[self.emphasis]
        candidates = sorted(
            (
                e
                for e in self.programme.exercises.values()
                if e.focus in foci and e.key not in taken and self._usable(e, "ankle")
            ),
            key=lambda e: foci.index(e.focus),  # stable: file order within a focus
        )
        count = min(self.programme.week.emphasis_exercises, len(candidates))
        first = ((number - 1) * count) % len(candidates) if candidates else 0
        return [candidates[(first + i) % len(candidates)] for i in range(count)]

    def _ankle(self, day: date, number: int) -> Session:
        chosen = [self._exercise(k) for k in self.spec.ankle_core]
        chosen = [e for e in chosen if self._usable(e, "ankle")]
        taken = {e.key for e in chosen}
        picks = self._emphasis_picks(number, taken)
        chosen += picks
        taken |= {e.key for e in picks}
        why = [
            f"Stage {self.spec.number} ({self.spec.name}) core work, plus {_count(len(picks), 'drill')} for "
            f"this week's {self.emphasis} emphasis (the emphasis rotates weekly)."
        ]
        for kind in ADDING_KINDS:
            if kind not in self.kinds:
                continue
            added = []
            for group in self.programme.effects.get(kind, ()):
                for key in group:
                    exercise = self._exercise(key)
                    if exercise.key in taken or not self._usable(exercise, "ankle"):
                        continue
                    added.append(exercise)
                    taken.add(exercise.key)
                    break
            chosen += added
            if added:
                why.append(f"{_ADD_REASONS[kind]}: {', '.join(e.name for e in added)}.")
            else:
                why.append(f"{_ADD_REASONS[kind]}: already in this session.")
        if self.no_plyometrics:
            why.append("No hopping or skipping this week because pain was logged; stop if anything hurts.")
        exercises, dial_note = self._dial_back(day, chosen, taken)
        if dial_note:
            why.append(dial_note)
        foci = _foci(exercises)
        if self.emphasis in foci:
            foci = (self.emphasis, *(f for f in foci if f != self.emphasis))
        return Session(
            date=day,
            title=f"{self.programme.week.ankle_title} {number}: {self.emphasis} emphasis",
            duration_min=_minutes(exercises, self.programme),
            focus=foci,
            exercises=exercises,
            kind="ankle",
            why=" ".join(why),
            slot=f"ankle-{number}",
        )

    def _flow(self, day: date) -> Session:
        chosen = [self._exercise(k) for k in self.spec.flow if self._usable(self._exercise(k), "flow")]
        why = [
            "The week's longer, deliberate mobility flow: move slowly, breathe out into each end range and "
            "note your knee-to-wall distance to follow your progress."
        ]
        if self.no_plyometrics:
            why.append("Pain was logged: keep every movement comfortable and stop if it hurts.")
        exercises, dial_note = self._dial_back(day, chosen, {e.key for e in chosen})
        if dial_note:
            why.append(dial_note)
        return Session(
            date=day,
            title=self.programme.week.flow_title,
            duration_min=max(_minutes(exercises, self.programme), self.programme.week.flow_minutes),
            focus=_foci(exercises),
            exercises=exercises,
            kind="flow",
            why=" ".join(why),
            slot="flow",
        )

    def _dial_back(
        self, day: date, chosen: list[LibraryExercise], taken: set[str]
    ) -> tuple[tuple[Exercise, ...], str]:
        """Within 48 h of a hill session: calf doses lowered, plyometrics swapped for mobility."""
        stage = self.spec.number
        if day not in self.dial_back:
            return tuple(e.at(stage) for e in chosen), ""
        swaps = [
            self._exercise(k)
            for k in self.programme.dial_back_swaps
            if k not in taken and self._usable(self._exercise(k), "ankle")
        ]
        out: list[Exercise] = []
        lowered: list[str] = []
        swapped: list[str] = []
        for exercise in chosen:
            if not exercise.plyometric and not exercise.calf_load:
                out.append(exercise.at(stage))
            elif not exercise.plyometric and exercise.light_dose:
                out.append(exercise.at(stage, dose=exercise.light_dose))
                lowered.append(exercise.name)
            elif swaps:
                swap = swaps.pop(0)
                out.append(swap.at(stage))
                swapped.append(f"{exercise.name} -> {swap.name}")
            else:
                swapped.append(f"{exercise.name} left out")
        hill_day = self.dial_back[day]
        if not lowered and not swapped:
            return tuple(out), ""
        parts = []
        if lowered:
            parts.append(f"lighter dose for {', '.join(lowered)}")
        if swapped:
            parts.append(f"swapped for mobility: {'; '.join(swapped)}")
        when = (
            f"the hill session on {day_label(hill_day)}"
            if hill_day < self.week.monday
            else f"a repeat of last week's hill session on {hill_day:%A}"
        )
        return tuple(out), f"Within 48 hours of {when}: {', '.join(parts)}; mobility stays."


_ADD_REASONS = {
    "more_lateral": "Added after trail or rough terrain",
    "unilateral": "Added for ground-contact balance, same work on both sides",
    "calf_endurance": "Added for late-run drift (calf endurance, slow lowering)",
    "cadence": "Added for cadence (quick, light turnover)",
}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _foci(exercises: Sequence[Exercise]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for exercise in exercises:
        seen.setdefault(exercise.focus, None)
    return tuple(seen)


def _minutes(exercises: Sequence[Exercise], programme: Programme) -> int:
    return sum(programme.exercises[e.key].minutes for e in exercises)
