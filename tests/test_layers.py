"""The architecture holds: click only in the command line, no import circles, each stage imports only earlier
ones (docs/architecture.md); test modules share code through tests/helpers and conftest, never each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "stridelink"
# What a stage must not import: the stages after it, and the layers on top.
LATER = {
    "readers": {"signals", "store", "plan", "app", "importer", "report", "demo", "cli", "watch"},
    "signals": {"store", "plan", "app", "importer", "report", "demo", "cli", "watch"},
    "store": {"plan", "app", "report", "demo", "cli", "watch"},
    "plan": {"store", "app", "importer", "report", "demo", "cli", "watch"},
    "report": {"store", "app", "importer", "demo", "cli", "watch"},
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, *, top_level_only: bool) -> set[str]:
    """Modules imported (``from stridelink import app`` counts as ``stridelink.app``); imports under
    ``if TYPE_CHECKING:`` never run and are left out."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    checking = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found: set[str] = set()
    for node in nodes:
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


SOURCES = {_module(path): ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(m for m in SOURCES if not m.startswith("stridelink.cli")))
def test_click_only_in_the_command_line(module: str) -> None:
    used = {name for name in _imports(SOURCES[module], top_level_only=False) if name.split(".")[0] == "click"}
    assert not used, f"{module} imports click"


@pytest.mark.parametrize("stage", sorted(LATER))
def test_each_stage_imports_only_earlier_ones(stage: str) -> None:
    for module, tree in SOURCES.items():
        if not module.startswith(f"stridelink.{stage}"):
            continue
        named = {name.split(".")[1] for name in _imports(tree, top_level_only=False) if name.startswith("stridelink.")}
        assert not named & LATER[stage], f"{module} imports {sorted(named & LATER[stage])}"


def test_no_import_circles() -> None:
    graph = {
        module: {name for name in _imports(tree, top_level_only=True) if name in SOURCES and name != module}
        for module, tree in SOURCES.items()
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(graph[module]):
            assert dep not in path, "import circle: " + " -> ".join([*path[path.index(dep) :], dep])
            if dep not in done:
                visit(dep, [*path, dep])
        done.add(module)

    for module in sorted(graph):
        visit(module, [module])


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests").rglob("test_*.py")), ids=lambda p: str(p.relative_to(ROOT / "tests"))
)
def test_test_modules_import_no_other_test_module(path: Path) -> None:
    imported = _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only=False)
    others = sorted(name for name in imported if name.startswith("tests.") and ".test_" in f".{name}")
    assert not others, f"{path.name} imports {others}: move what it shares into tests/helpers/"
