"""What the workers do: read and analyse a batch of files; merge an athlete's rows, plan and write its partition.

Each file goes through the importer's own functions (``load_source``, ``analyse``) and becomes the run the
library would hold (``run_record``), so the table says what ``import`` and ``show`` say of the same file.
Nothing here raises for a bad file: it becomes a ``rejected`` row with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stridelink.cohort import table
from stridelink.importer import ImportResult, Source, analyse, load_source
from stridelink.store.library import run_record

# One file's outcome: its path, its hash (None when its bytes could not be read) and its rows (None: the
# bytes were in the table already).
FileRows = tuple[str, str | None, list[dict[str, Any]] | None]


def analyse_files(sources: Sequence[Source | ImportResult], known: frozenset[str]) -> list[FileRows]:
    """Read, hash and analyse each file whose bytes are not ``known``; one entry per source, in order."""
    return [_file(source, known) for source in sources]


def _file(source: Source | ImportResult, known: frozenset[str]) -> FileRows:
    if isinstance(source, ImportResult):  # found but unreadable before reading (a damaged archive, ...)
        return _unread(source, known)
    data = load_source(source)
    if isinstance(data, ImportResult):
        return _unread(data, known)
    sha = hashlib.sha256(data).hexdigest()
    if sha in known:
        return source.path, sha, None
    try:
        return source.path, sha, _rows(source, sha, data)
    except Exception as exc:  # noqa: BLE001 - like a reader bug in import: one line, the batch goes on
        return source.path, sha, [table.file_row("rejected", source.path, sha,
                                                 f"could not analyse the file ({type(exc).__name__}: {str(exc)[:200]})")]


def _unread(result: ImportResult, known: frozenset[str]) -> FileRows:
    if f"path:{result.path}" in known:
        return result.path, None, None
    return result.path, None, [table.file_row(result.status, result.path, None, result.error)]


def _rows(source: Source, sha: str, data: bytes) -> list[dict[str, Any]]:
    analysis = analyse(data, source.name, source.origin)
    if analysis.status == "ok":
        name = Path(source.name).name
        return [
            table.run_row(source.path, run_record(sha, leg, name, activity, signals, source.origin))
            for leg, (activity, signals) in enumerate(analysis.activities)
        ]
    row = table.file_row(analysis.status, source.path, sha, analysis.reason)
    training = analysis.training
    if training is not None and training.start_utc is not None:
        row["logged_session_start_utc"] = training.start_utc
        row["logged_session_min"] = round(training.duration_s / 60.0, 1)
        row["logged_session_label"] = training.label
    return [row]


@dataclass(frozen=True)
class AthleteReport:
    """What one build did for one athlete."""

    athlete_id: str
    files: int = 0  # found this time
    added: int = 0  # files whose rows were added
    known: int = 0  # bytes in the table from an earlier build: not read again
    duplicate: int = 0  # the same bytes twice among this build's files
    runs: int = 0  # run rows added
    skipped: int = 0
    rejected: int = 0
    weeks: int = 0  # week rows written (the athlete's whole plan history)
    error: str | None = None  # the partition could not be written

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finish_athlete(out: str, athlete_id: str, files: Sequence[FileRows], timezone: str = "UTC") -> AthleteReport:
    """Add the athlete's new rows to what earlier builds stored, re-plan its weeks, write the partition."""
    fs, root = table.open_dir(out)
    existing = [row for row in table.read_partition(fs, root, athlete_id) if row["kind"] != "week"]
    stored = {row["sha256"] or f"path:{row['path']}" for row in existing}
    seen: set[str] = set()
    added: list[dict[str, Any]] = []
    counts = {"added": 0, "known": 0, "duplicate": 0}
    for path, sha, rows in files:
        key = sha or f"path:{path}"
        if rows is None or key in stored:  # stored by an earlier build (or by this task's first attempt)
            counts["known"] += 1
        elif key in seen:  # the same bytes twice among this build's files
            counts["duplicate"] += 1
        else:
            seen.add(key)
            added.extend(rows)
            counts["added"] += 1
    report = AthleteReport(
        athlete_id,
        files=len(files),
        runs=sum(r["kind"] == "run" for r in added),
        skipped=sum(r["kind"] == "skipped" for r in added),
        rejected=sum(r["kind"] == "rejected" for r in added),
        **counts,
    )
    if not added:
        return report
    rows = existing + added
    weeks = plan_rows(rows, timezone)
    table.write_partition(fs, root, athlete_id, rows + weeks)
    return AthleteReport(**{**report.to_dict(), "weeks": len(weeks)})


def plan_rows(rows: Sequence[dict[str, Any]], timezone: str = "UTC") -> list[dict[str, Any]]:
    """One row per week from the athlete's first run or logged session to the week after the last, each from
    the library's own planner over the same runs and logs."""
    from stridelink.plan.activities import distinct_runs
    from stridelink.plan.planner import plan_weeks
    from stridelink.plugins import get_rules
    from stridelink.settings import Settings
    from stridelink.weeks import iso_week, shift_week

    settings = Settings(timezone=timezone)
    runs = [table.run_of(row) for row in rows if row["kind"] == "run"]
    logs = table.logs_of(rows, settings.tz)
    days = [run.start_utc.astimezone(settings.tz).date() for run in runs] + [log.day for log in logs]
    if not days:
        return []
    first, last = iso_week(min(days)), shift_week(iso_week(max(days)), 1)
    weeks = [first]
    while weeks[-1] != last:
        weeks.append(shift_week(weeks[-1], 1))
    plans = plan_weeks(weeks, distinct_runs(runs), logs, settings, get_rules())
    return [table.week_row(plan) for plan in plans]
