"""The four built-in exporters are reachable through the plugin registry and use only the public API."""

from __future__ import annotations

import ast

import pytest

from stridelink.plugins import get_exporter, get_exporters
from tests.conftest import ROOT

PLUGINS = ROOT / "plugins"
PUBLIC = {
    "stridelink",
    "stridelink.columns",
    "stridelink.errors",
    "stridelink.store.library",
    "stridelink.app",
    "stridelink.settings",
    "stridelink.plugins",
    "stridelink.plan.programme",
}  # what docs/plugins.md offers plugin authors
BUILT_IN = {"ics": ".ics", "csv": ".csv", "json": ".json", "markdown": ".md"}


def test_built_in_exporters_are_registered():
    exporters = get_exporters()
    assert {name: exporters[name].suffix for name in BUILT_IN} == BUILT_IN
    assert get_exporter("markdown") == exporters["markdown"]


@pytest.mark.parametrize(
    "source", sorted(PLUGINS.glob("stridelink_*/**/*.py")), ids=lambda p: str(p.relative_to(PLUGINS))
)
def test_plugin_code_imports_only_the_public_api(source):
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    core = {name for name in imported if name == "stridelink" or name.startswith("stridelink.")}
    assert core <= PUBLIC, f"{source.name} imports stridelink internals: {sorted(core - PUBLIC)}"


def test_each_built_in_exporter_is_its_own_package():
    assert {p.name for p in PLUGINS.iterdir() if (p / "__init__.py").is_file()} >= {
        f"stridelink_{n}" for n in BUILT_IN
    }
