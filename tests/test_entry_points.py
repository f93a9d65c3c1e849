"""Plugins are discovered as importlib.metadata discovers them: the same entry points, in the same order, the
first distribution of a name winning, whatever else sits on the path."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from stridelink.entry_points import entry_points


def _dist(site: Path, folder: str, entry_points_txt: str | None, version: str = "1.0") -> None:
    info = site / folder
    info.mkdir(parents=True)
    name = folder.partition("-")[0]
    (info / ("PKG-INFO" if folder.endswith(".egg-info") else "METADATA")).write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt)


def _expected(group: str) -> list[tuple[str, str, str | None]]:
    return [(ep.name, ep.value, ep.dist.version if ep.dist else None)
            for ep in importlib.metadata.entry_points(group=group)]  # fmt: skip


def _found(group: str) -> list[tuple[str, str, str | None]]:
    return [(ep.name, ep.value, ep.version()) for ep in entry_points(group)]


def test_every_group_of_this_environment_is_found_alike() -> None:
    groups = {ep.group for dist in importlib.metadata.distributions() for ep in dist.entry_points}
    assert "stridelink" in groups and "console_scripts" in groups
    for group in sorted(groups):
        assert _found(group) == _expected(group), group


def test_plugins_on_extra_paths_duplicates_and_odd_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "plug_one-1.0.dist-info", "# a comment\n[stridelink]\n  one = plug_one\n\n[other]\nx = y\n")
    _dist(first, "Plug.Two-2.0.dist-info", "[stridelink]\ntwo=plug_two:register_things.inner\n", "2.0")
    _dist(first, "legacy-0.1.egg-info", "[stridelink]\nlegacy = legacy_mod [extra]\n", "0.1")
    _dist(first, "quiet-1.0.dist-info", None)  # no entry points at all
    _dist(second, "plug_two-9.0.dist-info", "[stridelink]\ntwo = shadowed\n", "9.0")  # shadowed by the first
    _dist(second, "three-3.0.dist-info", "[console_scripts]\nthree = three:main\n[stridelink]\nthree = three\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    found = _found("stridelink")
    assert found == _expected("stridelink")
    names = [name for name, _value, _version in found]
    assert {"one", "two", "legacy", "three"} <= set(names)
    assert ("two", "plug_two:register_things.inner", "2.0") in found and "shadowed" not in str(found)
    assert _found("console_scripts") == _expected("console_scripts")


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[stridelink]\nzipped = zipped_mod\n")
    monkeypatch.syspath_prepend(str(archive))
    found = _found("stridelink")
    assert ("zipped", "zipped_mod", "1.0") in found
    assert found == _expected("stridelink")


def test_a_plugin_loads_through_its_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _dist(site, "loadme-1.0.dist-info", "[stridelink]\nloadme = loadme_mod:Thing.inner\n")
    (site / "loadme_mod.py").write_text("class Thing:\n    inner = 'found me'\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "loadme_mod", raising=False)
    (ep,) = [ep for ep in entry_points("stridelink") if ep.name == "loadme"]
    assert ep.load() == "found me"
