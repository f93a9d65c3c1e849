from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the project
SHARED = ROOT.parent / "shared"  # reference material next to the checkout, never copied into it
CORPUS = SHARED / "corpus"  # real activity files from many watches, with MANIFEST.csv
SAMPLE_RUNS = ROOT / "sample_runs"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not next to this checkout")


@pytest.fixture(autouse=True)
def library_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty library; no test can touch a real one."""
    home = tmp_path / "library"
    monkeypatch.setenv("STRIDELINK_HOME", str(home))
    monkeypatch.setenv("STRIDELINK_LOAD_PLUGINS", "")
    return home
