"""The text of an event's DESCRIPTION: what to do, why, what changed this week, and what to watch for."""

from __future__ import annotations

import stridelink


def label(key: str) -> str:
    """A focus key as words: ``calf_strength`` -> ``calf strength``."""
    return key.replace("_", " ")


def _exercise_lines(exercise: stridelink.Exercise) -> list[str]:
    line = f"- {exercise.name}: {exercise.dose}"
    if exercise.focus:
        line += f" ({label(exercise.focus)})"
    lines = [line]
    if exercise.cue:
        lines.append(f"  Cue: {exercise.cue}")
    if exercise.equipment:
        lines.append(f"  You need: {', '.join(exercise.equipment)}")
    return lines


def describe_session(plan: stridelink.Plan, session: stridelink.Session) -> str:
    head = f"{session.duration_min} min"
    if session.focus:
        head += f", focus: {', '.join(label(f) for f in session.focus)}"
    blocks = [f"{head}. Stage {plan.stage.number}: {plan.stage.name}."]
    if session.exercises:
        blocks.append(
            "\n".join(["Exercises:", *(ln for e in session.exercises for ln in _exercise_lines(e))])
        )
    if session.why:
        blocks.append(f"Why: {session.why}")
    if plan.adjustments:
        lines = ["This week's adjustments:"]
        lines += [f"- {a.summary} Reason: {a.reason}" for a in plan.adjustments]
        blocks.append("\n".join(lines))
    if plan.notes:
        blocks.append("\n".join(["Safety:", *(f"- {note}" for note in plan.notes)]))
    return "\n\n".join(blocks)
