from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from stridelink.models import Exercise


@pytest.fixture
def exporter(exporter_of):
    return exporter_of("stridelink_csv")


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_registered_as_csv(exporter):
    assert (exporter.name, exporter.suffix) == ("csv", ".csv")


def test_one_row_per_exercise_with_its_session(exporter, plan, context):
    data = exporter.write([plan], context())
    assert data.startswith(b"week,date,weekday,slot,session,kind,duration_min,")
    assert data.count(b"\r\n") == 6  # header + 5 exercises, RFC 4180 line ends
    table = rows(data)
    assert [(r["date"], r["weekday"], r["exercise"]) for r in table] == [
        ("2026-12-01", "Tue", "Knee-to-wall rocks"),
        ("2026-12-01", "Tue", "Calf raises, slow lowering"),
        ("2026-12-04", "Fri", "Single-leg stance"),
        ("2026-12-04", "Fri", "Lateral hops"),
        ("2026-12-06", "Sun", "Ankle circles"),
    ]
    first = table[0]
    assert first["session"] == "Ankle strength A"
    assert (first["dose"], first["cue"], first["duration_min"]) == (
        "2 x 10 each side",
        "Keep the heel down",
        "20",
    )
    assert first["session_focus"] == "dorsiflexion; calf strength"


def test_awkward_text_round_trips(exporter, make_plan, replan, context):
    cue = 'Say "stop", then rest;\nno bouncing'
    plan = replan(
        make_plan(),
        "flow",
        exercises=(Exercise("Circles, big", "10", "mobility", cue=cue, equipment=("wall", "band")),),
    )
    (row,) = [r for r in rows(exporter.write([plan], context())) if r["slot"] == "flow"]
    assert (row["exercise"], row["cue"], row["equipment"]) == ("Circles, big", cue, "wall; band")


def test_a_session_without_exercises_still_has_a_row(exporter, plan, replan, context):
    table = rows(exporter.write([replan(plan, "flow", exercises=())], context()))
    assert [(r["session"], r["exercise"]) for r in table if r["slot"] == "flow"] == [("Mobility flow", "")]


def test_several_weeks_share_one_header(exporter, make_plan, context):
    data = exporter.write([make_plan("2026-W49"), make_plan("2026-W50")], context())
    assert data.count(b"week,date") == 1
    assert [r["week"] for r in rows(data)] == ["2026-W49"] * 5 + ["2026-W50"] * 5


def test_empty_week_gives_just_the_header(exporter, plan, context):
    assert rows(exporter.write([dataclasses.replace(plan, sessions=())], context())) == []
