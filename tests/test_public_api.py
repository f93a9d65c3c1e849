"""The public API is ``stridelink.__all__``, and docs/plugins.md describes exactly that."""

from __future__ import annotations

import re

import stridelink
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "plugins.md"


def _documented() -> set[str]:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## The public API") :]
    section = section[: section.index("\n## ", 1)]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in table for name in re.findall(r"`([A-Za-z_]+)`", row.split(" | ")[0])}


def test_every_public_name_exists():
    missing = [name for name in stridelink.__all__ if not hasattr(stridelink, name)]
    assert not missing
    assert len(set(stridelink.__all__)) == len(stridelink.__all__)


def test_the_docs_list_exactly_the_public_names():
    documented = _documented()
    assert documented == set(stridelink.__all__), {
        "not documented": sorted(set(stridelink.__all__) - documented),
        "documented, not public": sorted(documented - set(stridelink.__all__)),
    }
