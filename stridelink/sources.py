"""Finding the files to import: activity files, gzipped ones, folders, zip archives and archives inside them.

Bulk exports work as they come: Strava's (``activities/`` of plain and ``.gz`` files beside ``activities.csv``,
whose names, types and activity ids are used; its planned ``routes/`` are skipped) and Garmin Connect's (a zip
holding zips of the original files). Only regular files are opened (a named pipe called ``run.fit`` would block
forever); symbolic links to files are followed, links to folders are not (no loops).

Archives are never extracted by name: an entry's name is only a label, so ``../../x`` writes nothing anywhere.
Expansion is bounded: per file (``MAX_FILE_BYTES``, whatever a header claims), per top-level input in all
(``MAX_EXPANDED_BYTES``, nested archives and gzip output included), in entries and in nesting depth.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import tempfile
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from stridelink.errors import UnreadableFileError

MAX_FILE_BYTES = 256 * 1024 * 1024  # no watch file comes near this; larger ones are refused unread
MAX_ZIP_MEMBERS = 20_000  # per archive
MAX_EXPANDED_BYTES = 16 * 1024 * 1024 * 1024  # all that one input may unpack to, nested archives included
MAX_NESTED_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024  # one archive inside another (copied to a temporary file)
MAX_ARCHIVE_DEPTH = 3  # a zip in a zip in a zip; Garmin Connect's export needs two
MAX_CATALOGUE_BYTES = 64 * 1024 * 1024  # Strava's activities.csv
GZIP_SUFFIX = ".gz"
ARCHIVE_SUFFIX = ".zip"

# Strava activity types that are certainly not on foot (activities.csv, "Activity Type"); others are read.
STRAVA_NOT_ON_FOOT = frozenset({
    "ride", "virtual ride", "e-bike ride", "ebike ride", "mountain bike ride", "gravel ride", "e-mountain bike ride",
    "velomobile", "handcycle", "wheelchair", "swim", "rowing", "virtual row", "kayaking", "canoeing",
    "stand up paddling", "surfing", "kitesurf", "windsurf", "sail", "alpine ski", "backcountry ski",
    "nordic ski", "roller ski", "snowboard", "ice skate", "inline skate", "skateboard",
})  # fmt: skip
STRAVA_SUB_SPORTS = {"trail run": "trail", "virtual run": "treadmill"}


@dataclass(frozen=True, slots=True)
class Origin:
    """What an export says about a file: the activity's name, type and its id in the service it came from."""

    service: str  # "strava"
    activity_id: str | None = None
    title: str | None = None
    activity_type: str | None = None

    @property
    def sub_sport(self) -> str | None:
        return STRAVA_SUB_SPORTS.get((self.activity_type or "").strip().lower())

    @property
    def external_id(self) -> str | None:
        return f"{self.service}:{self.activity_id}" if self.activity_id else None


@dataclass(frozen=True)
class Source:
    """A file to import: where it was found, the name its reader sees and how to get its bytes."""

    path: str  # shown to the user: a file path, or ``archive.zip!folder/entry.fit``
    name: str  # the activity file's own name (``.gz`` removed)
    load: Callable[[], bytes] = field(repr=False)
    size: int = 0  # the bytes ``load`` is expected to return, as far as known beforehand
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Found:
    """A file discovery could settle without reading it: a non-regular file, a Strava route, a ride."""

    path: str
    status: str  # skipped or rejected
    error: str


class _Budget:
    """How much one input may still unpack to, across its nested archives and gzip members."""

    def __init__(self, limit: int | None = None) -> None:
        self.left = MAX_EXPANDED_BYTES if limit is None else limit

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


def activity_name(name: str, suffixes: set[str]) -> tuple[str, bool] | None:
    """``(name the reader sees, gzipped)`` for an activity file name in any letter case, else None."""
    lower = name.lower()
    gzipped = lower.endswith(GZIP_SUFFIX)
    inner = name[: -len(GZIP_SUFFIX)] if gzipped else name
    if PurePosixPath(inner.lower()).suffix in suffixes:
        return inner, gzipped
    return None


def _too_big() -> UnreadableFileError:
    return UnreadableFileError(f"unpacks to more than {MAX_FILE_BYTES // 2**20} MB: not an activity file (a bomb?)")


def _read_bounded(fh: IO[bytes], gzipped: bool, budget: _Budget | None, expected: int | None = None) -> bytes:
    """At most MAX_FILE_BYTES from ``fh``, decompressing gzip on the way; never more, whatever headers claim.

    ``expected``: the size the file should have (a plain file's, a zip entry's): read at once, with no buffer
    larger than the file; anything else is read in pieces.
    """
    if not gzipped:
        if expected is not None and expected <= MAX_FILE_BYTES:
            data = fh.read(expected)
            if len(data) == expected:  # a file that grew since: the rest in pieces, to the limit
                rest = _read_pieces(fh, MAX_FILE_BYTES + 1 - len(data))
                if rest:
                    data += rest
        else:
            data = _read_pieces(fh, MAX_FILE_BYTES + 1)
    else:
        try:
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                data = _read_pieces(gz, MAX_FILE_BYTES + 1)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise UnreadableFileError(f"not a readable gzip file ({_detail(exc)})") from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_big()
    if gzipped and budget is not None and not budget.take(len(data)):
        raise UnreadableFileError("the archive unpacks to an implausible size in all (a bomb?)")
    return data


def _read_pieces(fh: IO[bytes], limit: int) -> bytes:
    """Up to ``limit`` bytes, a megabyte at a time (no buffer sized by the limit)."""
    out = bytearray()
    while len(out) < limit:
        piece = fh.read(min(1 << 20, limit - len(out)))
        if not piece:
            break
        out += piece
    return bytes(out)


def _detail(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular_file(path: Path, gzipped: bool = False, budget: _Budget | None = None) -> bytes:
    """A regular file's bytes (through symbolic links), bounded; anything else is refused without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise UnreadableFileError(f"{kind}, not a regular file: not read")
        if not gzipped and st.st_size > MAX_FILE_BYTES:
            raise UnreadableFileError(f"larger than {MAX_FILE_BYTES // 2**20} MB: not an activity file")
        with os.fdopen(os.dup(fd), "rb") as fh:
            try:
                return _read_bounded(fh, gzipped, budget, None if gzipped else st.st_size)
            except OSError as exc:
                raise UnreadableFileError(f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _file_source(path: Path, shown: str, suffixes: set[str], origin: Origin | None = None) -> Source | Found | None:
    """A file met in a folder or named by the user: a source, a refusal, or None when it is no activity file."""
    named = activity_name(path.name, suffixes)
    if named is None:
        return None
    try:
        st = path.stat()  # through a symbolic link: import and watch follow links to files alike
    except OSError as exc:
        reason = "a broken symbolic link" if path.is_symlink() else f"cannot read the file: {exc.strerror or exc}"
        return Found(shown, "rejected", reason)
    kind = file_kind(st.st_mode)
    if kind is not None:
        return Found(shown, "rejected", f"{kind}, not a regular file: not read")
    inner, gzipped = named
    size = _gzip_size_hint(path, st.st_size) if gzipped else st.st_size
    return Source(shown, inner, lambda: read_regular_file(path, gzipped), size, origin)


def _gzip_size_hint(path: Path, compressed: int) -> int:
    """A gzip file's unpacked size from its trailer (modulo 4 GB; only a hint for planning memory)."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, compressed - 4))
            return min(int.from_bytes(fh.read(4), "little"), MAX_FILE_BYTES)
    except OSError:
        return compressed


# --- Strava's activities.csv ------------------------------------------------------------------------------------


def parse_strava_catalogue(data: bytes) -> dict[str, Origin]:
    """``activities.csv`` of a Strava export: each activity file's relative path (lower case) to its Origin."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in next(rows, [])]
    except csv.Error:
        return {}

    def column(name: str) -> int | None:
        return header.index(name) if name in header else None  # newer exports repeat some names: the first

    at = {k: column(k) for k in ("activity id", "activity name", "activity type", "filename")}
    if at["filename"] is None:
        return {}
    catalogue: dict[str, Origin] = {}
    try:
        for row in rows:

            def cell(key: str) -> str | None:
                index = at[key]
                value = row[index].strip() if index is not None and index < len(row) else ""
                return value or None

            filename = cell("filename")
            if filename:
                catalogue[filename.replace("\\", "/").lower()] = Origin(
                    "strava", cell("activity id"), cell("activity name"), cell("activity type")
                )
    except csv.Error:
        pass  # a damaged tail: the names read so far still count
    return catalogue


class _Catalogue:
    """The Strava catalogue of one export (in a folder or an archive), with its place in the tree."""

    def __init__(self, prefix: str, entries: dict[str, Origin]) -> None:
        self.prefix = prefix  # "" or "folder/" inside the archive; the folder's own path for a folder
        self.entries = entries

    def lookup(self, relative: str) -> Origin | None:
        return self.entries.get(relative.replace("\\", "/").lower())

    def is_route(self, relative: str) -> bool:
        return relative.replace("\\", "/").lower().startswith("routes/")


def _refusal(origin: Origin | None) -> str | None:
    """Why an export's own type says a file is not a foot activity; None when it may be."""
    if origin is None or not origin.activity_type:
        return None
    if origin.activity_type.strip().lower() in STRAVA_NOT_ON_FOOT:
        return f"not a foot activity (Strava's activities.csv: {origin.activity_type})"
    return None


STRAVA_ROUTE = "a planned route from the Strava export, not a recorded activity"


def _with_catalogue(shown: str, relative: str, catalogue: _Catalogue | None) -> tuple[Origin | None, Found | None]:
    if catalogue is None:
        return None, None
    if catalogue.is_route(relative):
        return None, Found(shown, "skipped", STRAVA_ROUTE)
    origin = catalogue.lookup(relative)
    refusal = _refusal(origin)
    return origin, (Found(shown, "skipped", refusal) if refusal else None)


# --- archives ---------------------------------------------------------------------------------------------------


class _Scratch:
    """A temporary copy of an archive found inside another, removed when nothing refers to it any more."""

    def __init__(self, fh: IO[bytes], limit: int) -> None:
        fd, name = tempfile.mkstemp(prefix="stridelink-", suffix=".zip")
        self.path = Path(name)
        self._finalizer = weakref.finalize(self, _remove_scratch, self.path)
        _scratch_files.add(self._finalizer)
        with os.fdopen(fd, "wb") as out:
            copied = 0
            while chunk := fh.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise _too_big()
                out.write(chunk)


_scratch_files: set[weakref.finalize] = set()  # temporary copies not yet removed


def _remove_scratch(path: Path) -> None:
    archive = _open_archive.pop(path, None)
    if archive is not None:
        archive.close()
    path.unlink(missing_ok=True)


_open_archive: dict[Path, zipfile.ZipFile] = {}  # the archive being read, kept open between its entries


def _archive(path: Path) -> zipfile.ZipFile:
    if path not in _open_archive:
        for other in _open_archive.values():
            other.close()
        _open_archive.clear()
        _open_archive[path] = zipfile.ZipFile(path)
    return _open_archive[path]


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error,
               ValueError)  # fmt: skip


def _member_loader(path: Path, info: zipfile.ZipInfo, gzipped: bool, budget: _Budget, keep: Any) -> Callable[[], bytes]:
    def load() -> bytes:
        _ = keep  # a nested archive's temporary copy lives as long as a source from it
        try:
            with _archive(path).open(info) as fh:
                return _read_bounded(fh, gzipped, budget, info.file_size)  # never past the declared size
        except UnreadableFileError:
            raise
        except _ZIP_ERRORS as exc:
            raise UnreadableFileError(f"damaged archive entry ({_detail(exc)})") from None

    return load


def _zip_sources(
    path: Path, display: str, suffixes: set[str], budget: _Budget, depth: int = 1, keep: Any = None
) -> Iterator[Source | Found]:
    """Entries of a zip archive (nothing is extracted), archives inside it included, to MAX_ARCHIVE_DEPTH."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield Found(display, "rejected", f"not a readable zip archive ({_detail(exc)})")
        return
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            yield Found(display, "rejected", f"zip archive with {len(members)} entries: too many")
            return
        catalogue = _zip_catalogue(archive, members)
        for info in members:
            shown = f"{display}!{info.filename}"
            named = activity_name(PurePosixPath(info.filename).name, suffixes)
            nested = info.filename.lower().endswith(ARCHIVE_SUFFIX)
            if named is None and not nested:
                continue
            origin, found = None, None
            if catalogue is not None and info.filename.startswith(catalogue.prefix):
                origin, found = _with_catalogue(shown, info.filename[len(catalogue.prefix) :], catalogue)
            if found is not None:
                yield found
            elif stat.S_ISLNK(info.external_attr >> 16):
                yield Found(shown, "rejected", "a symbolic link inside the archive: not followed")
            elif info.flag_bits & 0x1:
                yield Found(shown, "rejected", "encrypted archive entry")
            elif nested:
                yield from _nested_sources(archive, path, info, shown, suffixes, budget, depth, keep)
            elif info.file_size > MAX_FILE_BYTES or not budget.take(info.file_size):
                yield Found(shown, "rejected", "unpacks to an implausible size (a zip bomb?)")
            else:
                inner, gzipped = named  # type: ignore[misc]
                yield Source(shown, PurePosixPath(inner).name, _member_loader(path, info, gzipped, budget, keep),
                             info.file_size, origin)  # fmt: skip


def _nested_sources(
    archive: zipfile.ZipFile, path: Path, info: zipfile.ZipInfo, shown: str, suffixes: set[str], budget: _Budget,
    depth: int, keep: Any,
) -> Iterator[Source | Found]:  # fmt: skip
    if depth >= MAX_ARCHIVE_DEPTH:
        yield Found(shown, "rejected", f"archives nested more than {MAX_ARCHIVE_DEPTH} deep: not opened")
        return
    if info.file_size > MAX_NESTED_ARCHIVE_BYTES or not budget.take(info.file_size):
        yield Found(shown, "rejected", "unpacks to an implausible size (a zip bomb?)")
        return
    try:
        with archive.open(info) as fh:
            scratch = _Scratch(fh, info.file_size)
    except UnreadableFileError as exc:
        yield Found(shown, "rejected", str(exc))
        return
    except _ZIP_ERRORS as exc:
        yield Found(shown, "rejected", f"damaged archive entry ({_detail(exc)})")
        return
    except OSError as exc:
        yield Found(shown, "rejected", f"cannot unpack the inner archive: {exc.strerror or exc}")
        return
    found = 0
    for entry in _zip_sources(scratch.path, shown, suffixes, budget, depth + 1, (keep, scratch)):
        found += 1
        yield entry
    if not found:
        yield Found(shown, "skipped", "an archive inside the archive with no activity files")


def _zip_catalogue(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> _Catalogue | None:
    """Strava's activities.csv at the top of the archive or of its one top folder."""
    for info in members:
        parts = PurePosixPath(info.filename).parts
        if len(parts) <= 2 and parts[-1].lower() == "activities.csv" and info.file_size <= MAX_CATALOGUE_BYTES:
            try:
                with archive.open(info) as fh:
                    entries = parse_strava_catalogue(fh.read(MAX_CATALOGUE_BYTES))
            except _ZIP_ERRORS:
                return None
            prefix = info.filename[: -len(parts[-1])]
            return _Catalogue(prefix, entries)
    return None


# --- folders ----------------------------------------------------------------------------------------------------


def _folder_catalogue(folder: Path) -> _Catalogue | None:
    candidate = folder / "activities.csv"
    try:
        if candidate.is_file() and candidate.stat().st_size <= MAX_CATALOGUE_BYTES:
            return _Catalogue(str(folder), parse_strava_catalogue(read_regular_file(candidate)))
    except (OSError, UnreadableFileError):
        return None
    return None


def _folder_sources(folder: Path, suffixes: set[str]) -> Iterator[Source | Found]:
    catalogues: dict[Path, _Catalogue | None] = {}  # each folder's Strava catalogue: its own or its parent's
    for root, dirs, files in os.walk(folder):  # links to folders are not followed: no loops
        dirs.sort()
        here = Path(root)
        own = _folder_catalogue(here) if any(f.lower() == "activities.csv" for f in files) else None
        catalogue = own or (catalogues.get(here.parent) if here != folder else None)
        catalogues[here] = catalogue
        for name in sorted(files):
            child = here / name
            if name.lower().endswith(ARCHIVE_SUFFIX):
                yield from _input_archive(child, str(child), suffixes)
                continue
            if activity_name(name, suffixes) is None:
                continue
            origin, found = None, None
            if catalogue is not None:
                relative = child.relative_to(catalogue.prefix).as_posix()
                origin, found = _with_catalogue(str(child), relative, catalogue)
            if found is not None:
                yield found
                continue
            source = _file_source(child, str(child), suffixes, origin)
            if source is not None:
                yield source


def _input_archive(path: Path, shown: str, suffixes: set[str]) -> Iterator[Source | Found]:
    try:
        kind = file_kind(path.stat().st_mode)
    except OSError as exc:
        yield Found(shown, "rejected", f"cannot read the archive: {exc.strerror or exc}")
        return
    if kind is not None:
        yield Found(shown, "rejected", f"{kind}, not a regular file: not read")
        return
    yield from _zip_sources(path, shown, suffixes, _Budget())


def find_sources(inputs: Iterable[str | Path], suffixes: set[str]) -> Iterator[Source | Found]:
    """Expand files, folders (recursively, sorted) and zip archives into sources, in a stable order.

    An input in which nothing could be found to read is itself refused, so an export that yields nothing never
    looks like a successful import of nothing.
    """
    for item in inputs:
        path = Path(item)
        shown = str(path)
        found = 0
        if path.is_dir():
            items: Iterator[Source | Found] = _folder_sources(path, suffixes)
        elif path.name.lower().endswith(ARCHIVE_SUFFIX):
            items = _input_archive(path, shown, suffixes)
        else:
            items = iter(())
            single = _file_source(path, shown, suffixes)
            if single is not None:
                items = iter((single,))
            elif path.exists() or path.is_symlink():
                known = ", ".join(sorted(suffixes))
                yield Found(shown, "rejected", f"unsupported file type (stridelink reads {known}, their .gz and .zip)")
                continue
            else:
                yield Found(shown, "rejected", "no such file")
                continue
        for entry in items:
            found += 1
            yield entry
        if not found:
            known = ", ".join(sorted(suffixes))
            what = "folder" if path.is_dir() else "archive"
            yield Found(shown, "rejected", f"no activity files in this {what} (stridelink reads {known}, "
                                           "gzipped or not, and .zip archives of them)")  # fmt: skip


def close_archives() -> None:
    """Close archives kept open between entries and remove temporary copies of inner archives (an import's end)."""
    for archive in _open_archive.values():
        archive.close()
    _open_archive.clear()
    while _scratch_files:
        _scratch_files.pop()()


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ZIP_MEMBERS",
    "Found",
    "Origin",
    "Source",
    "activity_name",
    "close_archives",
    "find_sources",
    "read_regular_file",
]
