"""The run library: SQLite in the library folder plus the archived original files.

One transaction per file: a file's runs, samples and signals land together or not at all. Files are identified
by the SHA-256 of their bytes, so importing the same bytes twice changes nothing. Originals are archived under
``archive/<first two hex>/<sha256><suffix>`` so runs can be re-analysed when the methods improve.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stridelink import paths
from stridelink.errors import (
    DamagedDatabaseError,
    InvalidDateError,
    LibraryError,
    LostDatabaseError,
    UnknownLogEntryError,
    UnknownRunError,
)
from stridelink.store.migrations import migrate
from stridelink.models import Activity, LogEntry, Plan, Run, Signals
from stridelink.settings import Settings, load_settings

if TYPE_CHECKING:
    import pandas as pd

    from stridelink.sources import Origin


TEMP_PREFIX = ".incoming-"  # what Library.archive_file names a half-written original
EARLIEST_DAY = date(1990, 1, 1)  # no log entry or run of a current athlete is older


def latest_day() -> date:
    """Tomorrow, wherever on Earth the athlete is: the latest day a log entry may have."""
    return max(date.today(), datetime.now(UTC).date()) + timedelta(days=1)


_A_DAY = "day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"


def _day_or_none(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:  # a row stored by an older version that did not check dates
        return None


def check_day(day: date, what: str = "date") -> date:
    """``day`` itself, or InvalidDateError when it is before 1990 or after tomorrow (a typo, not a real entry)."""
    if not EARLIEST_DAY <= day <= latest_day():
        raise InvalidDateError(
            f"{what} {day.isoformat()} is out of range: give a day from {EARLIEST_DAY.isoformat()} to tomorrow"
        )
    return day


def archived_originals(home: Path) -> list[str]:
    """Every original file in the archive (names relative to it), without half-written temp files."""
    root = paths.archive_path(home)
    if not root.is_dir():
        return []
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and not path.name.startswith(TEMP_PREFIX)
    )


class DuplicateFileError(Exception):
    """The file's bytes are already in the library (possibly added by another process just now)."""

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__("already imported")
        self.run_ids = run_ids


def run_id_for(sha256: str, leg: int) -> str:
    return sha256[:12] if leg == 0 else f"{sha256[:12]}-{leg + 1}"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """One run ready for the database: its row values, its encoded samples and its signals as JSON.

    Import workers send these back instead of DataFrames, so only compact bytes cross between processes.
    """

    start_utc: str
    sport: str
    sub_sport: str | None
    distance_m: float | None
    duration_s: float | None
    source_format: str
    manufacturer: str | None
    product: str | None
    altitude_source: str | None
    device_totals: str  # JSON
    laps: str  # JSON
    n_samples: int
    samples: bytes  # samplecodec blob
    method_version: int | None  # None: no signals
    signals: str | None  # JSON


def _totals(activity: Activity, signals: Signals | None) -> tuple[float | None, float | None]:
    """The run's distance and duration: from its signals, else the device's own totals."""
    totals = activity.device_totals
    if signals:
        return signals.distance_m, signals.duration_s
    return totals.get("distance_m"), totals.get("elapsed_time_s")


def prepare_run(activity: Activity, signals: Signals | None) -> PreparedRun:
    totals = activity.device_totals
    distance_m, duration_s = _totals(activity, signals)
    return PreparedRun(
        start_utc=activity.start_utc.astimezone(UTC).isoformat(),
        sport=activity.sport,
        sub_sport=activity.sub_sport,
        distance_m=distance_m,
        duration_s=duration_s,
        source_format=activity.source_format,
        manufacturer=activity.manufacturer,
        product=activity.product,
        altitude_source=activity.altitude_source,
        device_totals=json.dumps(dict(totals), default=_json_default),
        laps=json.dumps([dict(lap) for lap in activity.laps], default=_json_default),
        n_samples=len(activity.series),
        samples=_codec().encode(activity.series),
        method_version=signals.method_version if signals else None,
        signals=json.dumps(signals.to_dict(), default=_json_default) if signals else None,
    )


def run_record(
    sha256: str, leg: int, file_name: str, activity: Activity, signals: Signals | None, origin: Origin | None = None
) -> Run:
    """The run exactly as the library would hold it after importing the file (what ``show`` prints), without
    storing it: the same values, signals included, as a round trip through the database gives."""
    distance_m, duration_s = _totals(activity, signals)
    stored = None
    if signals is not None:
        stored = Signals.from_dict(json.loads(json.dumps(signals.to_dict(), default=_json_default)))
    return Run(
        run_id=run_id_for(sha256, leg),
        sha256=sha256,
        leg=leg,
        start_utc=datetime.fromisoformat(activity.start_utc.astimezone(UTC).isoformat()),
        sport=activity.sport,
        sub_sport=activity.sub_sport,
        distance_m=distance_m,
        duration_s=duration_s,
        source=activity.source_format,
        file_name=file_name,
        manufacturer=activity.manufacturer,
        product=activity.product,
        signals=stored,
        title=origin.title if origin is not None else None,
        external_id=origin.external_id if origin is not None else None,
    )


Analysed = Sequence[tuple[Activity, Signals | None] | PreparedRun]


def _prepared(analysed: Analysed) -> list[PreparedRun]:
    return [item if isinstance(item, PreparedRun) else prepare_run(*item) for item in analysed]


def _fsync(path: Path, *, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:  # some systems cannot open a directory to sync it
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _use_wal(db: sqlite3.Connection, wait_s: float = 60.0) -> None:
    """Switch to write-ahead logging (once per library; it persists).

    While another process creates the same library, the switch can report "database is locked" without waiting
    on the busy timeout, so it is retried.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def database_failure(exc: sqlite3.Error) -> str:
    """One line for a database error met while a command works (after the library opened)."""
    text = str(exc)
    if "readonly" in text:
        return (f"the library cannot be written ({text}): stridelink needs write access to its folder"
                " (`stridelink path` shows it); nothing was changed")
    if "full" in text:
        return f"the disk holding the library is full ({text}): free some space and try again; nothing was changed"
    if "locked" in text or "busy" in text:
        return f"the library is busy ({text}): another stridelink holds it; try again in a moment"
    return f"the library's database failed ({text}): `stridelink doctor` checks it"


def _open_error(home: Path, exc: sqlite3.Error) -> LibraryError:
    """The one-line reason a library cannot be opened."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text):
        return LibraryError(
            f"cannot write to the library {home} ({text}): stridelink needs write access to its folder;"
            " check its permissions or set STRIDELINK_HOME to a writable folder"
        )
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return LibraryError(f"the library {home} is busy (another stridelink holds it): try again in a moment")
    return DamagedDatabaseError(
        f"the database {paths.db_path(home)} is damaged or not a stridelink database ({text}):"
        " `stridelink doctor --rebuild` sets it aside and rebuilds the library from the archived originals"
    )


class Library:
    """An open library folder. Use ``Library.open()``; close it (or use ``with``) when done.

    It carries the library's settings: read from ``settings.toml`` once, when first needed, and not again
    while the library is open (unless ``reload_settings`` is called between two pieces of work).
    """

    def __init__(self, home: Path, db: sqlite3.Connection, settings: Settings | None = None) -> None:
        self.home = home
        self.db = db
        self._settings = settings
        self._new_folders: set[Path] = set()  # archive folders created since the last sync_archive

    @property
    def settings(self) -> Settings:
        """The athlete's settings; SettingsError (on first use) when the settings file is broken."""
        if self._settings is None:
            self._settings = load_settings(self.home)
        return self._settings

    def reload_settings(self) -> None:
        """Read the settings file again when next needed (a long-running watch does so for each batch)."""
        self._settings = None

    @classmethod
    def open(
        cls, home: Path | None = None, *, settings: Settings | None = None, recovering: bool = False
    ) -> Library:
        """Open (or create) the library at ``home``; LibraryError, in one line, when it cannot be used.

        A database created over an archive that already holds originals means the old database was deleted or
        replaced: the library is marked as needing a rebuild and LostDatabaseError is raised, so that no command
        starts a new, empty history over the old one. ``recovering=True`` (``stridelink doctor``) opens it anyway.
        """
        home = home or paths.library_path()
        if home.exists() and not home.is_dir():
            raise LibraryError(f"the library folder {home} is a file: point STRIDELINK_HOME at a folder")
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot create the library folder {home}: {exc.strerror or exc}") from None
        db_file = paths.db_path(home)
        try:
            db = sqlite3.connect(db_file, isolation_level=None, timeout=60.0)
        except sqlite3.Error as exc:
            raise _open_error(home, exc) from None
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout = 60000")
            _use_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            # A database without tables is new: is there an archive it knows nothing of? Looked at before the
            # tables exist, so no other process can have archived through this database yet.
            fresh = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            originals = archived_originals(home) if fresh else []
            migrate(db)
            if originals:
                db.execute(
                    "INSERT OR REPLACE INTO library_state VALUES ('needs_rebuild', ?)", (str(len(originals)),)
                )
            lost = db.execute("SELECT value FROM library_state WHERE key = 'needs_rebuild'").fetchone()
        except sqlite3.Error as exc:
            db.close()
            raise _open_error(home, exc) from None
        except BaseException:
            db.close()
            raise
        if lost is not None and not recovering:
            db.close()
            raise LostDatabaseError(
                f"the library's database was deleted or replaced, but its archive holds {lost[0]} original file(s):"
                " run `stridelink doctor --rebuild` to restore every run from them (nothing is deleted)"
            )
        return cls(home, db, settings)

    @property
    def needs_rebuild(self) -> bool:
        return self.db.execute("SELECT 1 FROM library_state WHERE key = 'needs_rebuild'").fetchone() is not None

    def mark_rebuilt(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM library_state WHERE key = 'needs_rebuild'")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # Files and runs

    def run_ids_of_file(self, sha256: str) -> list[str] | None:
        """The runs a file's bytes produced, or None when the bytes were never imported."""
        if not self.db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone():
            return None
        rows = self.db.execute("SELECT run_id FROM runs WHERE sha256 = ? ORDER BY leg", (sha256,))
        return [row[0] for row in rows]

    def archive_file(self, sha256: str, suffix: str, data: bytes, *, sync: bool = True) -> str:
        """Write the original bytes into the archive (atomically); returns the archive name.

        With ``sync=False`` the bytes may still sit in the OS cache: call ``sync_archive`` before committing a row
        that names the file (an orphan file left by a crash in between is harmless; `stridelink doctor` removes it).
        """
        name = f"{sha256[:2]}/{sha256}{suffix.lower()}"
        target = paths.archive_path(self.home) / name
        if target.exists() and target.stat().st_size == len(data):
            os.utime(target)  # fresh again: `doctor --fix` only removes orphans untouched for a while
            return name
        if not target.parent.is_dir():  # the new folders' entries must reach the disk with the file
            root = target.parent.parent
            self._new_folders |= {root} if root.is_dir() else {root, root.parent}
            target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if sync:
            self.sync_archive([])
            _fsync(target.parent, directory=True)
        return name

    def sync_archive(self, names: Sequence[str]) -> None:
        """Make archive files written with ``sync=False`` durable, with the folder entries that name them.

        On Linux a batch takes one ``sync()``, which waits for the writes to reach the disk and costs about what
        one file's fsync does; elsewhere each file and folder is synced.
        """
        folders, self._new_folders = self._new_folders, set()
        if len(names) > 1 and sys.platform.startswith("linux"):
            os.sync()
            return
        root = paths.archive_path(self.home)
        for name in names:
            _fsync(root / name)
        for folder in {(root / name).parent for name in names} | folders:
            _fsync(folder, directory=True)

    def archived_bytes(self, sha256: str) -> bytes:
        row = self.db.execute("SELECT archive_name FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise UnknownRunError(f"no file {sha256[:12]} in the library")
        return (paths.archive_path(self.home) / row[0]).read_bytes()

    def add_file(
        self,
        sha256: str,
        file_name: str,
        data: bytes,
        fmt: str,
        analysed: Analysed,
    ) -> list[str]:
        """Archive a file, then store its activities in one transaction; DuplicateFileError if the bytes are known.

        ``analysed`` holds (Activity, Signals) pairs or runs already prepared with ``prepare_run``.
        """
        prepared = _prepared(analysed)
        suffix = Path(file_name).suffix or f".{fmt}"
        archive_name = self.archive_file(sha256, suffix, data)
        return self.insert_file(sha256, file_name, len(data), fmt, archive_name, prepared)

    def insert_file(
        self, sha256: str, file_name: str, size: int, fmt: str, archive_name: str, analysed: Analysed,
        origin: Origin | None = None,
    ) -> list[str]:
        """The database half of ``add_file``, for a file already archived (and synced).

        ``origin``: what a bulk export says about the file (its activity's name, type and id), kept beside it.
        """
        prepared = _prepared(analysed)
        with self.transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                (sha256, file_name, size, fmt, archive_name, _utc_now()),
            ).rowcount
            if not inserted:
                raise DuplicateFileError(
                    [r[0] for r in db.execute("SELECT run_id FROM runs WHERE sha256 = ? ORDER BY leg", (sha256,))]
                )
            run_ids = self._insert_runs(sha256, file_name, prepared)
            if origin is not None:
                db.execute(
                    "INSERT INTO file_origins VALUES (?, ?, ?, ?, ?)",
                    (sha256, origin.service, origin.activity_id, origin.title, origin.activity_type),
                )
        return run_ids

    def _insert_runs(self, sha256: str, file_name: str, prepared: Sequence[PreparedRun]) -> list[str]:
        run_ids = [run_id_for(sha256, leg) for leg in range(len(prepared))]
        name = Path(file_name).name
        self.db.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id, sha256, leg, p.start_utc, p.sport, p.sub_sport, p.distance_m, p.duration_s,
                    p.source_format, name, p.manufacturer, p.product, p.altitude_source, p.device_totals, p.laps,
                )
                for leg, (run_id, p) in enumerate(zip(run_ids, prepared, strict=True))
            ],
        )
        self.db.executemany(
            "INSERT INTO samples VALUES (?, ?, ?)",
            [(run_id, p.n_samples, p.samples) for run_id, p in zip(run_ids, prepared, strict=True)],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO signals VALUES (?, ?, ?)",
            [
                (run_id, p.method_version, p.signals)
                for run_id, p in zip(run_ids, prepared, strict=True)
                if p.signals is not None
            ],
        )
        return run_ids

    def replace_runs(self, sha256: str, analysed: Analysed) -> list[str]:
        """Re-analysis: a file's runs, samples and signals replaced in one transaction (run ids kept)."""
        prepared = _prepared(analysed)
        with self.transaction() as db:
            row = db.execute("SELECT file_name FROM files WHERE sha256 = ?", (sha256,)).fetchone()
            if row is None:
                raise UnknownRunError(f"no file {sha256[:12]} in the library")
            db.execute("DELETE FROM runs WHERE sha256 = ?", (sha256,))
            return self._insert_runs(sha256, row[0], prepared)

    def outdated_files(self, method_version: int) -> list[str]:
        """Files with a run whose signals are missing or older than ``method_version``."""
        rows = self.db.execute(
            "SELECT DISTINCT runs.sha256 FROM runs LEFT JOIN signals USING (run_id)"
            " WHERE signals.method_version IS NULL OR signals.method_version < ?",
            (method_version,),
        )
        return [row[0] for row in rows]

    def _put_signals(self, run_id: str, signals: Signals) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO signals VALUES (?, ?, ?)",
            (run_id, signals.method_version, json.dumps(signals.to_dict(), default=_json_default)),
        )

    def set_signals(self, run_id: str, signals: Signals) -> None:
        with self.transaction():
            self._put_signals(run_id, signals)

    def _run(self, row: sqlite3.Row) -> Run:
        signals = Signals.from_dict(json.loads(row["signals"])) if row["signals"] else None
        return Run(
            run_id=row["run_id"],
            sha256=row["sha256"],
            leg=row["leg"],
            start_utc=datetime.fromisoformat(row["start_utc"]),
            sport=row["sport"],
            sub_sport=row["sub_sport"],
            distance_m=row["distance_m"],
            duration_s=row["duration_s"],
            source=row["source"],
            file_name=row["file_name"],
            manufacturer=row["manufacturer"],
            product=row["product"],
            signals=signals,
            title=row["title"],
            external_id=f"{row['service']}:{row['activity_id']}" if row["activity_id"] else None,
        )

    _RUNS = (
        "SELECT runs.*, signals.data AS signals, file_origins.service, file_origins.activity_id, file_origins.title"
        " FROM runs LEFT JOIN signals USING (run_id) LEFT JOIN file_origins USING (sha256)"
    )

    def runs(self, start_utc: datetime | None = None, end_utc: datetime | None = None) -> list[Run]:
        """Runs in start order, optionally those starting in [start_utc, end_utc)."""
        sql, args = self._RUNS + " WHERE 1=1", []
        if start_utc is not None:
            sql += " AND start_utc >= ?"
            args.append(start_utc.astimezone(UTC).isoformat())
        if end_utc is not None:
            sql += " AND start_utc < ?"
            args.append(end_utc.astimezone(UTC).isoformat())
        return [self._run(row) for row in self.db.execute(sql + " ORDER BY start_utc, run_id", args)]

    def get_run(self, run_id: str) -> Run:
        row = self.db.execute(self._RUNS + " WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            matches = self.db.execute(self._RUNS + " WHERE run_id LIKE ? LIMIT 2", (run_id + "%",)).fetchall()
            if len(matches) != 1 or len(run_id) < 4:
                raise UnknownRunError(f"no run {run_id!r} in the library; `stridelink runs` lists them")
            row = matches[0]
        return self._run(row)

    def samples(self, run_id: str) -> pd.DataFrame:
        row = self.db.execute("SELECT data FROM samples WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRunError(f"no samples for run {run_id!r}")
        return _codec().decode(row[0])

    def run_details(self, run_id: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT altitude_source, device_totals, laps FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise UnknownRunError(f"no run {run_id!r} in the library")
        return {
            "altitude_source": row[0],
            "device_totals": json.loads(row[1]),
            "laps": json.loads(row[2]),
        }

    def file_name(self, sha256: str) -> str:
        row = self.db.execute("SELECT file_name FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise UnknownRunError(f"no file {sha256[:12]} in the library")
        return str(row[0])

    def file_hashes(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT sha256 FROM files ORDER BY imported_utc")]

    # Athlete log

    def add_log(self, day: date, kind: str, *, side: str | None = None, value: float | None = None,
                note: str = "", source: str = "manual") -> LogEntry | None:
        """Record a log entry; an entry from a file (``source`` = its SHA-256) is recorded once only.

        InvalidDateError for a day before 1990 or after tomorrow: one typo must not reshape years of plans.
        """
        check_day(day)
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO logs (day, kind, side, value, note, source, created_utc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (day.isoformat(), kind, side, value, note, source, _utc_now()),
            )
            if not cursor.rowcount:
                return None
            entry_id = cursor.lastrowid or 0
        return LogEntry(entry_id, day, kind, side, value, note, source)

    def logs(self, before: date | None = None, *, since: date | None = None,
             out_of_range: bool = False) -> list[LogEntry]:
        """Log entries by day (dated in [since, before) when given). Entries dated before 1990 or unreadably
        (stored by older versions, which did not check dates) are left out unless ``out_of_range``: `stridelink
        log list` shows them to remove."""
        sql, args = "SELECT * FROM logs WHERE 1=1", []
        if since is not None:
            sql += " AND day >= ?"
            args.append(since.isoformat())
        if before is not None:
            sql += " AND day < ?"
            args.append(before.isoformat())
        entries = []
        for r in self.db.execute(sql + " ORDER BY day, entry_id", args):
            try:
                day = date.fromisoformat(r["day"])
            except (TypeError, ValueError):
                day = None
            if day is None or day < EARLIEST_DAY:
                if not out_of_range:
                    continue
                day = day or EARLIEST_DAY.replace(year=1)
            entries.append(LogEntry(r["entry_id"], day, r["kind"], r["side"], r["value"], r["note"], r["source"]))
        return entries

    def remove_log(self, entry_id: int) -> LogEntry:
        """Delete one log entry; UnknownRunError-like LookupError when there is none with that id."""
        matches = [e for e in self.logs(out_of_range=True) if e.entry_id == entry_id]
        if not matches:
            raise UnknownLogEntryError(f"no log entry {entry_id}; `stridelink log list` shows their ids")
        with self.transaction() as db:
            db.execute("DELETE FROM logs WHERE entry_id = ?", (entry_id,))
        return matches[0]

    # Plans and exporter memory

    def stored_plan(self, week: str) -> tuple[str, dict[str, Any]] | None:
        row = self.db.execute("SELECT digest, plan FROM plans WHERE week = ?", (week,)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def store_plan(self, plan: Plan, digest: str) -> bool:
        """Keep the plan of a week; returns True when it differs from the one stored before."""
        with self.transaction() as db:
            before = db.execute("SELECT digest FROM plans WHERE week = ?", (plan.week,)).fetchone()
            if before is not None and before[0] == digest:
                return False
            db.execute(
                "INSERT OR REPLACE INTO plans VALUES (?, ?, ?, ?, ?, ?)",
                (plan.week, plan.stage.number, plan.stage.name, digest, json.dumps(plan.to_dict()), _utc_now()),
            )
        return True

    # The stage walk: the state entering each walked week (see stridelink.plan.planner.WalkState)

    def walk_state(self, monday: date, fingerprint: str) -> dict[str, Any] | None:
        """The latest stored state entering a week that starts on or before ``monday``, made with the same
        settings, rules and programme (``fingerprint``); None when there is none."""
        row = self.db.execute(
            "SELECT state FROM plan_walk WHERE monday <= ? AND fingerprint = ? ORDER BY monday DESC LIMIT 1",
            (monday.isoformat(), fingerprint),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def save_walk_states(self, states: Sequence[tuple[date, dict[str, Any]]], fingerprint: str) -> None:
        if not states:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO plan_walk VALUES (?, ?, ?)",
                [(monday.isoformat(), fingerprint, json.dumps(state)) for monday, state in states],
            )

    def first_activity(self) -> tuple[datetime | None, date | None]:
        """The start of the first run and the day of the first log entry (None when there is none)."""
        run = self.db.execute("SELECT min(start_utc) FROM runs").fetchone()[0]
        log = self.db.execute(f"SELECT min(day) FROM logs WHERE day >= ? AND {_A_DAY}",
                              (EARLIEST_DAY.isoformat(),)).fetchone()[0]
        return (datetime.fromisoformat(run) if run else None, _day_or_none(log))

    def last_activity_before(self, start_utc: datetime, day: date) -> tuple[datetime | None, date | None]:
        """The start of the last run before ``start_utc`` and the last ankle session logged before ``day``."""
        run = self.db.execute(
            "SELECT max(start_utc) FROM runs WHERE start_utc < ?", (start_utc.astimezone(UTC).isoformat(),)
        ).fetchone()[0]
        log = self.db.execute(
            f"SELECT max(day) FROM logs WHERE kind = 'session' AND day < ? AND day >= ? AND {_A_DAY}",
            (day.isoformat(), EARLIEST_DAY.isoformat()),
        ).fetchone()[0]
        return (datetime.fromisoformat(run) if run else None, _day_or_none(log))

    def stage_history(self) -> list[tuple[str, int, str]]:
        return [tuple(r) for r in self.db.execute("SELECT week, stage_number, stage_name FROM plans ORDER BY week")]

    def memory(self, exporter: str) -> dict[str, str]:
        rows = self.db.execute("SELECT key, value FROM exporter_memory WHERE exporter = ?", (exporter,))
        return {row[0]: row[1] for row in rows}

    def save_memory(self, exporter: str, memory: dict[str, str]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM exporter_memory WHERE exporter = ?", (exporter,))
            db.executemany(
                "INSERT INTO exporter_memory VALUES (?, ?, ?)", [(exporter, k, v) for k, v in memory.items()]
            )


def _codec() -> Any:
    """The sample codec (numpy; pandas only for samples handed out as a DataFrame), loaded where needed."""
    from stridelink.store import codec

    return codec
