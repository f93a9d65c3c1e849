"""The records stridelink passes around: frozen dataclasses; time series as numpy arrays (DataFrames on demand)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads only where samples are handled, not for every command
    import pandas as pd

if TYPE_CHECKING:
    from stridelink.plan.baseline import Habit
    from stridelink.samples import Samples
    from stridelink.plan.planner import WalkState
    from stridelink.plan.programme import Programme
    from stridelink.settings import Settings

# Keys a reader may put in ``Activity.device_totals``: the device's own session figures, canonical units.
DEVICE_TOTAL_KEYS = (
    "distance_m",
    "timer_time_s",
    "elapsed_time_s",
    "ascent_m",
    "descent_m",
    "avg_speed_mps",
    "avg_heart_rate_bpm",
    "avg_cadence_spm",
    "avg_gct_ms",
    "avg_gct_balance_left_pct",
    "avg_vertical_oscillation_mm",
    "avg_vertical_ratio_pct",
    "avg_step_length_mm",
    "avg_power_w",
)


@dataclass(frozen=True, eq=False, init=False)
class Activity:
    """One foot activity as a reader found it; a multisport file yields one per running leg.

    ``series`` holds the samples as numpy arrays (what signals and the store read); ``samples`` is the same
    data as a pandas DataFrame, built the first time it is asked for. Either may be given when constructing.
    """

    sport: str  # FIT sport names: running, walking, hiking
    sub_sport: str | None  # FIT sub_sport names: trail, track, treadmill, road, street, generic, ...
    start_utc: datetime  # timezone-aware, UTC
    source_format: str  # fit, gpx, tcx, ...
    series: Samples  # canonical columns (stridelink.columns) as arrays
    manufacturer: str | None = None
    product: str | None = None
    altitude_source: str | None = None  # "barometric", "gps" or None when the file has no altitude
    device_totals: Mapping[str, float] = field(default_factory=dict)
    laps: tuple[Mapping[str, float], ...] = ()

    def __init__(
        self,
        sport: str,
        sub_sport: str | None,
        start_utc: datetime,
        source_format: str,
        samples: Samples | pd.DataFrame | None = None,
        manufacturer: str | None = None,
        product: str | None = None,
        altitude_source: str | None = None,
        device_totals: Mapping[str, float] | None = None,
        laps: tuple[Mapping[str, float], ...] = (),
        *,
        series: Samples | None = None,
    ) -> None:
        from stridelink.samples import Samples

        if series is None:
            if samples is None:
                raise TypeError("Activity needs its samples")
            if isinstance(samples, Samples):
                series = samples
            else:  # a DataFrame: kept as given for ``samples``, its arrays for the rest
                series = Samples.from_frame(samples)
                self.__dict__["samples"] = samples
        values = {
            "sport": sport,
            "sub_sport": sub_sport,
            "start_utc": start_utc,
            "source_format": source_format,
            "series": series,
            "manufacturer": manufacturer,
            "product": product,
            "altitude_source": altitude_source,
            "device_totals": {} if device_totals is None else device_totals,
            "laps": laps,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @functools.cached_property
    def samples(self) -> pd.DataFrame:
        """The samples as a DataFrame: ``TIMESTAMP`` timezone-aware UTC, the other columns float64."""
        return self.series.to_frame()


@dataclass(frozen=True, slots=True)
class Signals:
    """What a run did to the runner's ankles; ``None`` where the file carries no such data."""

    method_version: int
    distance_m: float | None = None
    duration_s: float | None = None
    moving_time_s: float | None = None
    cadence_spm: float | None = None
    gct_ms: float | None = None
    gct_balance_left_pct: float | None = None
    vertical_oscillation_mm: float | None = None
    vertical_ratio_pct: float | None = None
    step_length_mm: float | None = None
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    device_ascent_m: float | None = None
    device_descent_m: float | None = None
    climb_m_per_km: float | None = None
    grade_std_pct: float | None = None
    terrain_variability: float | None = None
    surface: str = "unknown"  # trail, road, track, treadmill, unknown
    surface_source: str = "inferred"  # device or inferred
    hill_session: bool | None = None
    cadence_drift_pct: float | None = None
    gct_drift_pct: float | None = None
    speed_mps: float | None = None  # mean moving speed, for like-for-like comparisons
    heart_rate_bpm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _SIGNAL_FIELDS}  # flat: no deep copy as asdict makes

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signals:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_SIGNAL_FIELDS = tuple(f.name for f in dataclasses.fields(Signals))


@dataclass(frozen=True, slots=True)
class Run:
    """A run as the library holds it."""

    run_id: str
    sha256: str  # of the original file's bytes
    leg: int  # 0 for single-sport files; the running leg's index in a multisport file
    start_utc: datetime
    sport: str
    sub_sport: str | None
    distance_m: float | None
    duration_s: float | None
    source: str  # the source format: fit, gpx, ...
    file_name: str
    manufacturer: str | None = None
    product: str | None = None
    signals: Signals | None = None
    title: str | None = None  # the activity's name in a bulk export (Strava's activities.csv)
    external_id: str | None = None  # its id there, e.g. "strava:1234567890"

    def to_dict(self, *, with_signals: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "start_utc": self.start_utc.isoformat(),
            "sport": self.sport,
            "sub_sport": self.sub_sport,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "source": self.source,
            "file_name": self.file_name,
            "device": " ".join(p for p in (self.manufacturer, self.product) if p) or None,
            "title": self.title,
            "external_id": self.external_id,
        }
        if with_signals:
            data["signals"] = self.signals.to_dict() if self.signals else {}
        return data


@dataclass(frozen=True, slots=True)
class Stage:
    number: int
    name: str


@dataclass(frozen=True, slots=True)
class Exercise:
    name: str
    dose: str  # as the plan words it: "3 x 12 per side"
    focus: str
    cue: str = ""
    equipment: tuple[str, ...] = ()
    key: str = ""  # stable identifier in the exercise library
    sets: int = 1
    reps: int | None = None
    seconds: int | None = None
    per_side: bool = False
    flags: tuple[str, ...] = ()  # plyometric, calf_load, unilateral, lateral

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "dose": self.dose,
            "focus": self.focus,
            "sets": self.sets,
            "reps": self.reps,
            "seconds": self.seconds,
            "per_side": self.per_side,
            "flags": list(self.flags),
            "cue": self.cue,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """One change an adjustment made: ``before``/``after`` are dose strings, None when added or removed."""

    date: date
    exercise: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "exercise": self.exercise, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A change to the prescription: what triggered it (runs, log entries), why, and what it changed.

    Rules return it as a proposal (``changes`` empty, ``from_day`` the first day it may apply); the planner's
    composer fills ``changes``. A proposal that changes nothing becomes a ``Note``.
    """

    kind: str  # more_lateral, dial_back, hold, advance, regress, pain, return, cadence, unilateral, schedule, ...
    summary: str
    reason: str
    run_ids: tuple[str, ...] = ()
    rule: str = ""  # the rule that made it
    log_ids: tuple[int, ...] = ()
    from_day: date | None = None  # first day it applies (None: the whole week)
    until_day: date | None = None  # last day it applies (None: to the end of the week)
    side: str | None = None  # left or right, for side-specific work
    foci: tuple[str, ...] = ()  # the exercise foci side-specific work applies to (empty: by kind)
    changes: tuple[Change, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        first = min((c.date for c in self.changes), default=self.from_day)
        return {
            "kind": self.kind,
            "summary": self.summary,
            "reason": self.reason,
            "run_ids": list(self.run_ids),
            "log_ids": [str(i) for i in self.log_ids],
            "from": first.isoformat() if first else None,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class Note:
    """Something the athlete should know that changed nothing in the sessions (or a safety habit)."""

    kind: str
    summary: str
    run_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "run_ids": list(self.run_ids)}

    def __str__(self) -> str:
        return self.summary


@dataclass(frozen=True, slots=True)
class NotChecked:
    """A rule that could not run for the week, and why."""

    rule: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "why": self.why}


@dataclass(frozen=True, slots=True)
class Session:
    date: date
    title: str
    duration_min: int
    focus: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    kind: str = "ankle"  # warmup, ankle, flow
    why: str = ""
    slot: str = ""  # stable identifier within the week, e.g. "ankle-1"; calendar UIDs derive from it
    stage: int = 1  # the stage this session is built at (lower than the week's after pain or a break)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "title": self.title,
            "duration_min": self.duration_min,
            "stage": self.stage,
            "focus": list(self.focus),
            "exercises": [e.to_dict() for e in self.exercises],
            "kind": self.kind,
            "slot": self.slot,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    week: str  # ISO week, "2026-W49"
    stage: Stage  # the stage on the week's Monday
    adjustments: tuple[Adjustment, ...]
    sessions: tuple[Session, ...]
    notes: tuple[Note, ...] = ()  # triggers that changed nothing, standing habits, safety habits
    not_checked: tuple[NotChecked, ...] = ()

    @property
    def safety(self) -> tuple[str, ...]:
        return tuple(str(n) for n in self.notes if not isinstance(n, Note) or n.kind in ("safety", "see_professional"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "stage": {"number": self.stage.number, "name": self.stage.name},
            "adjustments": [a.to_dict() for a in self.adjustments],
            "notes": [n.to_dict() if isinstance(n, Note) else Note("safety", str(n)).to_dict() for n in self.notes],
            "not_checked": [n.to_dict() for n in self.not_checked],
            "sessions": [s.to_dict() for s in self.sessions],
        }


@dataclass(frozen=True)
class Reader:
    """A file format stridelink can import, registered through the ``register_readers`` hook.

    ``read(data, name)`` returns the file's foot activities; it raises ``UnreadableFileError`` for damaged
    files and ``NotARunError`` (with the reason) for valid files that hold no foot activity.
    """

    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot: (".fit",)
    read: Callable[[bytes, str], Sequence[Activity]]
    description: str = ""


@dataclass(frozen=True)
class ExportContext:
    """What an exporter gets besides the plans.

    ``memory`` persists between exports of the same exporter (string keys and values), e.g. to raise an
    event's SEQUENCE when it changes or to cancel sessions that disappeared from a re-plan.
    """

    settings: Settings
    memory: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exporter:
    """An export format, registered through the ``register_exporters`` hook."""

    name: str
    suffix: str  # default file suffix, with the dot: ".ics"
    write: Callable[[Sequence[Plan], ExportContext], bytes]
    description: str = ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """Something the athlete logged: pain or soreness, a knee-to-wall test, an ankle session done."""

    entry_id: int
    day: date  # the local day it refers to
    kind: str  # pain, soreness, knee_to_wall, session
    side: str | None = None  # left, right, both
    value: float | None = None  # 0-10 for pain and soreness, cm for knee_to_wall, minutes for a session
    note: str = ""
    source: str = "manual"  # manual, or the run library's file for a strength/mobility activity


@dataclass(frozen=True)
class RuleContext:
    """What a rule sees when it judges one day (``day``) of the week ``week``.

    Runs are those that started before ``day`` 00:00 local time; logs those dated before ``day``, except pain
    and soreness, which count from the day they are dated. On the week's Monday (``day == week_start``) the
    rules also decide the week's stage (advance, hold, regress, return).
    """

    week: str
    week_start: date  # the Monday, local time
    recent_runs: tuple[Run, ...]  # the 7 days before ``day``
    baseline_runs: tuple[Run, ...]  # the weeks before those: the athlete's own baseline, oldest first
    logs: tuple[LogEntry, ...]  # entries the day may see, oldest first
    stage: Stage  # the stage the athlete was in last week
    settings: Settings | None = None  # None: the defaults
    weeks_in_stage: int = 0  # how many weeks the athlete has been at ``stage`` (1 = it began last week)
    programme: Programme | None = None  # the programme the plan is built from (None: the packaged one)
    day: date | None = None  # the day judged (None: the week's Monday)
    habit: Habit | None = None  # the athlete's own recent weeks
    state: WalkState | None = None  # the walk of the weeks entering this one (breaks, returns)

    @property
    def today(self) -> date:
        return self.day or self.week_start


@dataclass(frozen=True)
class Rule:
    """A plan rule, registered through the ``register_rules`` hook.

    ``evaluate`` returns proposed ``Adjustment``s naming the runs and log entries behind them; it may also
    return ``Note``s and ``NotChecked`` records. The planner asks it once per day of the week.
    """

    name: str
    evaluate: Callable[[RuleContext], Sequence[Any]]
    description: str = ""
