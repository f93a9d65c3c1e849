"""Hand-built plans for the exporter tests, and exporters obtained the way the core gets them."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pluggy
import pytest

from stridelink import hookspecs
from stridelink.models import Adjustment, Exercise, ExportContext, Exporter, Plan, Session, Stage
from stridelink.settings import Settings

WEEK = "2026-W49"  # Monday 30 November 2026


def build_plan(week: str = WEEK, **changes: Any) -> Plan:
    """A plan shaped like the planner's: two ankle sessions and a flow, one adjustment, a safety note."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sessions = (
        Session(
            date=monday + timedelta(days=1),
            title="Ankle strength A",
            duration_min=20,
            focus=("dorsiflexion", "calf strength"),
            exercises=(
                Exercise("Knee-to-wall rocks", "2 x 10 each side", "dorsiflexion", cue="Keep the heel down"),
                Exercise("Calf raises, slow lowering", "3 x 12", "calf strength", cue="Three seconds down"),
            ),
            why="Builds the range your push-off needs.",
            slot="ankle-1",
        ),
        Session(
            date=monday + timedelta(days=4),
            title="Ankle strength B",
            duration_min=20,
            focus=("balance", "lateral"),
            exercises=(
                Exercise("Single-leg stance", "3 x 30 s each side", "balance", cue="Soft knee, quiet foot"),
                Exercise("Lateral hops", "2 x 8 each side", "lateral", cue="Land softly"),
            ),
            why="Trains the side-to-side control trails ask for.",
            slot="ankle-2",
        ),
        Session(
            date=monday + timedelta(days=6),
            title="Mobility flow",
            duration_min=30,
            focus=("mobility",),
            exercises=(Exercise("Ankle circles", "10 each way", "mobility", cue="Slow and big"),),
            kind="flow",
            why="The longer weekly flow.",
            slot="flow",
        ),
    )
    plan = Plan(
        week=week,
        stage=Stage(2, "Build"),
        adjustments=(
            Adjustment(
                kind="more_lateral",
                summary="More side-to-side work this week.",
                reason="You ran 2 trail runs last week.",
                run_ids=("a1b2c3d4e5f6", "0f9e8d7c6b5a"),
                rule="trail",
            ),
        ),
        sessions=sessions,
        notes=("Stop an exercise that hurts; sharp or lasting pain is a reason to get advice.",),
    )
    return dataclasses.replace(plan, **changes)


def change_session(plan: Plan, slot: str, **changes: Any) -> Plan:
    """The plan with the session in ``slot`` changed."""
    sessions = tuple(dataclasses.replace(s, **changes) if s.slot == slot else s for s in plan.sessions)
    return dataclasses.replace(plan, sessions=sessions)


def load_exporter(module_name: str) -> Exporter:
    """Register the plugin module in a fresh plugin manager and collect the exporter it registers."""
    pm = pluggy.PluginManager("stridelink")
    pm.add_hookspecs(hookspecs)
    pm.register(importlib.import_module(module_name))
    pm.check_pending()
    found: list[Exporter] = []
    pm.hook.register_exporters(register=found.append)
    assert len(found) == 1
    return found[0]


def make_context(memory: dict[str, str] | None = None, **settings: Any) -> ExportContext:
    return ExportContext(settings=Settings(**settings), memory={} if memory is None else memory)


@pytest.fixture
def plan() -> Plan:
    return build_plan()


@pytest.fixture
def make_plan() -> Callable[..., Plan]:
    return build_plan


@pytest.fixture
def replan() -> Callable[..., Plan]:
    return change_session


@pytest.fixture
def context() -> Callable[..., ExportContext]:
    return make_context


@pytest.fixture
def exporter_of() -> Callable[[str], Exporter]:
    return load_exporter
