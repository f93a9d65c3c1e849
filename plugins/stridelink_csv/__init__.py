"""The ``csv`` exporter: one row per exercise of each session, for spreadsheets and scripts.

Written like any third-party plugin: it uses only stridelink's public API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence

import stridelink

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLUMNS = (
    "week",
    "date",
    "weekday",
    "slot",
    "session",
    "kind",
    "duration_min",
    "session_focus",
    "exercise",
    "dose",
    "exercise_focus",
    "cue",
    "equipment",
)


def _rows(plan: stridelink.Plan) -> Iterator[dict[str, object]]:
    for session in plan.sessions:
        common = {
            "week": plan.week,
            "date": session.date.isoformat(),
            "weekday": WEEKDAYS[session.date.weekday()],
            "slot": session.slot,
            "session": session.title,
            "kind": session.kind,
            "duration_min": session.duration_min,
            "session_focus": "; ".join(session.focus),
        }
        if not session.exercises:  # a session without listed exercises still gets its row
            yield common
        for exercise in session.exercises:
            yield {
                **common,
                "exercise": exercise.name,
                "dose": exercise.dose,
                "exercise_focus": exercise.focus,
                "cue": exercise.cue,
                "equipment": "; ".join(exercise.equipment),
            }


def write_csv(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="")  # RFC 4180: CRLF line ends, quoted as needed
    writer.writeheader()
    for plan in plans:
        writer.writerows(_rows(plan))
    return out.getvalue().encode("utf-8")


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="csv",
            suffix=".csv",
            write=write_csv,
            description="One row per exercise of each session",
        )
    )
