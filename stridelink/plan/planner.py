"""The plan, day by day: the stage history walked week by week, the rules' proposals, one composer.

Pure and deterministic. Each day's sessions are built from the runs that started before that day (local
midnight) and the log entries dated before it, except pain and soreness, which count from the day they are
dated; so a day that is past never depends on anything recorded after it.

The week's stage is decided on its Monday (advance, hold, regress, return after a break). Each day, every
rule proposes adjustments; the composer applies them to the day's sessions in one precedence, lowest first so
the higher one has the last word:

1. progression (the stage on Monday: advance, or a hold that kept an advance back)
2. emphasis (more_lateral, unilateral, cadence, calf_endurance, and plugin kinds that add exercises)
3. load (dial_back after a hill session above the habit; schedule: spacing and the day before the long run)
4. return after a break, soreness, pain (pain rebuilds the day at the foundations)

Every change an adjustment made and that survived the later ones is listed in its ``changes``; a proposal
that changed nothing becomes a note saying why.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from stridelink.models import (
    Adjustment,
    Change,
    Exercise,
    LogEntry,
    NotChecked,
    Note,
    Plan,
    Rule,
    RuleContext,
    Run,
    Session,
    Stage,
)
from stridelink.plan.baseline import BASELINE_WEEKS, Habit, measure
from stridelink.plan.dose import Dose, parse_dose
from stridelink.plan.programme import LibraryExercise, Programme, load_programme
from stridelink.plan.rules import day_label
from stridelink.settings import WEEKDAYS, Settings
from stridelink.weeks import iso_week, week_start, year_and_week

RECENT_DAYS = 7
BREAK_DAYS = 14  # this long without runs or ankle sessions is a break
LOOKBACK_DAYS = 7 * (BASELINE_WEEKS + 3)  # the furthest back any built-in rule reads runs
STAGE_KINDS = ("advance", "hold", "regress", "return")
EMPHASIS_KINDS = ("more_lateral", "unilateral", "cadence", "calf_endurance")
__all__ = ["WalkState", "day_label", "iso_week", "plan_week", "plan_weeks", "stage_history", "walk", "week_start"]


# ----------------------------------------------------------------------------------------------- weeks


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def weeks_affected(run_start_utc: datetime, tz: tzinfo | str, *, today: date | None = None) -> list[str]:
    """The weeks whose plan a run starting at ``run_start_utc`` changes: its own week (the days after it) and
    every later week up to the current one."""
    zone = _zone(tz)
    monday = week_start(iso_week(run_start_utc.astimezone(zone).date()))
    today = today if today is not None else datetime.now(zone).date()
    last = max(week_start(iso_week(today)), monday)
    weeks = []
    while monday <= last:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks


# ----------------------------------------------------------------------------------------------- history


class History:
    """Runs and logs sorted by local day once, so every window is two bisects.

    ``first_day`` and ``last_activity`` describe what came before the runs and logs given, when only a window
    of the library was loaded (see ``plan_week``'s ``start``).
    """

    def __init__(self, runs: Iterable[Run], logs: Iterable[LogEntry], tz: tzinfo, *,
                 first_day: date | None = None, activity_before: date | None = None) -> None:
        dated = sorted(((run.start_utc.astimezone(tz).date(), run.start_utc, run.run_id, run) for run in runs),
                       key=lambda item: item[:3])
        self.run_days = [item[0] for item in dated]
        self.runs = [item[3] for item in dated]
        self.logs = sorted(logs, key=lambda log: (log.day, log.entry_id))
        self.log_days = [log.day for log in self.logs]
        self.session_days = sorted(log.day for log in self.logs if log.kind == "session")
        days = [d for d in (self.run_days[:1] + self.log_days[:1]) if d is not None]
        own_first = min(days) if days else None
        self.first_day = min(d for d in (first_day, own_first) if d) if (first_day or own_first) else None
        self.first_monday = _monday_of(self.first_day)
        self.activity_before = activity_before
        self.local_day = {run.run_id: day for day, run in zip(self.run_days, self.runs, strict=True)}

    def runs_between(self, start: date, end: date) -> tuple[Run, ...]:
        lo = bisect.bisect_left(self.run_days, start)
        hi = bisect.bisect_left(self.run_days, end)
        return tuple(self.runs[lo:hi])

    def runs_and_days(self, start: date, end: date) -> tuple[tuple[Run, ...], tuple[date, ...]]:
        lo = bisect.bisect_left(self.run_days, start)
        hi = bisect.bisect_left(self.run_days, end)
        return tuple(self.runs[lo:hi]), tuple(self.run_days[lo:hi])

    def logs_for(self, day: date) -> tuple[LogEntry, ...]:
        """What ``day`` may see: entries dated before it, and pain and soreness dated that day."""
        end = bisect.bisect_left(self.log_days, day)
        same = bisect.bisect_right(self.log_days, day)
        today = [log for log in self.logs[end:same] if log.kind in ("pain", "soreness")]
        return (*self.logs[:end], *today)

    def any_log_between(self, start: date, end: date) -> bool:
        return bisect.bisect_left(self.log_days, start) < bisect.bisect_left(self.log_days, end)

    def last_activity_before(self, day: date) -> date | None:
        found = [self.activity_before] if self.activity_before else []
        i = bisect.bisect_left(self.run_days, day)
        if i:
            found.append(self.run_days[i - 1])
        j = bisect.bisect_left(self.session_days, day)
        if j:
            found.append(self.session_days[j - 1])
        return max(found) if found else None


# ----------------------------------------------------------------------------------------------- the walk


@dataclass(frozen=True, slots=True)
class WalkState:
    """Where the athlete stands entering ``week``: its stage, breaks and returns. Stored, it lets a plan start
    from the week before instead of from the first run."""

    week: str
    stage: int
    weeks_in_stage: int = 0
    on_break: bool = False
    weeks_back: int = 0  # 1 and 2: the first and second week back after a break
    baseline_since: date | None = None  # the habit is measured from this Monday on

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "stage": self.stage, "weeks_in_stage": self.weeks_in_stage,
                "on_break": self.on_break, "weeks_back": self.weeks_back,
                "baseline_since": self.baseline_since.isoformat() if self.baseline_since else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WalkState:
        since = data.get("baseline_since")
        return cls(data["week"], int(data["stage"]), int(data["weeks_in_stage"]), bool(data["on_break"]),
                   int(data["weeks_back"]), date.fromisoformat(since) if since else None)


@dataclass(frozen=True, slots=True)
class _Week:
    week: str
    monday: date
    entering: WalkState  # the state entering the week (last week's stage)
    state: WalkState  # the week's own: its stage, break and return status
    habit: Habit
    proposals: tuple[Any, ...]  # Monday's adjustments, notes and not-checked records
    return_gap: int | None = None  # days without activity, when the week starts or continues a break
    quiet: bool = False  # only prolonged a break: state alone, no habit or proposals (see _quiet)


_NO_HABIT = Habit(0)


def _evaluate(rules: Sequence[Rule], ctx: RuleContext) -> list[Any]:
    found: list[Any] = []
    for rule in rules:
        for item in rule.evaluate(ctx):
            if isinstance(item, Adjustment) and not item.rule:
                item = replace(item, rule=rule.name)
            found.append(item)
    return found


def _context(history: History, monday: date, day: date, entering: WalkState, habit: Habit, settings: Settings,
             programme: Programme, state: WalkState) -> RuleContext:
    return RuleContext(
        week=state.week,
        week_start=monday,
        recent_runs=history.runs_between(day - timedelta(days=RECENT_DAYS), day),
        baseline_runs=history.runs_between(monday - timedelta(days=RECENT_DAYS, weeks=BASELINE_WEEKS),
                                           monday - timedelta(days=RECENT_DAYS)),
        logs=history.logs_for(day),
        stage=programme.stage(entering.stage).stage,
        settings=settings,
        weeks_in_stage=entering.weeks_in_stage,
        programme=programme,
        day=day,
        habit=habit,
        state=state,
    )


def _monday_of(day: date | None) -> date | None:
    return day - timedelta(days=day.weekday()) if day else None


def _step(history: History, monday: date, entering: WalkState, settings: Settings, rules: Sequence[Rule],
          programme: Programme) -> _Week:
    """Decide the week of ``monday``: break or return, the habit, Monday's proposals, the stage."""
    last = history.last_activity_before(monday)
    gap = (monday - last).days if last else None
    on_break = gap is not None and gap >= BREAK_DAYS
    since = entering.baseline_since
    first = history.first_monday
    if first is not None and (since is None or since < first + timedelta(days=7)):
        since = first + timedelta(days=7)  # the first week is partial: never part of the baseline
    weeks_back = 0
    if on_break:
        since = monday + timedelta(days=7)
    elif entering.on_break:
        weeks_back = 1
    elif entering.weeks_back == 1:
        weeks_back = 2
    week = entering.week  # the walk hands in the state entering this week, named after it
    state = WalkState(week, entering.stage, entering.weeks_in_stage, on_break, weeks_back, since)
    # The habit: the full weeks before last week (last week is what the Monday rules judge against it).
    habit_end = monday - timedelta(days=RECENT_DAYS)
    runs, days = history.runs_and_days(habit_end - timedelta(weeks=BASELINE_WEEKS), habit_end)
    habit = measure(runs, habit_end, _zone(settings.tz), since=since, days=days)
    ctx = _context(history, monday, monday, entering, habit, settings, programme, state)
    proposals = _evaluate(rules, ctx)
    kinds = {p.kind for p in proposals if isinstance(p, Adjustment)}
    number = entering.stage
    if on_break and not entering.on_break:
        number -= 1
    elif "regress" in kinds:
        number -= 1
    elif "advance" in kinds and not kinds & {"hold", "regress", "pain"} and not on_break and not weeks_back:
        number += 1
    number = programme.stage(number).number
    in_stage = entering.weeks_in_stage + 1 if number == entering.stage else 1
    state = WalkState(week, number, in_stage, on_break, weeks_back, since)
    return _Week(week, monday, entering, state, habit, tuple(proposals), gap if (on_break or weeks_back) else None)


def _quiet(history: History, monday: date, entering: WalkState, programme: Programme) -> WalkState | None:
    """The week's state when it only prolongs a break: the athlete was on a break entering it and nothing (no
    run, no log entry) happened in the reach of the rules before its Monday. The stage then holds without asking
    the rules, who would see nothing to act on; None for any other week."""
    if not entering.on_break:
        return None
    last = history.last_activity_before(monday)
    if last is None or (monday - last).days < BREAK_DAYS:
        return None
    reach = monday - timedelta(days=max(LOOKBACK_DAYS, programme.regression.days))
    if history.runs_between(reach, monday) or history.any_log_between(reach, monday + timedelta(days=1)):
        return None
    return WalkState(entering.week, entering.stage, entering.weeks_in_stage + 1, True, 0,
                     monday + timedelta(days=7))


def walk(week: str, history: History, settings: Settings, rules: Sequence[Rule], programme: Programme,
         start: WalkState | None = None, *, keep: Iterable[str] = ()) -> list[_Week]:
    """Every week from ``start`` (or the first one with data) up to ``week``, each decided on its Monday.

    Weeks that only prolong a break (see ``_quiet``) carry their state alone (no habit, no proposals), except
    ``week`` and the weeks in ``keep``, which are always decided in full."""
    target = week_start(week)
    full = {week, *keep}
    if start is not None and week_start(start.week) <= target:
        monday, entering = week_start(start.week), start
    else:
        first = history.first_monday
        monday = first if first is not None and first <= target else target
        entering = WalkState(iso_week(monday), 1)
    walked: list[_Week] = []
    name = iso_week(monday)
    while monday <= target:
        if entering.week != name:
            entering = replace(entering, week=name)
        quiet = None if name in full else _quiet(history, monday, entering, programme)
        if quiet is not None:
            this = _Week(name, monday, entering, quiet, _NO_HABIT, (), quiet=True)
        else:
            this = _step(history, monday, entering, settings, rules, programme)
        walked.append(this)
        monday += timedelta(days=7)
        name = iso_week(monday)
        state = this.state
        entering = WalkState(name, state.stage, state.weeks_in_stage, state.on_break, state.weeks_back,
                             state.baseline_since)
    return walked


def next_state(this_week_state: WalkState) -> WalkState:
    """The state entering the week after the one ``this_week_state`` describes."""
    return replace(this_week_state, week=iso_week(week_start(this_week_state.week) + timedelta(days=7)))


def stage_history(week: str, runs: Sequence[Run], logs: Sequence[LogEntry], settings: Settings,
                  rules: Sequence[Rule], programme: Programme | None = None) -> list[tuple[str, Stage]]:
    """The stage of every week from the first one with data up to and including ``week``."""
    programme = programme or load_programme()
    history = History(runs, logs, _zone(settings.tz))
    return [(w.week, programme.stage(w.state.stage).stage) for w in walk(week, history, settings, rules, programme)]


def plan_week(week: str, runs: Sequence[Run], logs: Sequence[LogEntry], settings: Settings, rules: Sequence[Rule],
              programme: Programme | None = None, *, start: WalkState | None = None,
              first_day: date | None = None, activity_before: date | None = None) -> Plan:
    """The programme of ISO week ``week``.

    ``runs`` and ``logs`` may be only a window of the library when ``start`` gives the state entering a week
    inside it (the runs then reach back ``LOOKBACK_DAYS`` before that week); ``first_day`` and
    ``activity_before`` say when the history began and the last activity before the window.
    """
    return plan_weeks([week], runs, logs, settings, rules, programme, start=start, first_day=first_day,
                      activity_before=activity_before)[0]


def plan_weeks(weeks: Iterable[str], runs: Sequence[Run], logs: Sequence[LogEntry], settings: Settings,
               rules: Sequence[Rule], programme: Programme | None = None, *, start: WalkState | None = None,
               first_day: date | None = None, activity_before: date | None = None,
               states: list[WalkState] | None = None) -> list[Plan]:
    """``plan_week`` for several weeks at the cost of one walk; ``states`` receives the state entering every
    walked week that was decided in full (for storing)."""
    programme = programme or load_programme()
    wanted = sorted(set(weeks), key=week_start)
    if not wanted:
        return []
    history = History(runs, logs, _zone(settings.tz), first_day=first_day, activity_before=activity_before)
    walked = walk(wanted[-1], history, settings, rules, programme, start, keep=wanted)
    if states is not None:  # a quiet week's state is quick to walk to again from the last one stored
        states.extend(w.entering for w in walked if not w.quiet)
    by_week = {w.week: w for w in walked}
    plans = []
    for week in wanted:
        this = by_week.get(week)
        if this is None:  # before the first data: nothing to walk
            this = _step(history, week_start(week), WalkState(week, 1), settings, rules, programme)
        plans.append(_Composer(this, history, settings, rules, programme).plan())
    return plans


# ----------------------------------------------------------------------------------------------- drafts


@dataclass(slots=True)
class _Item:
    lib: LibraryExercise
    dose: Dose


@dataclass(slots=True)
class _Draft:
    kind: str  # warmup, ankle, flow
    slot: str
    number: int  # ankle session number, 0 otherwise
    stage: int
    items: list[_Item]
    why: list[str] = field(default_factory=list)

    def keys(self) -> set[str]:
        return {item.lib.key for item in self.items}


_Snapshot = dict[tuple[str, str], tuple[str, str]]  # (slot, key) -> (name, dose text)


def _snapshot(drafts: Sequence[_Draft]) -> _Snapshot:
    return {(d.slot, i.lib.key): (i.lib.name, i.dose.text) for d in drafts for i in d.items}


def _diff(before: _Snapshot, after: _Snapshot, day: date) -> list[tuple[str, str, Change]]:
    out = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[1] == new[1]:
            continue
        name = (new or old)[0]  # type: ignore[index]
        out.append((key[0], key[1], Change(day, name, old[1] if old else None, new[1] if new else None)))
    return out


def _flags(lib: LibraryExercise, dose: Dose) -> tuple[str, ...]:
    flags = []
    if lib.plyometric:
        flags.append("plyometric")
    if lib.calf_load:
        flags.append("calf_load")
    if lib.unilateral or "single leg" in dose.text.lower():
        flags.append("unilateral")
    if lib.focus == "lateral":
        flags.append("lateral")
    return tuple(flags)


def _exercise(item: _Item) -> Exercise:
    lib, dose = item.lib, item.dose
    return Exercise(name=lib.name, dose=dose.text, focus=lib.focus, cue=lib.cue, equipment=lib.equipment, key=lib.key,
                    sets=dose.sets, reps=dose.reps, seconds=dose.seconds, per_side=dose.per_side,
                    flags=_flags(lib, dose))


# ----------------------------------------------------------------------------------------------- the composer


_PRECEDENCE = {"advance": 0, "hold": 0, "regress": 0, **{k: 1 for k in EMPHASIS_KINDS}, "dial_back": 2,
               "schedule": 2, "return": 3, "soreness": 3, "pain": 4}
_SHORT = {
    "more_lateral": "More side-to-side and balance work after trail or rough terrain",
    "unilateral": "Single-leg work added",
    "cadence": "Quick, light turnover drills added for cadence",
    "calf_endurance": "Calf endurance work added for late-run drift",
    "dial_back": "Lighter calf and hopping work after a hill session",
    "schedule": "Hops and heavy calf work moved off this day",
    "return": "Back from a break: hopping returns gradually",
    "soreness": "One set fewer while sore",
    "pain": "Pain logged: foundations only, no hopping or heavy calf work",
    "advance": "New stage",
    "regress": "A stage back after pain",
    "hold": "The stage holds",
}


class _Composer:
    def __init__(self, week: _Week, history: History, settings: Settings, rules: Sequence[Rule],
                 programme: Programme) -> None:
        self.week = week
        self.history = history
        self.settings = settings
        self.rules = rules
        self.programme = programme
        self.stage = week.state.stage
        self.prev_stage = week.entering.stage
        self.emphasis = programme.week.emphasis(year_and_week(week.monday)[1])
        self.standing_lateral = week.habit.trail_habit
        self.ankle_days = sorted(set(settings.ankle_days))
        self.schedule = self._schedule()
        self._monday_adjustments = [p for p in week.proposals if isinstance(p, Adjustment)]
        kinds = {a.kind for a in self._monday_adjustments}
        self.kept_back = "advance" in kinds and "hold" in kinds and self.stage <= self.prev_stage

    # -- the base programme of a day at a stage

    def _usable(self, lib: LibraryExercise, kind: str, stage: int) -> bool:
        return lib.allowed(stage) and kind in lib.sessions

    def _item(self, lib: LibraryExercise, stage: int, dose: str | None = None) -> _Item:
        return _Item(lib, parse_dose(dose if dose is not None else lib.dose(stage)))

    def _base(self, day: date, stage: int) -> list[_Draft]:
        spec = self.programme.stage(stage)
        ex = self.programme.exercises
        weekday = day.weekday()
        drafts: list[_Draft] = []
        for number, ankle_day in enumerate(self.ankle_days, start=1):
            if ankle_day == weekday:
                drafts.append(self._ankle(number, stage))
        if weekday == self.settings.flow_day:
            items = [self._item(ex[k], stage) for k in spec.flow if self._usable(ex[k], "flow", stage)]
            drafts.append(_Draft("flow", "flow", 0, stage, items, [
                "The week's longer, deliberate mobility flow: move slowly, breathe out into each end range and "
                "note your knee-to-wall distance to follow your progress."]))
        if not drafts:
            items = [self._item(ex[k], stage, ex[k].warmup_dose) for k in spec.warmup
                     if self._usable(ex[k], "warmup", stage)]
            drafts.append(_Draft("warmup", f"warmup-{WEEKDAYS[weekday]}", 0, stage, items, [
                "A short daily routine of ankle active range and light calf activation, on a day without another "
                "ankle session. Stop any drill that hurts."]))
        return drafts

    def _ankle(self, number: int, stage: int) -> _Draft:
        spec = self.programme.stage(stage)
        ex = self.programme.exercises
        chosen = [ex[k] for k in spec.ankle_core if self._usable(ex[k], "ankle", stage)]
        taken = {e.key for e in chosen}
        foci = self.programme.week.emphasis_focus[self.emphasis]
        candidates = sorted((e for e in ex.values() if e.focus in foci and e.key not in taken
                             and self._usable(e, "ankle", stage)), key=lambda e: foci.index(e.focus))
        count = min(self.programme.week.emphasis_exercises, len(candidates))
        first = ((number - 1) * count) % len(candidates) if candidates else 0
        picks = [candidates[(first + i) % len(candidates)] for i in range(count)]
        chosen += picks
        why = [f"Stage {spec.number} ({spec.name}) core work, plus {len(picks)} drill{'s' if len(picks) != 1 else ''} "
               f"for this week's {self.emphasis} emphasis (the emphasis rotates weekly)."]
        draft = _Draft("ankle", f"ankle-{number}", number, stage, [self._item(e, stage) for e in chosen], why)
        if self.standing_lateral:
            added = self._add_groups(draft, "more_lateral")
            if added:
                draft.why.append("Side-to-side and balance work stands in every ankle session: trail running is "
                                 f"part of your usual weeks ({', '.join(a.lib.name for a in added)}).")
        return draft

    def _add_groups(self, draft: _Draft, kind: str) -> list[_Item]:
        added = []
        for group in self.programme.effects.get(kind, ()):
            for key in group:
                lib = self.programme.exercises[key]
                if key in draft.keys() or not self._usable(lib, "ankle", draft.stage):
                    continue
                item = self._item(lib, draft.stage)
                draft.items.append(item)
                added.append(item)
                break
        return added

    # -- the schedule the settings allow

    def _long_day(self) -> tuple[int | None, str]:
        setting = getattr(self.settings, "long_run_day", None)
        if setting is not None:
            return setting, "set in settings"
        day = self.week.habit.long_run_weekday
        return day, f"your longest run falls on {WEEKDAYS[day].capitalize()} in most recent weeks" if day is not None \
            else ""

    def _schedule(self) -> list[Adjustment]:
        """Ankle days that cannot carry hops or heavy calf work (48 h spacing, the day before the long run),
        and a second session when the settings give only one."""
        self.unload: dict[int, str] = {}
        long_day, long_why = self._long_day()
        days = self.ankle_days
        last_loaded: int | None = None
        for offset in range(14):  # two weeks, so a Sunday and the next Monday are consecutive too
            weekday = offset % 7
            if weekday not in days:
                continue
            reason = None
            if last_loaded is not None and offset - last_loaded < 2:
                reason = "consecutive"
            elif long_day is not None and (weekday + 1) % 7 == long_day:
                reason = "long_run"
            if reason is None:
                last_loaded = offset
            elif offset >= 7:
                self.unload[weekday] = reason
        monday = self.week.monday
        out = []
        by_reason: dict[str, list[int]] = {}
        for weekday, reason in sorted(self.unload.items()):
            by_reason.setdefault(reason, []).append(weekday)
        names = lambda ws: ", ".join(WEEKDAYS[w].capitalize() for w in ws)  # noqa: E731
        for reason, weekdays in by_reason.items():
            if reason == "consecutive":
                summary = (f"Your ankle days ({names(days)}) put hopping or heavy calf work on consecutive days: "
                           f"on {names(weekdays)} those drills are swapped for mobility, so loaded sessions are at "
                           "least 48 hours apart. Choose ankle days with a day between them to keep them all.")
            else:
                summary = (f"{names(weekdays)} is the day before your long run ({long_why}): hops and heavy "
                           "calf work move off it. Set long_run_day or choose other ankle days to change this.")
            out.append(Adjustment(
                kind="schedule", summary=summary,
                reason=("Spacing loaded calf and hopping work about 48 hours apart, and keeping it off the day "
                        "before a long run, is coaching convention for tendon recovery; no trial tested it."),
                rule="schedule", from_day=monday + timedelta(days=weekdays[0]),
                foci=tuple(WEEKDAYS[w] for w in weekdays)))
        self.one_day = len(days) == 1
        if self.one_day:
            out.append(Adjustment(
                kind="schedule",
                summary=(f"Only one ankle day is set ({names(days)}): the programme needs two a week, so the "
                         f"{WEEKDAYS[self.settings.flow_day].capitalize()} flow also carries the stage's strength "
                         "and balance core (no hops). Add a second ankle day to split them."),
                reason=("The trials behind the programme ran 3 sessions a week (Hupperets et al. 2009) or "
                        "progressed in phases with regular sessions (McGuine & Keene 2006)."),
                rule="schedule", from_day=monday + timedelta(days=self.settings.flow_day), foci=("one_day",)))
        return out

    # -- the effects

    def _lighter(self, draft: _Draft, *, calf: bool = True, plyometric: bool = True) -> None:
        """Plyometrics swapped for mobility (or left out); calf loading at its light dose, a set fewer or out."""
        swaps = [self.programme.exercises[k] for k in self.programme.dial_back_swaps]
        kind = "ankle" if draft.kind != "warmup" else "warmup"
        out: list[_Item] = []
        for item in draft.items:
            lib = item.lib
            if plyometric and lib.plyometric:
                if draft.kind == "warmup":
                    continue
                taken = draft.keys() | {i.lib.key for i in out}
                swap = next((s for s in swaps if s.key not in taken and self._usable(s, kind, draft.stage)), None)
                if swap is not None:
                    out.append(self._item(swap, draft.stage))
                continue
            if calf and lib.calf_load and not lib.plyometric:
                light = parse_dose(lib.light_dose) if lib.light_dose else None
                if light is not None and light.volume < item.dose.volume:
                    out.append(_Item(lib, light))
                elif item.dose.countable and item.dose.sets > 1:
                    out.append(_Item(lib, item.dose.with_sets(item.dose.sets - 1)))
                continue  # a single easy set is left out
            out.append(item)
        draft.items = out

    def _more(self, draft: _Draft, kind: str, adjustment: Adjustment) -> None:
        if adjustment.side:
            foci = set(adjustment.foci)
            for i, item in enumerate(draft.items):
                if item.lib.focus in foci and not item.lib.plyometric:
                    extra = "one set" if item.dose.per_side else "one single-leg set"
                    draft.items[i] = _Item(item.lib, item.dose.with_note(f"plus {extra} on the {adjustment.side}"))
            return
        if kind not in self.programme.effects:
            return
        if self._add_groups(draft, kind):
            return
        match: Callable[[LibraryExercise], bool] = {
            "more_lateral": lambda e: e.focus in ("lateral", "balance"),
            "unilateral": lambda e: e.unilateral,
            "cadence": lambda e: e.focus == "cadence",
            "calf_endurance": lambda e: e.focus == "calf_strength" and not e.plyometric,
        }.get(kind, lambda e: False)
        for i, item in enumerate(draft.items):
            if match(item.lib) and not item.lib.plyometric:
                draft.items[i] = _Item(item.lib, item.dose.with_sets(item.dose.sets + 1))

    def _apply(self, adjustment: Adjustment, drafts: list[_Draft], day: date) -> list[_Draft]:
        kind = adjustment.kind
        if kind in EMPHASIS_KINDS or (kind not in _PRECEDENCE and kind in self.programme.effects):
            for draft in drafts:
                if draft.kind == "ankle":
                    self._more(draft, kind, adjustment)
        elif kind == "dial_back":
            for draft in drafts:
                self._lighter(draft)
        elif kind == "schedule":
            if "one_day" in adjustment.foci:
                spec = self.programme.stage(self.stage)
                for draft in drafts:
                    if draft.kind == "flow":
                        for key in spec.ankle_core:
                            lib = self.programme.exercises[key]
                            if key not in draft.keys() and not lib.plyometric and lib.allowed(draft.stage):
                                draft.items.append(self._item(lib, draft.stage))
            elif WEEKDAYS[day.weekday()] in adjustment.foci:
                for draft in drafts:
                    if draft.kind == "ankle":
                        self._lighter(draft)
        elif kind == "return":
            for draft in drafts:
                if self.week.state.weeks_back == 2:
                    for i, item in enumerate(draft.items):
                        if item.lib.plyometric:
                            draft.items[i] = _Item(item.lib, item.dose.with_sets(max(1, item.dose.sets // 2)))
                else:
                    self._lighter(draft, calf=False)
        elif kind == "soreness":
            for draft in drafts:
                if draft.kind == "warmup":
                    continue
                for i, item in enumerate(draft.items):
                    lib = item.lib
                    if lib.calf_load or lib.plyometric or lib.unilateral:
                        draft.items[i] = _Item(lib, item.dose.with_sets(item.dose.sets - 1))
        elif kind == "pain":
            drafts = self._base(day, 1)
            other = {"left": "right", "right": "left"}.get(adjustment.side or "")
            for draft in drafts:
                self._lighter(draft)
                if other:
                    for i, item in enumerate(draft.items):
                        if item.lib.unilateral and item.dose.per_side:
                            draft.items[i] = _Item(item.lib, item.dose.with_note(
                                f"on the {other} side only while the {adjustment.side} settles"))
        return drafts

    # -- a day

    def _day_proposals(self, day: date) -> list[Any]:
        if day == self.week.monday:
            return list(self.week.proposals)
        ctx = _context(self.history, self.week.monday, day, self.week.entering, self.week.habit, self.settings,
                       self.programme, self.week.state)
        return _evaluate(self.rules, ctx)

    def plan(self) -> Plan:
        week = self.week
        monday = week.monday
        merged: dict[tuple[str, str, str | None, tuple[str, ...]], Adjustment] = {}
        changes: dict[tuple[str, str, str | None, tuple[str, ...]], list[tuple[str, str, Change]]] = {}
        applied: dict[tuple[str, str, str | None, tuple[str, ...]], bool] = {}
        notes: dict[tuple[str, str], Note] = {}
        not_checked: dict[str, NotChecked] = {}
        finals: dict[date, _Snapshot] = {}
        sessions: list[Session] = []
        week_level, week_notes = self._week_level()
        for note in week_notes:
            notes.setdefault((note.kind, note.summary), note)
        for offset in range(7):
            day = monday + timedelta(days=offset)
            found = self._day_proposals(day)
            if day != monday:  # Monday's decisions for the whole week (``until_day``) hold on every day
                found += [p for p in week.proposals if isinstance(p, Adjustment) and p.kind not in STAGE_KINDS
                          and p.until_day is not None and p.until_day >= day]
            day_adjustments = [a for a in week_level if (a.from_day or monday) <= day]
            for item in found:
                if isinstance(item, Note):
                    notes.setdefault((item.kind, item.summary), item)
                elif isinstance(item, NotChecked):
                    not_checked.setdefault(item.rule, item)
                elif isinstance(item, Adjustment) and item.kind not in STAGE_KINDS:
                    if item.from_day is None or item.from_day <= day:
                        day_adjustments.append(item)
            day_adjustments = list({(a.rule, a.kind, a.side, a.foci): a for a in day_adjustments}.values())
            day_adjustments.sort(key=lambda a: _PRECEDENCE.get(a.kind, 1))
            # progression: the stage on Monday against last week's (or the advance a hold kept back)
            drafts = self._base(day, self.stage)
            for adjustment in day_adjustments:
                ident = (adjustment.rule, adjustment.kind, adjustment.side, adjustment.foci)
                if ident in merged:
                    old = merged[ident]
                    merged[ident] = replace(
                        adjustment, from_day=old.from_day,
                        run_ids=tuple(dict.fromkeys(old.run_ids + adjustment.run_ids)),
                        log_ids=tuple(dict.fromkeys(old.log_ids + adjustment.log_ids)))
                else:
                    merged[ident] = adjustment
                bucket = changes.setdefault(ident, [])
                if adjustment.kind in ("advance", "regress", "hold", "return"):
                    before_stage = self._stage_before(adjustment)
                    if before_stage is not None and before_stage != self.stage:
                        bucket += _diff(_snapshot(self._base(day, before_stage)), _snapshot(drafts), day)
                    if adjustment.kind != "return":
                        continue
                before = _snapshot(drafts)
                drafts = self._apply(adjustment, drafts, day)
                applied[ident] = True
                bucket += _diff(before, _snapshot(drafts), day)
            finals[day] = _snapshot(drafts)
            sessions += self._sessions(day, drafts, day_adjustments, changes, merged)
        adjustments, dropped = [], []
        for ident, adjustment in merged.items():
            kept = [c for slot, key, c in changes.get(ident, ())
                    if finals[c.date].get((slot, key), (None, None))[1] == c.after]
            kept = list(dict.fromkeys(kept))
            if kept:
                adjustments.append(replace(adjustment, changes=tuple(kept), from_day=min(c.date for c in kept)))
            else:
                if changes.get(ident):
                    why = "a higher-priority adjustment (pain, a break or load) replaced what it would change"
                elif adjustment.kind == "hold":
                    why = "no progression step was due this week"
                elif not applied.get(ident):
                    why = "it had nothing to act on"
                else:
                    why = "the sessions already hold this work, or no session it applies to was left"
                dropped.append(Note(adjustment.kind, f"{adjustment.summary} No change to the sessions: {why}.",
                                    adjustment.run_ids))
        adjustments.sort(key=lambda a: (a.from_day or monday, _PRECEDENCE.get(a.kind, 1)))
        all_notes = [*dropped, *notes.values()]
        all_notes += [Note("safety", text) for text in self.programme.safety_always]
        if any(a.kind == "pain" for a in adjustments):
            all_notes.append(Note("safety", self.programme.safety_pain))
        return Plan(week=week.week, stage=self.programme.stage(self.stage).stage, adjustments=tuple(adjustments),
                    sessions=tuple(sessions), notes=tuple(all_notes), not_checked=tuple(not_checked.values()))

    def _stage_before(self, adjustment: Adjustment) -> int | None:
        if adjustment.kind in ("advance", "regress", "return"):
            return self.prev_stage
        if adjustment.kind == "hold" and self.kept_back:
            return self.programme.stage(self.prev_stage + 1).number
        return None

    def _week_level(self) -> tuple[list[Adjustment], list[Note]]:
        """Monday's stage decisions, the return after a break and the schedule, as this week applies them."""
        week = self.week
        out: list[Adjustment] = []
        notes: list[Note] = []
        for p in week.proposals:
            if not isinstance(p, Adjustment) or p.kind not in STAGE_KINDS:
                continue
            if p.kind == "advance" and self.stage <= self.prev_stage:
                why = "a hold" if self.kept_back else (
                    "pain was logged" if any(a.kind in ("pain", "regress") for a in self._monday_adjustments)
                    else "you are back from a break")
                notes.append(Note("advance_waits", f"{p.summary} Not this week: {why} comes first.", p.run_ids))
                continue
            if p.kind == "regress" and self.stage >= self.prev_stage:
                continue
            out.append(p)
        ret = self._return()
        if ret is not None:
            out.append(ret)
        out += self.schedule
        return out, notes

    def _return(self) -> Adjustment | None:
        state, entering = self.week.state, self.week.entering
        gap = self.week.return_gap
        if not (state.on_break or state.weeks_back):
            return None
        if state.on_break:
            stepped = not entering.on_break and self.stage < self.prev_stage
            summary = (f"No runs or ankle sessions for {gap} days: "
                       + (f"back a stage to {self.stage} and " if stepped else "")
                       + "no hopping or skipping until you are back into a routine; hops return gradually.")
        elif state.weeks_back == 1:
            summary = "First week back after a break: no hopping or skipping yet; calf and balance work as usual."
        else:
            summary = "Second week back after a break: hopping and skipping return at half the sets."
        return Adjustment(
            kind="return", summary=summary,
            reason=("Stepping back after time off and reintroducing plyometrics over two weeks is coaching "
                    "convention; the prevention trials built load in phases (McGuine & Keene 2006) but did not "
                    "test returns after a break."),
            rule="return_after_break", from_day=self.week.monday)

    # -- the sessions as the athlete sees them

    def _sessions(self, day: date, drafts: list[_Draft], adjustments: list[Adjustment],
                  changes: dict[Any, list[tuple[str, str, Change]]], merged: dict[Any, Adjustment]) -> list[Session]:
        out = []
        for draft in drafts:
            why = list(draft.why)
            for adjustment in adjustments:
                ident = (adjustment.rule, adjustment.kind, adjustment.side, adjustment.foci)
                if any(c.date == day and slot == draft.slot for slot, _, c in changes.get(ident, ())):
                    why.append(f"{_SHORT.get(adjustment.kind, adjustment.kind)}: {adjustment.summary}")
            exercises = tuple(_exercise(item) for item in draft.items)
            if draft.kind == "ankle":
                title = f"{self.programme.week.ankle_title} {draft.number}: {self.emphasis} emphasis"
                if draft.stage < self.stage:
                    title += " (foundations)" if draft.stage == 1 else f" (stage {draft.stage})"
                minutes = sum(item.lib.minutes for item in draft.items)
            elif draft.kind == "flow":
                title = self.programme.week.flow_title
                minutes = max(sum(item.lib.minutes for item in draft.items), self.programme.week.flow_minutes)
            else:
                title = self.programme.week.warmup_title
                minutes = self.programme.week.warmup_minutes
            foci = tuple(dict.fromkeys(e.focus for e in exercises))
            if draft.kind == "ankle" and self.emphasis in foci:
                foci = (self.emphasis, *(f for f in foci if f != self.emphasis))
            out.append(Session(date=day, title=title, duration_min=minutes, focus=foci, exercises=exercises,
                               kind=draft.kind, why=" ".join(why), slot=draft.slot, stage=draft.stage))
        return out
