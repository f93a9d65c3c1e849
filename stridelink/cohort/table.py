"""The cohort table: one Parquet file per athlete, hive-partitioned (``DIR/athlete_id=<id>/part-0.parquet``).

Rows of every kind share one schema, told apart by ``kind``:

- ``run``: one per run, with the run fields and each signal of ``stridelink show`` as its own column;
- ``skipped`` / ``rejected``: one per file that gave no run, with its ``reason``;
- ``week``: one per athlete-week of the plan (stage, adjustment kinds, session minutes).

A partition file is replaced in one step (written beside it under a name readers ignore, then renamed), so a
reader or an interrupted build only ever sees a partition whole. The ``sha256`` column is the manifest: files
whose bytes are in it are not read again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from stridelink.models import LogEntry, Plan, Run, Signals

PARTITION_KEY = "athlete_id"
PART_FILE = "part-0.parquet"
KINDS = ("run", "skipped", "rejected", "week")

_RUN_FIELDS: list[tuple[str, pa.DataType]] = [
    ("run_id", pa.string()),
    ("start_utc", pa.timestamp("us", tz="UTC")),
    ("sport", pa.string()),
    ("sub_sport", pa.string()),
    ("distance_m", pa.float64()),
    ("duration_s", pa.float64()),
    ("source", pa.string()),
    ("file_name", pa.string()),
    ("device", pa.string()),
    ("manufacturer", pa.string()),
    ("product", pa.string()),
    ("title", pa.string()),
    ("external_id", pa.string()),
    ("leg", pa.int32()),
]
_ARROW_OF = {"int": pa.int32(), "float | None": pa.float64(), "str": pa.string(), "bool | None": pa.bool_(),
             "str | None": pa.string(), "int | None": pa.int32(), "float": pa.float64(), "bool": pa.bool_()}
_RUN_NAMES = {name for name, _ in _RUN_FIELDS}
SIGNAL_COLUMNS = [f.name for f in dataclasses.fields(Signals) if f.name not in _RUN_NAMES]

SCHEMA = pa.schema(
    [("kind", pa.string()), ("path", pa.string()), ("sha256", pa.string()), *_RUN_FIELDS]
    + [(f.name, _ARROW_OF[str(f.type)]) for f in dataclasses.fields(Signals) if f.name not in _RUN_NAMES]
    + [
        ("reason", pa.string()),
        # a strength or mobility activity in the files: logged as an ankle session done, as import does
        ("logged_session_start_utc", pa.timestamp("us", tz="UTC")),
        ("logged_session_min", pa.float64()),
        ("logged_session_label", pa.string()),
        # week rows
        ("week", pa.string()),
        ("week_start", pa.date32()),
        ("stage", pa.int32()),
        ("stage_name", pa.string()),
        ("adjustment_kinds", pa.list_(pa.string())),
        ("sessions", pa.int32()),
        ("session_minutes", pa.int32()),
    ]
)


# ----------------------------------------------------------------------------------------------- rows


def run_row(path: str, run: Run) -> dict[str, Any]:
    """A run as ``show`` gives it, flattened: run fields, then each signal under its own name."""
    shown = run.to_dict(with_signals=True)
    row: dict[str, Any] = {"kind": "run", "path": path, "sha256": run.sha256, "leg": run.leg}
    row.update({k: v for k, v in shown.items() if k != "signals"})
    row["start_utc"] = run.start_utc
    row["manufacturer"], row["product"] = run.manufacturer, run.product
    for name in SIGNAL_COLUMNS:
        row[name] = shown["signals"].get(name)
    return row


def file_row(kind: str, path: str, sha256: str | None, reason: str | None) -> dict[str, Any]:
    return {"kind": kind, "path": path, "sha256": sha256, "reason": reason}


def run_of(row: dict[str, Any]) -> Run:
    """The run a ``run`` row was made from (for planning on what earlier builds stored)."""
    signals = None
    if row.get("method_version") is not None:
        values = {name: row.get(name) for name in SIGNAL_COLUMNS}
        values["distance_m"], values["duration_s"] = row["distance_m"], row["duration_s"]
        signals = Signals.from_dict(values)
    return Run(
        run_id=row["run_id"],
        sha256=row["sha256"],
        leg=row["leg"],
        start_utc=row["start_utc"].astimezone(UTC),
        sport=row["sport"],
        sub_sport=row["sub_sport"],
        distance_m=row["distance_m"],
        duration_s=row["duration_s"],
        source=row["source"],
        file_name=row["file_name"],
        manufacturer=row["manufacturer"],
        product=row["product"],
        signals=signals,
        title=row.get("title"),
        external_id=row.get("external_id"),
    )


def logs_of(rows: Iterable[dict[str, Any]], tz: Any) -> list[LogEntry]:
    """The ankle sessions the files logged, as the library records them on import."""
    entries = []
    for row in rows:
        start = row.get("logged_session_start_utc")
        if row["kind"] == "skipped" and start is not None:
            day = start.astimezone(tz).date()
            entries.append(LogEntry(len(entries) + 1, day, "session", None, row["logged_session_min"],
                                    row["logged_session_label"] or "", row["sha256"]))
    return entries


def week_row(plan: Plan) -> dict[str, Any]:
    from stridelink.weeks import week_start

    return {
        "kind": "week",
        "week": plan.week,
        "week_start": week_start(plan.week),
        "stage": plan.stage.number,
        "stage_name": plan.stage.name,
        "adjustment_kinds": [a.kind for a in plan.adjustments],
        "sessions": len(plan.sessions),
        "session_minutes": sum(s.duration_min for s in plan.sessions),
    }


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    kind = KINDS.index(row["kind"])
    if row["kind"] == "run":
        return (kind, row["start_utc"], row["run_id"])
    if row["kind"] == "week":
        return (kind, row["week_start"], "")
    return (kind, datetime.min.replace(tzinfo=UTC), row["path"] or "")


# ----------------------------------------------------------------------------------------------- partitions


def open_dir(out: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = fsspec.core.url_to_fs(out)
    return fs, root.rstrip("/")


def partition_dir(root: str, athlete_id: str) -> str:
    return f"{root}/{PARTITION_KEY}={quote(athlete_id, safe='')}"


def read_partition(fs: fsspec.AbstractFileSystem, root: str, athlete_id: str,
                   columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The athlete's rows from earlier builds (none when the athlete is new)."""
    path = f"{partition_dir(root, athlete_id)}/{PART_FILE}"
    if not fs.exists(path):
        return []
    with fs.open(path, "rb") as fh:
        return pq.read_table(fh, columns=list(columns) if columns else None, schema=SCHEMA).to_pylist()


def known_keys(fs: fsspec.AbstractFileSystem, root: str, athlete_id: str) -> frozenset[str]:
    """What earlier builds read for this athlete: the hashes of its files, and the paths of files without bytes."""
    rows = read_partition(fs, root, athlete_id, ["kind", "path", "sha256"])
    return frozenset(
        row["sha256"] or f"path:{row['path']}" for row in rows if row["kind"] != "week"
    )


def write_partition(fs: fsspec.AbstractFileSystem, root: str, athlete_id: str, rows: list[dict[str, Any]]) -> None:
    """Replace the athlete's partition in one step: the old file or the new one, never part of either."""
    folder = partition_dir(root, athlete_id)
    fs.makedirs(folder, exist_ok=True)
    for stale in fs.glob(f"{folder}/.part-*.tmp"):  # left by an interrupted build
        fs.rm(stale)
    table = pa.Table.from_pylist(sorted(rows, key=_order), schema=SCHEMA)
    table = table.replace_schema_metadata({"stridelink": json.dumps({"written_utc": _now()})})
    final = f"{folder}/{PART_FILE}"
    temp = f"{folder}/.part-{uuid.uuid4().hex}.tmp"  # names starting with "." are ignored by readers
    if _is_local(fs):
        with open(temp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)
        _fsync_dir(folder)
    else:  # object stores: one PUT of the whole object is already all or nothing
        with fs.open(final, "wb") as fh:
            pq.write_table(table, fh)


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
