from __future__ import annotations

import dataclasses
import re

import pytest

from stridelink.models import Exercise


@pytest.fixture
def exporter(exporter_of):
    return exporter_of("stridelink_markdown")


def test_registered_as_markdown(exporter):
    assert (exporter.name, exporter.suffix) == ("markdown", ".md")


def test_the_week_day_by_day(exporter, plan, context):
    text = exporter.write([plan], context()).decode("utf-8")
    assert text.startswith("# Ankle plan, week 2026-W49\n")
    assert "Stage 2: Build" in text
    days = re.findall(r"^## (\w+day \d+ \w+)$", text, flags=re.MULTILINE)
    assert days == [
        "Monday 30 November",
        "Tuesday 1 December",
        "Wednesday 2 December",
        "Thursday 3 December",
        "Friday 4 December",
        "Saturday 5 December",
        "Sunday 6 December",
    ]
    tuesday = text.split("## Tuesday 1 December")[1].split("## Wednesday")[0]
    assert "### Ankle strength A (20 min)" in tuesday
    assert "1. **Knee-to-wall rocks**: 2 x 10 each side (dorsiflexion)" in tuesday
    assert "*Keep the heel down*" in tuesday
    assert "Why: Builds the range your push-off needs." in tuesday
    assert "No ankle session." in text.split("## Wednesday 2 December")[1].split("## Thursday")[0]


def test_adjustments_with_reasons_and_runs_and_the_safety_notes(exporter, plan, context):
    text = exporter.write([plan], context()).decode("utf-8")
    assert (
        "- **More side-to-side work this week.** You ran 2 trail runs last week. "
        "(`more_lateral`; runs: `a1b2c3d4e5f6`, `0f9e8d7c6b5a`)"
    ) in text
    assert text.index("## This week's changes") < text.index("## Monday")
    safety = text.split("## Safety")[1]
    assert "- Stop an exercise that hurts; sharp or lasting pain is a reason to get advice." in safety


def test_a_week_without_adjustments_says_so(exporter, plan, context):
    text = exporter.write([dataclasses.replace(plan, adjustments=())], context()).decode("utf-8")
    assert "None: the programme continues as planned." in text


def test_plan_text_cannot_break_the_markup(exporter, make_plan, replan, context):
    plan = replan(
        make_plan(),
        "ankle-1",
        exercises=(Exercise("Toe_taps *fast*", "2 x [10]", "balance", cue="# not a heading\nok"),),
    )
    text = exporter.write([plan], context()).decode("utf-8")
    assert r"**Toe\_taps \*fast\***: 2 x \[10\]" in text
    assert r"*\# not a heading ok*" in text


def test_several_weeks_follow_each_other(exporter, make_plan, context):
    text = exporter.write([make_plan("2026-W49"), make_plan("2026-W50")], context()).decode("utf-8")
    assert re.findall(r"^# .*$", text, flags=re.MULTILINE) == [
        "# Ankle plan, week 2026-W49",
        "# Ankle plan, week 2026-W50",
    ]
