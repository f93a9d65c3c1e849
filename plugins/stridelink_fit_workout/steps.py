"""A planned session as FIT workout steps.

Each exercise becomes one block, repeated once per set:

- reps doses (``2 x 10 per side``): one step of ``reps`` 10; both sides are done within the step;
- timed doses (``3 x 30 s``): one ``time`` step of 30 s, or one per side (``- left``, ``- right``) when the
  dose says "per side", so the watch times each side;
- distances and doses a watch cannot count (``4 x 15 m``, ``3 tries``): an ``open`` step ended with the lap key;
- more than one set: an ``open`` rest step after the block (the lap key starts the next set), then a
  ``repeat_until_steps_cmplt`` step back to the block's first step with the number of sets.

Every active step's notes start with the dose as the plan words it, then the cue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import stridelink
from stridelink_fit_workout.dose import METRES, REPS, SECONDS, Dose, parse_dose
from stridelink_fit_workout.text import NAME_MAX_BYTES, NOTES_MAX_BYTES, clip

SIDES = ("left", "right")
REST_NOTE = "Press lap when you are ready for the next set."


@dataclass(frozen=True, slots=True)
class Step:
    """One ``workout_step``, in FIT profile names; ``None`` fields are left out of the file."""

    name: str
    duration_type: str  # reps, time, open, repeat_until_steps_cmplt
    duration_value: int | None = None  # reps; milliseconds for time; the step to go back to for repeats
    target_value: int | None = None  # the number of sets, for repeats
    intensity: str = "active"
    notes: str | None = None
    exercise_category: str | None = None
    exercise_name: int | None = None  # its number within the category's exercise-name list


def _notes(exercise: stridelink.Exercise) -> str:
    text = exercise.dose if not exercise.cue else f"{exercise.dose}. {exercise.cue}"
    return clip(text, NOTES_MAX_BYTES)


def _named(base: str, side: str | None) -> str:
    if side is None:
        return clip(base, NAME_MAX_BYTES)
    suffix = f" - {side}"
    return clip(base, NAME_MAX_BYTES - len(suffix.encode())) + suffix


def exercise_steps(
    exercise: stridelink.Exercise, first_index: int, category: str | None, name_number: int | None
) -> list[Step]:
    """The steps of one exercise, the first of them at ``message_index`` ``first_index``."""
    dose: Dose = parse_dose(exercise.dose)
    notes = _notes(exercise)
    sides: tuple[str | None, ...] = SIDES if dose.unit == SECONDS and dose.per_side else (None,)
    block: list[Step] = []
    for side in sides:
        if dose.unit == REPS:
            duration = ("reps", dose.amount)
        elif dose.unit == SECONDS:
            duration = ("time", dose.amount * 1000)
        else:  # metres (no GPS indoors) or nothing countable: the lap key ends the step
            duration = ("open", None)
        name = exercise.name if dose.unit != METRES else f"{exercise.name} {dose.amount} m"
        block.append(
            Step(
                name=_named(name, side),
                duration_type=duration[0],
                duration_value=duration[1],
                notes=notes,
                exercise_category=category,
                exercise_name=name_number,
            )
        )
    if dose.sets > 1:
        block.append(Step(name="Rest", duration_type="open", intensity="rest", notes=REST_NOTE))
        block.append(
            Step(
                name=_named(f"{exercise.name}: {dose.sets} sets", None),
                duration_type="repeat_until_steps_cmplt",
                duration_value=first_index,
                target_value=dose.sets,
            )
        )
    return block


FitLookup = Callable[[stridelink.Exercise], "tuple[str, int] | None"]


def session_steps(session: stridelink.Session, fit_name: FitLookup) -> list[Step]:
    """Every step of ``session``; ``fit_name`` gives an exercise's FIT (category, exercise-name number)."""
    steps: list[Step] = []
    for exercise in session.exercises:
        category, number = fit_name(exercise) or (None, None)
        steps += exercise_steps(exercise, len(steps), category, number)
    if not steps:  # a workout needs a step: the session as one open step
        notes = clip(session.why, NOTES_MAX_BYTES) or None
        steps.append(Step(name=_named(session.title, None), duration_type="open", notes=notes))
    return steps
