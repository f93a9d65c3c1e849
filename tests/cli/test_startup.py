"""Commands load only what they use: no pandas, numpy, calendar, FIT SDK or importlib.metadata for help, runs or
a plan, and plugins are imported when a hook of theirs is called (a broken one is still reported, never a crash)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pluggy
import pytest

from stridelink import hookspecs
from stridelink.plugins import BUILTIN_PLUGINS

HEAVY = ("pandas", "numpy", "matplotlib", "icalendar", "garmin_fit_sdk", "importlib.metadata",
         "stridelink.cli.demo", "stridelink.cli.report", "stridelink.cli.cohort", "stridelink.demo")

PROBE = """\
import sys
from stridelink.cli import cli
try:
    cli(sys.argv[1:], prog_name="stridelink")
except SystemExit as exc:
    assert not exc.code, exc.code
print("loaded:", ",".join(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _run(home: Path, *args: str, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STRIDELINK_HOME=str(home))
    env.pop("STRIDELINK_LOAD_PLUGINS", None)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow  # a fresh interpreter per command
@pytest.mark.parametrize(
    "args", [["--help"], ["runs"], ["runs", "--json"], ["plan"], ["path"], ["log", "list"]]
)
def test_everyday_commands_load_no_heavy_library(tmp_path: Path, args: list[str]) -> None:
    done = _run(tmp_path / "library", *args)
    assert done.returncode == 0, done.stderr
    loaded = [line for line in done.stderr.splitlines() if line.startswith("loaded:")]
    assert loaded == ["loaded: "], f"{args}: {done.stderr.strip()}"


@pytest.mark.slow  # a fresh interpreter
def test_help_imports_no_command_module_nor_the_records_yet_lists_every_command(tmp_path: Path) -> None:
    from stridelink.cli import BUILTIN_COMMANDS

    probe = PROBE.replace("for m in {heavy!r} if m in sys.modules",
                          "for m in sys.modules if m.startswith('stridelink.cli.') "
                          "or m in ('stridelink.app', 'stridelink.models')")
    env = dict(os.environ, STRIDELINK_HOME=str(tmp_path / "library"))
    env.pop("STRIDELINK_LOAD_PLUGINS", None)
    done = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "loaded: \n" in done.stderr, done.stderr
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(BUILTIN_COMMANDS) <= listed
    assert "Try stridelink on a generated sample week of runs" in done.stdout


@pytest.mark.slow  # a fresh interpreter
def test_listing_plugins_still_loads_and_lists_every_hook(tmp_path: Path) -> None:
    done = _run(tmp_path / "library", "plugins")
    assert done.returncode == 0, done.stderr
    assert "register_readers" in done.stdout and "register_commands" in done.stdout


@pytest.mark.parametrize("name", sorted(BUILTIN_PLUGINS))
def test_each_built_in_plugin_declares_exactly_the_hooks_it_implements(name: str) -> None:
    module_name, declared = BUILTIN_PLUGINS[name]
    pm = pluggy.PluginManager("stridelink")
    pm.add_hookspecs(hookspecs)
    module = importlib.import_module(module_name)
    pm.register(module, name=name)
    assert {caller.name for caller in pm.get_hookcallers(module) or []} == declared


@pytest.mark.slow  # a fresh interpreter
def test_a_broken_third_party_plugin_is_reported_and_the_command_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "stridelink_broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stridelink-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[stridelink]\nbroken = stridelink_broken\n")
    (site / "stridelink_broken.py").write_text("raise RuntimeError('half-installed')\n")
    done = _run(tmp_path / "library", "plan", extra_path=site)
    assert done.returncode == 0, done.stderr
    assert "plugin 'broken' failed to load: RuntimeError: half-installed" in done.stderr
    assert "Sessions" in done.stdout
