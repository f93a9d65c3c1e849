"""Every hook is documented for plugin authors, and every example in docs/plugins.md works."""

from __future__ import annotations

import inspect
import re
import types
from datetime import UTC, date, datetime

import click
import pluggy
import pytest
from click.testing import CliRunner

from stridelink import hookspecs
from stridelink.errors import UnreadableFileError
from stridelink.models import (
    Activity,
    Adjustment,
    Exercise,
    ExportContext,
    Exporter,
    Plan,
    Reader,
    Rule,
    RuleContext,
    Run,
    Session,
    Signals,
    Stage,
)
from stridelink.settings import Settings
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "plugins.md"
HOOKS = {name: fn for name, fn in vars(hookspecs).items() if hasattr(fn, "stridelink_spec")}


def sections() -> dict[str, str]:
    """docs/plugins.md split at its level-2 headings: heading -> body."""
    parts = re.split(r"^## (.+)$", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def heading(name: str) -> str:
    return f"{name}({', '.join(inspect.signature(HOOKS[name]).parameters)})"


def example(name: str) -> types.ModuleType:
    """The hook's example from the docs, loaded as a plugin module."""
    code = re.search(r"```python\n(.*?)```", sections()[heading(name)], flags=re.DOTALL)
    assert code, f"docs/plugins.md: the {name} section has no python example"
    module = types.ModuleType(f"example_{name}")
    source = compile(code.group(1), f"docs/plugins.md:{name}", "exec")
    exec(source, module.__dict__)  # noqa: S102 - running the documented example is the point
    return module


def manager(module: types.ModuleType) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("stridelink")
    pm.add_hookspecs(hookspecs)
    pm.register(module)
    pm.check_pending()  # a misspelled hook name in an example fails here
    return pm


def test_the_hooks_plugin_authors_are_promised_exist():
    assert {
        "register_readers",
        "register_rules",
        "register_exporters",
        "register_commands",
        "run_imported",
        "week_planned",
    } <= set(HOOKS)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_docstring(name):
    assert (HOOKS[name].__doc__ or "").strip(), f"hookspecs.{name} needs a docstring"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_section_with_an_example_in_the_docs(name):
    assert heading(name) in sections(), f"docs/plugins.md needs a '## {heading(name)}' section"
    module = example(name)
    assert getattr(module, name).stridelink_impl is not None  # decorated with stridelink.hookimpl


def test_the_docs_describe_no_hook_that_does_not_exist():
    documented = {h.split("(")[0] for h in sections() if re.fullmatch(r"\w+\(.*\)", h)}
    assert documented == set(HOOKS)


def test_the_docs_show_the_entry_point_group_and_the_allowlist():
    text = DOCS.read_text(encoding="utf-8")
    assert "[project.entry-points.stridelink]" in text
    assert "STRIDELINK_LOAD_PLUGINS" in text


def _run(run_id: str, distance_m: float, *, hill: bool = False) -> Run:
    return Run(
        run_id,
        "0" * 64,
        0,
        datetime(2026, 11, 25, 7, tzinfo=UTC),
        "running",
        "trail",
        distance_m,
        3600.0,
        "fit",
        f"{run_id}.fit",
        signals=Signals(method_version=1, hill_session=hill),
    )


def _plan() -> Plan:
    session = Session(
        date(2026, 12, 1),
        "Ankle strength A",
        20,
        ("balance",),
        (Exercise("Single-leg stance", "3 x 30 s", "balance"),),
    )
    adjustment = Adjustment("more_lateral", "More side-to-side work.", "Two trail runs.", ("r1",))
    return Plan("2026-W49", Stage(1, "Foundation"), (adjustment,), (session,))


def test_example_register_readers_reads_and_rejects():
    found: list[Reader] = []
    manager(example("register_readers")).hook.register_readers(register=found.append)
    (reader,) = found
    data = b"timestamp,distance_m,heart_rate_bpm\n2026-11-25T07:00:00+01:00,0,120\n2026-11-25T07:00:01+01:00,3.1,121\n"
    (activity,) = reader.read(data, "tm.csv")
    assert isinstance(activity, Activity)
    assert activity.start_utc == datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert list(activity.samples["distance_m"]) == [0.0, 3.1]
    with pytest.raises(UnreadableFileError):
        reader.read(b"speed\n3\n", "other.csv")


def test_example_register_rules_names_the_runs_behind_its_adjustment():
    found: list[Rule] = []
    manager(example("register_rules")).hook.register_rules(register=found.append)
    (rule,) = found

    def context(*runs: Run) -> RuleContext:
        return RuleContext("2026-W49", date(2026, 11, 30), runs, (), (), Stage(1, "Foundation"))

    (adjustment,) = rule.evaluate(context(_run("long1", 30_000), _run("short", 8_000)))
    assert adjustment.run_ids == ("long1",)
    assert rule.evaluate(context(_run("short", 8_000))) == []


def test_example_register_exporters_writes_the_plan():
    found: list[Exporter] = []
    manager(example("register_exporters")).hook.register_exporters(register=found.append)
    (exporter,) = found
    text = exporter.write([_plan()], ExportContext(settings=Settings())).decode()
    assert "Ankle strength A (20 min)" in text and "Single-leg stance: 3 x 30 s" in text


def test_example_register_commands_adds_a_working_command():
    group = click.Group("stridelink")
    manager(example("register_commands")).hook.register_commands(cli=group)
    result = CliRunner().invoke(group, ["iso-week", "2026-12-03"])
    assert (result.exit_code, result.output) == (0, "2026-W49\n")


def test_example_run_imported_reports_hill_runs_only(capsys):
    pm = manager(example("run_imported"))
    pm.hook.run_imported(run=_run("hilly", 12_000, hill=True))
    pm.hook.run_imported(run=_run("flat", 12_000))
    assert capsys.readouterr().err == "hilly: 12.0 km with sustained climbing or descending\n"


def test_example_week_planned_sums_up_the_plan(capsys):
    manager(example("week_planned")).hook.week_planned(plan=_plan())
    assert capsys.readouterr().err == "2026-W49 (more_lateral): Tue Ankle strength A\n"
