"""The ``markdown`` exporter: a readable week, day by day, for notes apps and printing.

Written like any third-party plugin: it uses only stridelink's public API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date

import stridelink

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def md(text: str) -> str:
    """Athlete or plan text as inline Markdown: special characters escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def label(key: str) -> str:
    """A focus key as words: ``calf_strength`` -> ``calf strength``."""
    return key.replace("_", " ")


def _day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"  # English whatever the locale


def _adjustments(plan: stridelink.Plan) -> Iterator[str]:
    yield "## This week's changes"
    yield ""
    if not plan.adjustments:
        yield "None: the programme continues as planned."
    for a in plan.adjustments:
        runs = ", ".join(f"`{run_id}`" for run_id in a.run_ids)
        source = f"`{a.kind}`" + (f"; runs: {runs}" if runs else "")
        yield f"- **{md(a.summary)}** {md(a.reason)} ({source})"
    yield ""


def _session(session: stridelink.Session) -> Iterator[str]:
    yield f"### {md(session.title)} ({session.duration_min} min)"
    yield ""
    if session.focus:
        yield f"Focus: {md(', '.join(label(f) for f in session.focus))}"
        yield ""
    for n, exercise in enumerate(session.exercises, start=1):
        line = f"{n}. **{md(exercise.name)}**: {md(exercise.dose)}"
        if exercise.focus:
            line += f" ({md(label(exercise.focus))})"
        yield line
        if exercise.cue:
            yield f"   *{md(exercise.cue)}*"
        if exercise.equipment:
            yield f"   You need: {md(', '.join(exercise.equipment))}"
    if session.exercises:
        yield ""
    if session.why:
        yield f"Why: {md(session.why)}"
        yield ""


def render_plan(plan: stridelink.Plan) -> str:
    days = stridelink.week_days(plan.week)
    lines = [
        f"# Ankle plan, week {plan.week}",
        "",
        f"{_day(days[0])} to {_day(days[-1])} {days[-1].year}. Stage {plan.stage.number}: {md(plan.stage.name)}.",
        "",
        *_adjustments(plan),
    ]
    by_day: dict[date, list[stridelink.Session]] = {}
    for session in plan.sessions:
        by_day.setdefault(session.date, []).append(session)
    for day in sorted(set(days) | set(by_day)):  # every day of the week, plus any session dated outside it
        lines += [f"## {_day(day)}", ""]
        if day not in by_day:
            lines += ["No ankle session.", ""]
        for session in by_day.get(day, []):
            lines += list(_session(session))
    if plan.notes:
        lines += ["## Safety", "", *(f"- {md(str(note))}" for note in plan.notes), ""]
    return "\n".join(lines)


def write_markdown(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    return "\n".join(render_plan(plan) for plan in plans).encode("utf-8")


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="markdown",
            suffix=".md",
            write=write_markdown,
            description="A readable week, day by day, with the reasons for this week's changes",
        )
    )
