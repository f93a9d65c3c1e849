"""Who is in the cohort and where their files are.

A SOURCE is a folder with one sub-folder or one bulk export (``.zip``) per athlete, named for the athlete, or a
CSV of ``athlete_id,path`` rows. An athlete's files are found by the importer's own discovery, so everything
``stridelink import`` reads (folders, archives, the exports of the big platforms) reads here the same way.
Paths may be URLs of any filesystem fsspec knows (``s3://``, ``gs://``, ...) where its package is installed;
there, plain activity files and zip archives are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import fsspec

from stridelink.errors import StridelinkError
from stridelink.importer import MAX_FILE_BYTES, ImportResult, Source, find_sources
from stridelink.plugins import get_readers

EXPORT_SUFFIXES = (".zip",)


class CohortSourceError(StridelinkError):
    """A SOURCE that is neither a folder of athletes nor a CSV of athlete_id,path."""


@dataclass(frozen=True)
class Athlete:
    athlete_id: str
    inputs: tuple[str, ...]  # folders, exports or files: local paths or URLs


def find_athletes(sources: Iterable[str]) -> list[Athlete]:
    """The athletes of every SOURCE, sorted by id; an athlete named in two sources gets both inputs."""
    found: dict[str, list[str]] = {}
    for source in sources:
        for athlete_id, path in _entries(str(source)):
            found.setdefault(athlete_id, []).append(path)
    return [Athlete(athlete_id, tuple(paths)) for athlete_id, paths in sorted(found.items())]


def _entries(source: str) -> list[tuple[str, str]]:
    fs, path = fsspec.core.url_to_fs(source)
    if not fs.exists(path):
        raise CohortSourceError(f"{source}: no such folder or file")
    if fs.isdir(path):
        return _folder(fs, source, path)
    if path.lower().endswith(".csv"):
        return _csv(fs, source, path)
    raise CohortSourceError(f"{source}: give a folder with one sub-folder or export per athlete, or a CSV of "
                            "athlete_id,path")


def _folder(fs: fsspec.AbstractFileSystem, source: str, path: str) -> list[tuple[str, str]]:
    entries = []
    for info in sorted(fs.ls(path, detail=True), key=lambda i: i["name"]):
        name = PurePosixPath(info["name"].rstrip("/")).name
        if name.startswith((".", "_")):
            continue
        child = _join(source, name)
        if info["type"] == "directory" or (info.get("islink") and fs.isdir(info["name"])):  # a linked folder too
            entries.append((name, child))
        elif name.lower().endswith(EXPORT_SUFFIXES):
            entries.append((name[: -len(".zip")], child))
    return entries


def _csv(fs: fsspec.AbstractFileSystem, source: str, path: str) -> list[tuple[str, str]]:
    with fs.open(path, "rb") as fh:
        text = fh.read().decode("utf-8-sig")
    base = source.rsplit("/", 1)[0] if "/" in source else "."
    entries = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [c.lower() for c in cells[:2]] == ["athlete_id", "path"]):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise CohortSourceError(f"{source}, line {number}: expected athlete_id,path")
        target = cells[1]
        if "://" not in target and not target.startswith("/"):
            target = _join(base, target)  # relative to the CSV's folder
        entries.append((cells[0], target))
    return entries


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


def athlete_sources(athlete: Athlete) -> list[Source | ImportResult]:
    """The athlete's files, in the stable order the importer finds them."""
    suffixes = set(get_readers())
    local: list[str] = []
    found: list[Source | ImportResult] = []
    for item in athlete.inputs:
        fs, path = fsspec.core.url_to_fs(item)
        if _is_local(fs):
            local.append(path)
        else:
            found.extend(_remote_sources(fs, item, path, suffixes))
    return list(find_sources(local, suffixes)) + found


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return bool({"file", "local"} & set(protocols))


def _remote_sources(fs: fsspec.AbstractFileSystem, url: str, path: str,
                    suffixes: set[str]) -> list[Source | ImportResult]:
    """Files under a URL: plain activity files, and the members of zip archives, read through fsspec."""
    protocol = url.split("://", 1)[0]
    files = sorted(fs.find(path)) if fs.isdir(path) else [path]
    found: list[Source | ImportResult] = []
    for name in files:
        suffix = PurePosixPath(name).suffix.lower()
        full = f"{protocol}://{name}"
        if suffix in suffixes:
            found.append(Source(full, PurePosixPath(name).name, _FsspecLoad(full)))
        elif suffix == ".zip":
            try:
                zfs = fsspec.filesystem("zip", fo=fs.open(name, "rb"))
                members = sorted(m for m in zfs.find("/") if PurePosixPath(m).suffix.lower() in suffixes)
            except Exception as exc:  # noqa: BLE001 - any damage: the archive is rejected, the others go on
                found.append(ImportResult(full, "rejected", error=f"not a readable zip archive ({exc})"))
                continue
            for member in members:
                found.append(Source(f"{full}!{member}", PurePosixPath(member).name,
                                    _FsspecLoad(f"zip://{member}::{full}")))
    return found


@dataclass(frozen=True)
class _FsspecLoad:
    """A picklable loader: the workers open the URL themselves."""

    url: str

    def __call__(self) -> bytes:
        from stridelink.errors import UnreadableFileError

        with fsspec.open(self.url, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableFileError(f"larger than {MAX_FILE_BYTES // 2**20} MB: not an activity file")
        return data


def batches(items: Sequence[Source | ImportResult], size: int) -> list[list[Source | ImportResult]]:
    """At most ``size`` items per batch, in order, the batches as even as can be (40 files: 20 and 20, not 32
    and 8), so no worker is left finishing one long batch alone."""
    count = -(-len(items) // size) if items else 0
    bounds = [round(i * len(items) / count) for i in range(count + 1)] if count else []
    return [list(items[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
