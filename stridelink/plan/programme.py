"""The ankle programme as data: ``data/programme.toml`` loaded and checked into frozen records."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from stridelink.errors import SettingsError
from stridelink.models import Exercise, Stage

FOCUSES = (
    "dorsiflexion",
    "plantarflexion",
    "lateral",
    "balance",
    "plyometric",
    "foot_intrinsics",
    "calf_strength",
    "mobility",
    "cadence",
)
SESSION_KINDS = ("warmup", "ankle", "flow")
EFFECT_KINDS = ("more_lateral", "cadence", "unilateral", "calf_endurance")


@dataclass(frozen=True, slots=True)
class FitExercise:
    """A FIT ``exercise_category`` / ``exercise_name`` pair, for workout files a watch can show."""

    category: str
    name: str


@dataclass(frozen=True, slots=True)
class LibraryExercise:
    """One drill of the exercise library, with its dose at every stage it belongs to."""

    key: str
    name: str
    focus: str
    doses: tuple[tuple[int, str], ...]  # (stage number, dose), ascending
    cue: str
    sources: tuple[str, ...]  # the programme text it comes from
    equipment: tuple[str, ...] = ()
    plyometric: bool = False
    calf_load: bool = False
    unilateral: bool = False
    minutes: int = 3
    warmup_dose: str | None = None
    light_dose: str | None = None  # the reduced dose used in the 48 h after a hill session
    sessions: tuple[str, ...] = SESSION_KINDS
    fit_exercise: FitExercise | None = None

    @property
    def stages(self) -> tuple[int, ...]:
        return tuple(number for number, _ in self.doses)

    def allowed(self, stage: int) -> bool:
        return any(number == stage for number, _ in self.doses)

    def dose(self, stage: int) -> str:
        for number, dose in self.doses:
            if number == stage:
                return dose
        raise ValueError(f"{self.key} does not belong to stage {stage}")

    def at(self, stage: int, *, dose: str | None = None) -> Exercise:
        """The exercise as a session lists it, at ``stage`` (its dose there unless ``dose`` is given)."""
        return Exercise(
            name=self.name,
            dose=dose if dose is not None else self.dose(stage),
            focus=self.focus,
            cue=self.cue,
            equipment=self.equipment,
            key=self.key,
        )


@dataclass(frozen=True, slots=True)
class StageSpec:
    number: int
    name: str
    summary: str
    ankle_core: tuple[str, ...]  # in both ankle sessions
    warmup: tuple[str, ...]  # the daily warm-up routine
    flow: tuple[str, ...]  # the weekly mobility flow

    @property
    def stage(self) -> Stage:
        return Stage(self.number, self.name)


@dataclass(frozen=True, slots=True)
class WeekShape:
    emphasis_rotation: tuple[str, ...]
    emphasis_focus: Mapping[str, tuple[str, ...]]
    emphasis_exercises: int
    warmup_title: str
    warmup_minutes: int
    ankle_title: str
    flow_title: str
    flow_minutes: int

    def emphasis(self, iso_week_number: int) -> str:
        """The emphasis of ISO week ``iso_week_number``: week 1 takes the first entry of the rotation."""
        return self.emphasis_rotation[(iso_week_number - 1) % len(self.emphasis_rotation)]


@dataclass(frozen=True, slots=True)
class Advancement:
    weeks: int
    sessions_per_week: int
    min_weeks_in_stage: int
    max_pain: float


@dataclass(frozen=True, slots=True)
class Regression:
    pain_threshold: float
    days: int
    persistent_weeks: int = 2  # pain at the threshold in this many of the last weeks + 1: see a professional


@dataclass(frozen=True)
class Programme:
    name: str
    version: int
    stages: tuple[StageSpec, ...]
    exercises: Mapping[str, LibraryExercise]  # in file order
    week: WeekShape
    advancement: Advancement
    regression: Regression
    effects: Mapping[str, tuple[tuple[str, ...], ...]]  # adjustment kind -> groups of alternatives
    dial_back_swaps: tuple[str, ...]
    safety_always: tuple[str, ...]
    safety_pain: str
    digest: str = ""  # SHA-256 of the file's text: stored plan state is only reused for the same programme

    def stage(self, number: int) -> StageSpec:
        return self.stages[min(max(number, 1), len(self.stages)) - 1]

    @property
    def last_stage(self) -> int:
        return len(self.stages)


def load_programme(path: Path | None = None) -> Programme:
    """The programme at ``path``, or the packaged one; raises SettingsError naming the first problem."""
    if path is None:
        # The package's loader reads files and zip archives alike, without importlib.resources' imports (3 ms).
        import stridelink

        packaged = Path(stridelink.__file__).parent / "data" / "programme.toml"
        text = stridelink.__spec__.loader.get_data(str(packaged)).decode("utf-8")  # type: ignore[union-attr]
        name = "programme.toml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read the programme ({exc})") from None
        name = str(path)
    return parse_programme(text, name=name)


def parse_programme(text: str, *, name: str = "programme.toml") -> Programme:
    """The programme in ``text``; the same text is parsed once per process (programmes are immutable)."""
    return _parse(text, name)


@functools.lru_cache(maxsize=8)
def _parse(text: str, name: str) -> Programme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    programme = _Parser(name).programme(data)
    return dataclasses.replace(programme, digest=hashlib.sha256(text.encode()).hexdigest())


class _Parser:
    """Builds the records, checking every value; errors read ``<file>: <key path>: <problem>``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> SettingsError:
        return SettingsError(f"{self.name}: {where}: {problem}")

    def table(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(f"{where}{key}", "missing table")
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}{key}", "needs a non-empty string")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(f"{where}{key}", "needs a number of at least 0")
        return value

    def whole(self, data: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(f"{where}{key}", "needs a whole number of at least 1")
        return value

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{where}{key}", "needs true or false")
        return value

    def strings(
        self, data: Mapping[str, Any], key: str, where: str, default: list[str] | None = None
    ) -> tuple[str, ...]:
        value = data.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{where}{key}", "needs a list of strings")
        return tuple(value)

    def programme(self, data: Mapping[str, Any]) -> Programme:
        exercises_data = self.table(data, "exercises", "")
        exercises = {key: self.exercise(key, value) for key, value in exercises_data.items()}
        raw_stages = data.get("stages")
        if not isinstance(raw_stages, list) or not raw_stages:
            raise self.fail("stages", "give at least one [[stages]] table")
        stages = tuple(self.stage(i, raw, exercises) for i, raw in enumerate(raw_stages, start=1))
        for exercise in exercises.values():
            for number in exercise.stages:
                if number > len(stages):
                    raise self.fail(f"exercises.{exercise.key}.dose", f"stage {number} does not exist")
        return Programme(
            name=self.text(data, "name", ""),
            version=self.whole(data, "version", "", 1),
            stages=stages,
            exercises=MappingProxyType(exercises),
            week=self.week(self.table(data, "week", "")),
            advancement=self.advancement(self.table(data, "advancement", "")),
            regression=self.regression(self.table(data, "regression", "")),
            effects=self.effects(self.table(data, "effects", ""), exercises),
            dial_back_swaps=self.keys(
                self.table(data, "effects", ""), "dial_back_swaps", "effects.", exercises
            ),
            safety_always=self.strings(self.table(data, "safety", ""), "always", "safety."),
            safety_pain=self.text(self.table(data, "safety", ""), "pain", "safety."),
        )

    def exercise(self, key: str, data: Any) -> LibraryExercise:
        where = f"exercises.{key}."
        if not isinstance(data, dict):
            raise self.fail(f"exercises.{key}", "needs a table")
        focus = self.text(data, "focus", where)
        if focus not in FOCUSES:
            raise self.fail(f"{where}focus", f"{focus!r} is not one of {', '.join(FOCUSES)}")
        raw_doses = self.table(data, "dose", where)
        doses: list[tuple[int, str]] = []
        for stage, dose in raw_doses.items():
            if not stage.isdigit() or int(stage) < 1:
                raise self.fail(f"{where}dose", f"{stage!r} is not a stage number")
            if not isinstance(dose, str) or not dose.strip():
                raise self.fail(f"{where}dose.{stage}", "needs a dose such as '2 x 10 each direction'")
            doses.append((int(stage), dose))
        if not doses:
            raise self.fail(f"{where}dose", "give the dose for at least one stage")
        sessions = self.strings(data, "sessions", where, list(SESSION_KINDS))
        for kind in sessions:
            if kind not in SESSION_KINDS:
                raise self.fail(f"{where}sessions", f"{kind!r} is not one of {', '.join(SESSION_KINDS)}")
        fit = data.get("fit_exercise")
        fit_exercise = None
        if fit is not None:
            if not isinstance(fit, dict):
                raise self.fail(f"{where}fit_exercise", "needs {category = ..., name = ...}")
            fit_exercise = FitExercise(
                self.text(fit, "category", f"{where}fit_exercise."),
                self.text(fit, "name", f"{where}fit_exercise."),
            )
        warmup_dose = data.get("warmup_dose")
        light_dose = data.get("light_dose")
        for field_name, value in (("warmup_dose", warmup_dose), ("light_dose", light_dose)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise self.fail(f"{where}{field_name}", "needs a non-empty string")
        return LibraryExercise(
            key=key,
            name=self.text(data, "name", where),
            focus=focus,
            doses=tuple(sorted(doses)),
            cue=self.text(data, "cue", where),
            sources=self.strings(data, "sources", where),
            equipment=self.strings(data, "equipment", where, []),
            plyometric=self.flag(data, "plyometric", where),
            calf_load=self.flag(data, "calf_load", where),
            unilateral=self.flag(data, "unilateral", where),
            minutes=self.whole(data, "minutes", where, 3),
            warmup_dose=warmup_dose,
            light_dose=light_dose,
            sessions=sessions,
            fit_exercise=fit_exercise,
        )

    def keys(
        self, data: Mapping[str, Any], key: str, where: str, exercises: Mapping[str, LibraryExercise]
    ) -> tuple[str, ...]:
        keys = self.strings(data, key, where)
        for name in keys:
            if name not in exercises:
                raise self.fail(f"{where}{key}", f"{name!r} is not in the exercise library")
        return keys

    def stage(self, position: int, data: Any, exercises: Mapping[str, LibraryExercise]) -> StageSpec:
        where = f"stages[{position}]."
        if not isinstance(data, dict):
            raise self.fail(f"stages[{position}]", "needs a table")
        number = self.whole(data, "number", where)
        if number != position:
            raise self.fail(
                f"{where}number", f"expected {position}: stages are numbered 1, 2, 3, ... in order"
            )
        lists: dict[str, tuple[str, ...]] = {}
        for kind, list_key in (("ankle", "ankle_core"), ("warmup", "warmup"), ("flow", "flow")):
            keys = self.keys(data, list_key, where, exercises)
            for key in keys:
                exercise = exercises[key]
                if not exercise.allowed(number):
                    raise self.fail(f"{where}{list_key}", f"{key!r} has no dose for stage {number}")
                if kind not in exercise.sessions:
                    raise self.fail(f"{where}{list_key}", f"{key!r} is not meant for {kind} sessions")
                if kind == "warmup" and exercise.warmup_dose is None:
                    raise self.fail(f"{where}{list_key}", f"{key!r} has no warmup_dose")
            lists[list_key] = keys
        return StageSpec(
            number=number,
            name=self.text(data, "name", where),
            summary=self.text(data, "summary", where),
            ankle_core=lists["ankle_core"],
            warmup=lists["warmup"],
            flow=lists["flow"],
        )

    def week(self, data: Mapping[str, Any]) -> WeekShape:
        rotation = self.strings(data, "emphasis_rotation", "week.")
        raw_focus = self.table(data, "emphasis_focus", "week.")
        emphasis_focus: dict[str, tuple[str, ...]] = {}
        for emphasis in rotation:
            foci = self.strings(raw_focus, emphasis, "week.emphasis_focus.")
            for focus in foci:
                if focus not in FOCUSES:
                    raise self.fail(
                        f"week.emphasis_focus.{emphasis}", f"{focus!r} is not one of {', '.join(FOCUSES)}"
                    )
            emphasis_focus[emphasis] = foci
        warmup = self.table(data, "warmup", "week.")
        return WeekShape(
            emphasis_rotation=rotation,
            emphasis_focus=MappingProxyType(emphasis_focus),
            emphasis_exercises=int(self.number(data, "emphasis_exercises", "week.", 2)),
            warmup_title=self.text(warmup, "title", "week.warmup."),
            warmup_minutes=self.whole(warmup, "duration_min", "week.warmup."),
            ankle_title=self.text(self.table(data, "ankle", "week."), "title", "week.ankle."),
            flow_title=self.text(self.table(data, "flow", "week."), "title", "week.flow."),
            flow_minutes=self.whole(self.table(data, "flow", "week."), "duration_min", "week.flow.", 1),
        )

    def advancement(self, data: Mapping[str, Any]) -> Advancement:
        return Advancement(
            weeks=self.whole(data, "weeks", "advancement."),
            sessions_per_week=self.whole(data, "sessions_per_week", "advancement."),
            min_weeks_in_stage=self.whole(data, "min_weeks_in_stage", "advancement."),
            max_pain=self.number(data, "max_pain", "advancement.", 0),
        )

    def regression(self, data: Mapping[str, Any]) -> Regression:
        return Regression(
            pain_threshold=self.number(data, "pain_threshold", "regression."),
            days=self.whole(data, "days", "regression.", 7),
            persistent_weeks=self.whole(data, "persistent_weeks", "regression.", 2),
        )

    def effects(
        self, data: Mapping[str, Any], exercises: Mapping[str, LibraryExercise]
    ) -> Mapping[str, tuple[tuple[str, ...], ...]]:
        effects: dict[str, tuple[tuple[str, ...], ...]] = {}
        for kind, groups in data.items():
            if kind == "dial_back_swaps":
                continue
            if kind not in EFFECT_KINDS:
                raise self.fail(f"effects.{kind}", f"unknown adjustment kind (use {', '.join(EFFECT_KINDS)})")
            if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
                raise self.fail(f"effects.{kind}", "needs a list of lists of exercise keys")
            for group in groups:
                for key in group:
                    if key not in exercises:
                        raise self.fail(f"effects.{kind}", f"{key!r} is not in the exercise library")
            effects[kind] = tuple(tuple(group) for group in groups)
        return MappingProxyType(effects)
