"""The four built-in exporters are reachable through the plugin registry and use only the public API."""

from __future__ import annotations

import ast

import pytest

import stridelink
from stridelink.plugins import get_exporter, get_exporters
from tests.conftest import ROOT

PLUGINS = ROOT / "plugins"
BUILT_IN = {"ics": ".ics", "csv": ".csv", "json": ".json", "markdown": ".md"}


def test_built_in_exporters_are_registered():
    exporters = get_exporters()
    assert {name: exporters[name].suffix for name in BUILT_IN} == BUILT_IN
    assert get_exporter("markdown") == exporters["markdown"]


def _core_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The stridelink names a module uses (``from stridelink import X``, ``stridelink.X``), and the stridelink
    submodules it imports."""
    names: set[str] = set()
    submodules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            submodules |= {alias.name for alias in node.names if alias.name.startswith("stridelink.")}
        elif isinstance(node, ast.ImportFrom) and node.module == "stridelink":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stridelink."):
            submodules.add(node.module)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "stridelink":
            names.add(node.attr)
    return names, submodules


@pytest.mark.parametrize(
    "source", sorted(PLUGINS.glob("stridelink_*/**/*.py")), ids=lambda p: str(p.relative_to(PLUGINS))
)
def test_plugin_code_uses_only_the_public_api(source):
    names, submodules = _core_names(ast.parse(source.read_text(encoding="utf-8")))
    assert not submodules, f"{source.name} imports stridelink internals: {sorted(submodules)}"
    outside = sorted(names - set(stridelink.__all__))
    assert not outside, f"{source.name} uses names outside stridelink.__all__: {outside}"


def test_the_check_catches_internals():
    code = "import stridelink\nfrom stridelink.store.library import Library\nstridelink.app.ingest"
    names, submodules = _core_names(ast.parse(code))
    assert submodules == {"stridelink.store.library"} and "app" in names and "app" not in stridelink.__all__


def test_each_built_in_exporter_is_its_own_package():
    assert {p.name for p in PLUGINS.iterdir() if (p / "__init__.py").is_file()} >= {
        f"stridelink_{n}" for n in BUILT_IN
    }
