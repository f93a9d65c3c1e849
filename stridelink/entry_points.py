"""Entry points of one group, found as ``importlib.metadata.entry_points(group=...)`` finds them, without its
import (about 7 ms of email, zipfile and csv modules on every command that discovers plugins).

Only the common layout is read here: distributions as ``*.dist-info`` and ``*.egg-info`` folders in the folders
on ``sys.path``. Anything else (a zip on the path, an ``.egg``, a finder of its own on ``sys.meta_path``) is left
to importlib.metadata itself, and so are loading a plugin and reading its version.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple


class Found(NamedTuple):
    name: str
    value: str
    dist: Any  # the distribution's metadata folder (str), or importlib.metadata's Distribution if it found it

    def load(self) -> Any:
        import importlib.metadata

        return importlib.metadata.EntryPoint(self.name, self.value, "").load()

    def version(self) -> str | None:
        import importlib.metadata

        dist = importlib.metadata.PathDistribution(Path(self.dist)) if isinstance(self.dist, str) else self.dist
        return None if dist is None else dist.version


class _Unsupported(Exception):
    """A layout left to importlib.metadata."""


def entry_points(group: str) -> list[Found]:
    """The group's entry points in importlib.metadata's order: ``sys.path`` order, the first distribution of a
    name only."""
    try:
        return list(_scan(group))
    except _Unsupported:
        import importlib.metadata

        return [Found(ep.name, ep.value, ep.dist) for ep in importlib.metadata.entry_points(group=group)]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _scan(group: str) -> Iterator[Found]:
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        raise _Unsupported
    seen: set[str] = set()
    header = f"[{group}]"
    for entry in sys.path:
        root = entry or "."
        try:
            children = os.listdir(root)
        except NotADirectoryError:
            raise _Unsupported from None  # a zip file on the path
        except OSError:
            continue
        if os.path.basename(entry).lower().endswith(".egg"):
            raise _Unsupported
        by_name: dict[str, list[str]] = {}  # grouped by name in listing order, as importlib.metadata does
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                by_name.setdefault(_normalize(low.rpartition(".")[0].partition("-")[0]), []).append(child)
        for name, infos in by_name.items():
            for child in infos:
                if name in seen:
                    continue
                seen.add(name)
                dist_path = os.path.join(entry, child)
                try:
                    with open(os.path.join(dist_path, "entry_points.txt"), encoding="utf-8") as fh:
                        text = fh.read()
                except OSError:
                    continue
                if header in text:
                    yield from (Found(n, v, dist_path) for n, v in _section(text, group))


def _section(text: str, group: str) -> Iterator[tuple[str, str]]:
    """``name = value`` lines of one ``[group]`` of an entry_points.txt."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == group:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()
