"""Restoring runs from the archived originals the database does not know.

The archive is the library's source of truth: every original file that gave a run is kept there under the SHA-256
of its bytes. When the database forgets some of them (an import killed between archiving and committing) or all
of them (the database was deleted, emptied or damaged), the runs come back by importing those originals again;
run ids derive from the bytes, so they are the same ids as before. Nothing in the archive is ever deleted here.

What only the database held cannot come back from the archive: log entries, the names the files had when they
were imported (runs show the archive name instead), and the exporters' memory (calendar UIDs stay the same, since
they derive from the week and session).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stridelink import paths
from stridelink.errors import DamagedDatabaseError, UnreadableFileError
from stridelink.importer import MAX_FILE_BYTES, ImportResult, Source, import_sources
from stridelink.store.library import Library, archived_originals


@dataclass(frozen=True, slots=True)
class RebuildReport:
    results: tuple[ImportResult, ...]  # one per original restored or not (path: the archive name)
    set_aside: tuple[str, ...] = ()  # damaged database files moved out of the way (never deleted)

    @property
    def restored_runs(self) -> int:
        return sum(len(r.run_ids) for r in self.results if r.status == "imported")


def unrecorded_originals(library: Library, names: Sequence[str] | None = None) -> list[str]:
    """The archived originals (or those of ``names``) that no files row names."""
    known = {row[0] for row in library.db.execute("SELECT archive_name FROM files")}
    return [name for name in (archived_originals(library.home) if names is None else names) if name not in known]


def _loader(path: Path, sha256: str) -> Callable[[], bytes]:
    def load() -> bytes:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise UnreadableFileError(
                "the archived original's bytes no longer match its name (SHA-256 differs): kept as it is"
            )
        return data

    return load


def restore(
    library: Library, names: Sequence[str], *, on_result: Callable[[ImportResult], None] | None = None
) -> list[ImportResult]:
    """Import archived originals (names relative to the archive) back into the library; never deletes one.

    Each name must be ``<sha256><suffix>``; a file whose bytes no longer hash to its name is rejected and kept.
    """
    root = paths.archive_path(library.home)
    sources: list[Source | ImportResult] = []
    for name in names:
        path = root / name
        sha = path.name.split(".", 1)[0].lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            sources.append(ImportResult(name, "rejected", error="not named like an archived original: kept as it is"))
        else:
            sources.append(Source(name, path.name, _loader(path, sha)))
    return import_sources(library, sources, workers=1 if len(names) < 16 else None, on_result=on_result)


def set_aside_database(home: Path) -> list[str]:
    """Move a damaged database (and its journal files) out of the way, keeping it for inspection."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    db = paths.db_path(home)
    for suffix in ("", "-wal", "-shm"):
        source = db.with_name(db.name + suffix)
        if source.exists():
            target = db.with_name(f"{db.name}.damaged-{stamp}{suffix}")
            shutil.move(source, target)
            moved.append(target.name)
    if moved:
        fd = os.open(home, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return moved


def _healthy(library: Library) -> bool:
    try:
        return [row[0] for row in library.db.execute("PRAGMA quick_check")] == ["ok"]
    except Exception:  # noqa: BLE001 - any failure to check is damage
        return False


def rebuild(home: Path | None = None, *, on_result: Callable[[ImportResult], None] | None = None) -> RebuildReport:
    """Bring back every run the archive holds: a damaged database is set aside first (kept, not deleted).

    Safe to run on a healthy library (it then restores only the originals the database does not name).
    """
    home = home or paths.library_path()
    set_aside: list[str] = []
    try:
        library = Library.open(home, recovering=True)
    except DamagedDatabaseError:
        set_aside = set_aside_database(home)
        library = Library.open(home, recovering=True)
    if not _healthy(library):
        library.close()
        set_aside = set_aside_database(home)
        library = Library.open(home, recovering=True)
    with library:
        results = restore(library, unrecorded_originals(library), on_result=on_result)
        library.mark_rebuilt()
    return RebuildReport(tuple(results), tuple(set_aside))

