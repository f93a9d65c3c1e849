"""A plugin built and installed the way a third party would do it is found, listed and used.

The plugin is its own package with a ``[project.entry-points.stridelink]`` table, installed with pip into a
fresh virtual environment. That environment sees the stridelink under test, and the libraries it needs,
through a ``.pth`` file, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import stridelink_ics

import stridelink

pytestmark = pytest.mark.slow  # builds a virtual environment

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "stridelink-txt"
version = "0.3.0"
dependencies = ["stridelink"]

[project.entry-points.stridelink]
txt = "stridelink_txt"

[tool.setuptools]
py-modules = ["stridelink_txt"]
"""

MODULE = '''\
"""Plain-text export and a long-run rule for stridelink."""

import stridelink


def write_txt(plans, context):
    lines = []
    for plan in plans:
        lines.append(f"Week {plan.week}, stage {plan.stage.number}: {plan.stage.name}")
        for session in plan.sessions:
            lines.append(f"{session.date.isoformat()}  {session.title} ({session.duration_min} min)")
    return ("\\n".join(lines) + "\\n").encode("utf-8")


def long_runs(context):
    long = [run for run in context.recent_runs if (run.distance_m or 0) >= 25_000]
    if not long:
        return []
    return [stridelink.Adjustment("calf_endurance", "Slow calf raises.", "Long runs last week.",
                                  tuple(run.run_id for run in long))]


@stridelink.hookimpl
def register_exporters(register):
    register(stridelink.Exporter(name="txt", suffix=".txt", write=write_txt, description="Plain text"))


@stridelink.hookimpl
def register_rules(register):
    register(stridelink.Rule(name="long_runs", evaluate=long_runs))
'''


def _bridge_lines() -> list[str]:
    """What the new environment's .pth adds: the stridelink under test first, then this environment's libraries."""
    code_dirs = [
        Path(stridelink.__file__).resolve().parents[1],
        Path(stridelink_ics.__file__).resolve().parents[1],
    ]
    site_dirs = [
        p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()
    ]
    lines = [str(d) for d in dict.fromkeys(code_dirs)]
    # addsitedir also runs those folders' own .pth files (editable installs rely on them)
    lines += [f"import site; site.addsitedir({d!r})" for d in dict.fromkeys(site_dirs)]
    return lines


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the third-party plugin installed by pip; returns its python."""
    root = tmp_path_factory.mktemp("third_party")
    package = root / "stridelink-txt"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (package / "stridelink_txt.py").write_text(MODULE, encoding="utf-8")

    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "zz_stridelink_under_test.pth").write_text(
        "\n".join(_bridge_lines()) + "\n", encoding="utf-8"
    )

    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            str(package),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    # building needs setuptools >= 70.1 in this environment (the test extra); nothing is downloaded
    assert install.returncode == 0, install.stderr
    assert Path(purelib, "stridelink_txt.py").is_file()  # installed into the new environment, not this one
    return python


def stridelink_cli(python: Path, *args: str, allow: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STRIDELINK_LOAD_PLUGINS"}
    if allow is not None:
        env["STRIDELINK_LOAD_PLUGINS"] = allow
    return subprocess.run(
        [python, "-m", "stridelink", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_the_installed_plugin_is_listed_with_its_hooks(plugin_python):
    result = stridelink_cli(plugin_python, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["txt"]["hooks"] == ["register_exporters", "register_rules"]
    assert (rows["txt"]["module"], rows["txt"]["version"], rows["txt"]["builtin"]) == (
        "stridelink_txt",
        "0.3.0",
        False,
    )
    assert "register_exporters" in rows["ics"]["hooks"]  # the built-ins load alongside


def test_the_allowlist_decides_whether_it_loads(plugin_python):
    def names(allow: str) -> set[str]:
        result = stridelink_cli(plugin_python, "plugins", "--json", allow=allow)
        return {row["name"] for row in json.loads(result.stdout)}

    assert "txt" not in names("")
    assert "txt" in names("txt")


def test_export_through_the_plugin(plugin_python, tmp_path):
    out = tmp_path / "week.txt"
    result = stridelink_cli(plugin_python, "export", "txt", "--week", "2026-W49", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Week 2026-W49, stage ")
    # then one line per session, each dated in that week
    assert lines[1:] and all("2026-11-30" <= line[:10] <= "2026-12-06" for line in lines[1:])
