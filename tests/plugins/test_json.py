from __future__ import annotations

import json

import pytest

from stridelink.models import Exercise


@pytest.fixture
def exporter(exporter_of):
    return exporter_of("stridelink_json")


def test_registered_as_json(exporter):
    assert (exporter.name, exporter.suffix) == ("json", ".json")


def test_one_week_is_a_list_of_the_contract_plan_object(exporter, plan, context):
    [data] = json.loads(exporter.write([plan], context()))
    assert data["week"] == "2026-W49"
    assert data["stage"] == {"number": 2, "name": "Build"}
    assert data["adjustments"] == [
        {
            "kind": "more_lateral",
            "summary": "More side-to-side work this week.",
            "reason": "You ran 2 trail runs last week.",
            "run_ids": ["a1b2c3d4e5f6", "0f9e8d7c6b5a"],
            "log_ids": [],
            "from": None,
            "changes": [],
        }
    ]
    first = data["sessions"][0]
    assert (first["date"], first["title"], first["duration_min"]) == ("2026-12-01", "Ankle strength A", 20)
    assert first["focus"] == ["dorsiflexion", "calf strength"]
    exercise = first["exercises"][0]
    assert {k: exercise[k] for k in ("name", "dose", "focus")} == {
        "name": "Knee-to-wall rocks",
        "dose": "2 x 10 each side",
        "focus": "dorsiflexion",
    }
    assert {"key", "sets", "reps", "seconds", "per_side", "flags"} <= set(exercise)
    assert [s["date"] for s in data["sessions"]] == ["2026-12-01", "2026-12-04", "2026-12-06"]
    assert data == plan.to_dict()  # the same JSON as `stridelink plan --json`


def test_several_weeks_are_a_list(exporter, make_plan, context):
    data = json.loads(exporter.write([make_plan("2026-W49"), make_plan("2026-W50")], context()))
    assert [week["week"] for week in data] == ["2026-W49", "2026-W50"]


def test_unicode_and_quotes_survive(exporter, make_plan, replan, context):
    plan = replan(
        make_plan(), "flow", title='Flow "lite" — Knöchel', exercises=(Exercise("Kreise", "10×", "mobility"),)
    )
    raw = exporter.write([plan], context())
    assert "Knöchel".encode() in raw  # written as UTF-8, not \u escapes
    assert json.loads(raw)[0]["sessions"][2]["title"] == 'Flow "lite" — Knöchel'
