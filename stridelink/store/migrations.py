"""Schema changes, append-only: each migration runs once, in order, recorded in ``_migrations``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_create_library(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE files (
            sha256 TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            format TEXT NOT NULL,
            archive_name TEXT NOT NULL,
            imported_utc TEXT NOT NULL
        );
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL REFERENCES files(sha256) ON DELETE CASCADE,
            leg INTEGER NOT NULL,
            start_utc TEXT NOT NULL,
            sport TEXT NOT NULL,
            sub_sport TEXT,
            distance_m REAL,
            duration_s REAL,
            source TEXT NOT NULL,
            file_name TEXT NOT NULL,
            manufacturer TEXT,
            product TEXT,
            altitude_source TEXT,
            device_totals TEXT NOT NULL DEFAULT '{}',
            laps TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX runs_start ON runs(start_utc);
        CREATE TABLE samples (
            run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE signals (
            run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
            method_version INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        """
    )


@migration
def m002_create_logs(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE logs (
            entry_id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            side TEXT,
            value REAL,
            note TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'manual',
            created_utc TEXT NOT NULL
        );
        CREATE UNIQUE INDEX logs_from_files ON logs(source) WHERE source != 'manual';
        CREATE INDEX logs_day ON logs(day);
        """
    )


@migration
def m003_create_plans(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE plans (
            week TEXT PRIMARY KEY,
            stage_number INTEGER NOT NULL,
            stage_name TEXT NOT NULL,
            digest TEXT NOT NULL,
            plan TEXT NOT NULL,
            planned_utc TEXT NOT NULL
        );
        CREATE TABLE exporter_memory (
            exporter TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (exporter, key)
        );
        """
    )


@migration
def m004_index_runs_by_file(db: sqlite3.Connection) -> None:
    """Duplicate checks, re-analysis and deletes find a file's runs without reading every run."""
    db.execute("CREATE INDEX IF NOT EXISTS runs_by_file ON runs(sha256, leg)")


@migration
def m005_record_file_origins(db: sqlite3.Connection) -> None:
    """What a bulk export says about a file: the activity's name, type and id in the service it came from."""
    _script(
        db,
        """
        CREATE TABLE file_origins (
            sha256 TEXT PRIMARY KEY REFERENCES files(sha256) ON DELETE CASCADE,
            service TEXT NOT NULL,
            activity_id TEXT,
            title TEXT,
            activity_type TEXT
        )
        """,
    )


@migration
def m006_create_library_state(db: sqlite3.Connection) -> None:
    """Facts about the library itself, e.g. ``needs_rebuild`` when the database was recreated over an archive."""
    db.execute("CREATE TABLE library_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration
def m007_store_the_stage_walk(db: sqlite3.Connection) -> None:
    """Where the athlete stood entering each walked week (stage, breaks), so a plan starts from the week before
    instead of the first run. Any change to a run, its signals or a log entry forgets the weeks after it (two
    days of margin: the local day of a run can be the UTC day before)."""
    db.execute("CREATE TABLE plan_walk (monday TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL)")
    forget = "DELETE FROM plan_walk WHERE monday > {since}"
    run_day = "coalesce((SELECT date(start_utc, '-2 days') FROM runs WHERE run_id = {row}.run_id), '')"
    triggers = {
        "plan_walk_run_added": ("INSERT ON runs", "date(NEW.start_utc, '-2 days')"),
        "plan_walk_run_removed": ("DELETE ON runs", "date(OLD.start_utc, '-2 days')"),
        "plan_walk_run_changed": ("UPDATE ON runs", "date(min(OLD.start_utc, NEW.start_utc), '-2 days')"),
        "plan_walk_signals_added": ("INSERT ON signals", run_day.format(row="NEW")),
        "plan_walk_signals_changed": ("UPDATE ON signals", run_day.format(row="NEW")),
        "plan_walk_signals_removed": ("DELETE ON signals", run_day.format(row="OLD")),
        "plan_walk_log_added": ("INSERT ON logs", "date(NEW.day, '-2 days')"),
        "plan_walk_log_removed": ("DELETE ON logs", "date(OLD.day, '-2 days')"),
        "plan_walk_log_changed": ("UPDATE ON logs", "date(min(OLD.day, NEW.day), '-2 days')"),
    }
    for name, (event, since) in triggers.items():
        db.execute(f"CREATE TRIGGER {name} AFTER {event} BEGIN {forget.format(since=since)}; END")


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run statements one by one (``executescript`` would commit the open transaction)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database has not seen; returns their names.

    ``db`` must be in autocommit mode (``isolation_level=None``): each migration is its own transaction.
    """
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                db.execute("ROLLBACK")  # another process got there first
                continue
            fn(db)
            db.execute("INSERT INTO _migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", (name,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
