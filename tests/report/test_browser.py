"""The report page in a real headless browser (Debian's chromium): it renders, shows every chart, is not blank.

Skipped only when chromium is missing outside CI; under CI (``CI`` set) a missing browser fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stridelink.report.page import CHART_IDS
from tests.helpers.report import render_sample

pytestmark = pytest.mark.slow  # a headless browser

WIDTH, HEIGHT = 1200, 3000


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "report.html"
    target.write_text(render_sample(), encoding="utf-8")
    return target


def _browse(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_rendered_dom_holds_every_chart(chromium: str, page_file: Path, tmp_path: Path) -> None:
    dom = _browse(chromium, tmp_path, "--dump-dom", page_file.as_uri()).stdout
    assert "<title>stridelink report, 2026-W47 to 2026-W50</title>" in dom
    for chart_id in CHART_IDS:
        assert re.search(rf'<svg\b[^>]*\bid="{chart_id}"', dom), chart_id
        assert f'<title id="{chart_id}-title">' in dom
    assert "<script" not in dom  # the hostile note stayed text


def test_screenshot_shows_the_page(chromium: str, page_file: Path, tmp_path: Path) -> None:
    from PIL import Image  # installed with matplotlib

    png = tmp_path / "report.png"
    _browse(chromium, tmp_path, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", page_file.as_uri())
    assert png.is_file()
    with Image.open(png) as image:
        assert image.size == (WIDTH, HEIGHT)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, "the screenshot is (almost) one colour"
    # The header band is the page's dark blue, and the cadence line's blue was painted somewhere.
    assert rgb.getpixel((WIDTH // 2, 10)) == (0x1E, 0x3A, 0x5F)
    blue = sum(n for n, (r, g, b) in colours if abs(r - 0x25) < 12 and abs(g - 0x63) < 12 and abs(b - 0xEB) < 12)
    assert blue > 100
