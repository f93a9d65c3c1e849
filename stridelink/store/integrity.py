"""Checking a library folder for damage: the database, the archived originals, the stored samples and signals.

``check_library`` only reads. ``repair`` removes ``.incoming-*`` temp files (half-written copies) and
``restore_orphans`` brings back the runs of archived originals no row refers to (left by an import killed between
archiving and committing, or by a database that was deleted, emptied or damaged). No archived original is ever
deleted: the archive is what a lost database is rebuilt from. Everything else is left for the user to decide.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stridelink import paths
from stridelink.store.library import TEMP_PREFIX, Library

# An archive file younger than this may belong to an import still running (written, not yet committed):
# it is not called an orphan until it is this old.
ORPHAN_MIN_AGE_S = 15 * 60
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # integrity, database_lost, foreign_key, archive_missing, archive_size, archive_hash, file_without_runs,
    # samples_missing, samples_unreadable, orphan_archive, temp_file, signals_missing, signals_outdated
    detail: str  # one line, names the file or run
    fixable: bool = False  # True when ``repair`` removes it
    archive_name: str | None = None  # the archive file concerned, relative to the archive folder


def check_library(library: Library, *, min_age_s: float = ORPHAN_MIN_AGE_S) -> list[Problem]:
    """Every problem found, database first; an empty list means the library is healthy.

    ``min_age_s``: archive files modified more recently than this are not reported as orphans or temp files,
    since an import running right now writes its original before it commits the rows.
    """
    problems = _database(library.db)
    if any(p.kind == "integrity" for p in problems):
        return problems  # reading rows from a damaged database would only add noise
    if library.needs_rebuild:
        problems.append(
            Problem(
                "database_lost",
                "the database was created anew over an archive of originals it does not know (the old one was"
                " deleted or replaced): their runs are missing until restored",
                True,
            )
        )
    problems += _archive(library)
    problems += _samples(library.db)
    problems += _signals(library.db)
    problems += _leftovers(library, min_age_s)
    return problems


def _database(db: sqlite3.Connection) -> list[Problem]:
    problems = []
    try:
        rows = [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [Problem("integrity", f"the database cannot be checked: {exc}")]
    problems += [Problem("integrity", f"database: {row}") for row in rows if row != "ok"]
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check"):
        problems.append(Problem("foreign_key", f"{table} row {rowid} refers to a missing {parent} row"))
    return problems


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _archive(library: Library) -> list[Problem]:
    """Every files row has its original, of the recorded size and hash, and produced at least one run."""
    problems = []
    root = paths.archive_path(library.home)
    rows = library.db.execute(
        "SELECT sha256, file_name, size_bytes, archive_name, (SELECT count(*) FROM runs WHERE runs.sha256 = files.sha256)"
        " FROM files ORDER BY imported_utc"
    ).fetchall()
    for sha, file_name, size, archive_name, n_runs in rows:
        where = f"{archive_name} (imported as {file_name})"
        path = root / archive_name
        if n_runs == 0:
            problems.append(
                Problem("file_without_runs", f"{file_name} ({sha[:12]}) is recorded but has no runs")
            )
        if not path.is_file():
            problems.append(Problem("archive_missing", f"original missing: {where}"))
        elif path.stat().st_size != size:
            problems.append(
                Problem("archive_size", f"original has {path.stat().st_size} bytes, {size} expected: {where}")
            )
        elif _sha256_of(path) != sha:
            problems.append(Problem("archive_hash", f"original's bytes changed (SHA-256 differs): {where}"))
    return problems


def _samples(db: sqlite3.Connection) -> list[Problem]:
    from stridelink.store import codec as samplecodec  # numpy: only when checking

    problems = []
    rows = db.execute(
        "SELECT runs.run_id, samples.n, samples.data FROM runs LEFT JOIN samples USING (run_id) ORDER BY runs.run_id"
    )
    for run_id, n, blob in rows:
        if blob is None:
            problems.append(Problem("samples_missing", f"run {run_id} has no samples"))
            continue
        try:
            samples = samplecodec.decode_arrays(blob)
        except Exception as exc:  # noqa: BLE001 - damage to the blob shows as any decoding error
            problems.append(
                Problem("samples_unreadable", f"run {run_id}: samples do not decode ({type(exc).__name__})")
            )
            continue
        if len(samples) != n:
            problems.append(
                Problem("samples_unreadable", f"run {run_id}: {len(samples)} samples decoded, {n} stored")
            )
    return problems


def _signals(db: sqlite3.Connection) -> list[Problem]:
    """Runs without signals, or with signals of an older method."""
    from stridelink.signals.compute import METHOD_VERSION  # numpy: only when checking

    problems = []
    rows = db.execute(
        "SELECT runs.run_id, signals.method_version FROM runs LEFT JOIN signals USING (run_id) ORDER BY runs.run_id"
    )
    for run_id, version in rows:
        if version is None:
            problems.append(Problem("signals_missing", f"run {run_id} has no signals"))
        elif version < METHOD_VERSION:
            problems.append(
                Problem(
                    "signals_outdated",
                    f"run {run_id}: signals of method {version}, current is {METHOD_VERSION}",
                )
            )
    return problems


def _is_original(path: Path) -> bool:
    """True when the file is an original as the archive stores it: named by the SHA-256 of its bytes."""
    sha = path.name.split(".", 1)[0].lower()
    return len(sha) == 64 and all(c in "0123456789abcdef" for c in sha) and _sha256_of(path) == sha


def _leftovers(library: Library, min_age_s: float) -> list[Problem]:
    """Archive files no row refers to, and temp files, older than ``min_age_s``."""
    root = paths.archive_path(library.home)
    if not root.is_dir():
        return []
    known = {row[0] for row in library.db.execute("SELECT archive_name FROM files")}
    newest = time.time() - min_age_s
    problems = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.relative_to(root).as_posix()
        if path.stat().st_mtime > newest:
            continue
        if path.name.startswith(TEMP_PREFIX):
            problems.append(Problem("temp_file", f"interrupted write: {name}", True, name))
        elif name in known:
            continue
        elif _is_original(path):
            problems.append(Problem("orphan_archive", f"no run refers to the original {name}", True, name))
        else:
            problems.append(
                Problem(
                    "orphan_archive",
                    f"no run refers to {name}, and its bytes do not match its name: kept (delete it yourself if"
                    " you do not need it)",
                    False,
                    name,
                )
            )
    return problems


def repair(library: Library, problems: list[Problem]) -> list[str]:
    """Remove the interrupted writes (temp files) among ``problems``; returns what was removed.

    Runs under the write lock and checks each file again first. Archived originals are never removed, whether a
    row refers to them or not: ``restore_orphans`` brings their runs back instead.
    """
    root = paths.archive_path(library.home).resolve()
    removed: list[str] = []
    with library.transaction():
        for problem in problems:
            name = problem.archive_name
            if problem.kind != "temp_file" or name is None:
                continue
            path = root / name
            if not path.resolve().is_relative_to(root) or not path.is_file() or path.is_symlink():
                continue
            if not path.name.startswith(TEMP_PREFIX):
                continue
            path.unlink()
            removed.append(name)
    return removed


def restore_orphans(library: Library, problems: list[Problem]) -> list[dict[str, object]]:
    """Bring back the runs of the orphaned originals among ``problems`` (all unrecorded ones when the database
    was lost); returns one ``{"archive_name", "status", "run_ids", "error"}`` per original tried.

    Refused (nothing done) while the database itself is damaged; an original whose runs are still in the
    database without their file row (a foreign-key problem) is left alone.
    """
    from stridelink.rebuild import restore, unrecorded_originals

    if any(p.kind == "integrity" for p in problems):
        return []
    lost = any(p.kind == "database_lost" for p in problems)
    wanted = None if lost else [p.archive_name for p in problems if p.kind == "orphan_archive" and p.fixable]
    names = unrecorded_originals(library, wanted)  # type: ignore[arg-type]
    dangling = {row[0] for row in library.db.execute("SELECT DISTINCT sha256 FROM runs")}
    names = [n for n in names if Path(n).name.split(".", 1)[0] not in dangling]
    results = restore(library, names) if names else []
    if lost:
        library.mark_rebuilt()
    return [_restored(r) for r in results]


def _restored(result: Any) -> dict[str, object]:
    return {"archive_name": result.path, "status": result.status, "run_ids": list(result.run_ids),
            "error": result.error}


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What ``diagnose`` found (after repairs), the temp files it removed, the originals whose runs it restored
    and the damaged database files it set aside."""

    problems: list[Problem]
    removed: list[str]
    restored: list[dict[str, object]] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "problems": [asdict(p) for p in self.problems],
            "removed": self.removed,
            "restored": self.restored,
            "set_aside": self.set_aside,
        }


def diagnose(home: Path | None = None, *, fix: bool = False, rebuild: bool = False) -> Diagnosis:
    """Check the library at ``home`` (default: the library folder); with ``fix``, repair what is safe to.

    ``fix`` removes temp files and restores the runs of orphaned originals (never deletes one); ``rebuild``
    also sets a damaged database aside (kept) and rebuilds the library from the archive. A database that
    cannot be opened is reported as an ``integrity`` problem, not raised.
    """
    from stridelink.errors import LibraryError
    from stridelink.rebuild import rebuild as rebuild_library

    restored: list[dict[str, object]] = []
    set_aside: list[str] = []
    try:
        if rebuild:
            report = rebuild_library(home)
            set_aside = list(report.set_aside)
            restored = [_restored(r) for r in report.results]
        library = Library.open(home, recovering=True)
    except LibraryError as exc:
        return Diagnosis([Problem("integrity", str(exc))], [], restored, set_aside)
    except sqlite3.DatabaseError as exc:
        return Diagnosis([Problem("integrity", f"the database cannot be opened: {exc}")], [], restored, set_aside)
    removed: list[str] = []
    with library:
        problems = check_library(library)
        if fix or rebuild:
            removed = repair(library, problems)
            restored += restore_orphans(library, problems)
            if removed or restored:
                problems = check_library(library)
    return Diagnosis(problems, removed, restored, set_aside)
