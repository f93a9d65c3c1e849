"""What stridelink does, step by step: the one sequence the command line, ``watch`` and plugins all use.

    ingest        files -> import -> re-plan the weeks they change -> the exports the settings name
    log_entry     a log entry -> re-plan -> exports
    plan_week     a week's plan, stored (and announced through ``week_planned`` when it changed)
    export_weeks  the plans of some weeks, written by an exporter
    report_page   the HTML report of the last weeks

The plan of ISO week W depends only on runs and log entries from before W's Monday 00:00 local time, so it is
recomputed from the library whenever asked and stored with a digest. Settings come from ``library.settings``,
read once per open library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from stridelink.errors import StridelinkError
from stridelink.models import ExportContext, LogEntry, Plan, Rule
from stridelink.plan.activities import distinct_runs
from stridelink.plan.planner import LOOKBACK_DAYS, WalkState
from stridelink.plan.planner import plan_weeks as build_plans
from stridelink.plan.programme import Programme, load_programme
from stridelink.plugins import get_exporter, get_readers, get_rules, load_plugins, pm
from stridelink.output import write_file
from stridelink.store.library import Library
from stridelink.text import safe
from stridelink.weeks import current_week, iso_week, monday_of, shift_week, week_start

if TYPE_CHECKING:  # the importer (hashing, archives, worker processes) loads with the first import, not for a plan
    from stridelink.importer import ImportResult, Source

DEFAULT_REPORT_WEEKS = 12

# ----------------------------------------------------------------------------------------------- ingest


@dataclass(frozen=True, slots=True)
class Ingested:
    """What an import did: one result per file found, and the weeks whose plan changed."""

    results: list[ImportResult]
    changed_weeks: list[str]

    @property
    def rejected(self) -> bool:
        return any(r.status == "rejected" for r in self.results)


def find_files(inputs: Iterable[str | Path]) -> list[Source | ImportResult]:
    """Files, folders (recursively) and zip archives expanded into what ``ingest`` imports, in a stable order;
    what cannot be imported is already an ImportResult (``rejected``)."""
    from stridelink.importer import find_sources

    return list(find_sources(inputs, set(get_readers())))


def ingest(
    library: Library,
    inputs: Iterable[str | Path | Source | ImportResult],
    *,
    workers: int | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
    on_export_error: Callable[[AutoExportError], None] | None = None,
) -> Ingested:
    """Import files (paths, or what ``find_files`` found), re-plan the weeks they change, run the exports.

    Bad files are reported in the results, never raised; ``on_result`` hears of each file as it is done.
    An automatic export that fails goes to ``on_export_error`` (raised without one; the import is saved).
    """
    from stridelink.importer import ImportResult, Source, import_sources

    sources: list[Source | ImportResult] = []
    for item in inputs:
        if isinstance(item, (Source, ImportResult)):
            sources.append(item)
        else:
            sources.extend(find_files([item]))
    results = import_sources(library, sources, workers=workers, on_result=on_result)
    new_runs = [run_id for r in results if r.status == "imported" for run_id in r.run_ids]
    changed = replan(
        library, new_runs, logged=any(r.logged_session for r in results), on_export_error=on_export_error
    )
    return Ingested(results, changed)


def log_entry(
    library: Library,
    kind: str,
    day: date | None = None,
    *,
    side: str | None = None,
    value: float | None = None,
    note: str = "",
    on_export_error: Callable[[AutoExportError], None] | None = None,
) -> tuple[LogEntry, list[str]]:
    """Record pain, soreness, a knee-to-wall test or a session (``day``: default today, local time), re-plan
    and run the exports. Returns the entry and the weeks whose plan changed.

    InvalidDateError for a day before 1990 or after tomorrow. An automatic export that fails goes to
    ``on_export_error`` (raised without one; the entry is saved either way, so retrying would log it twice)."""
    when = day or datetime.now(library.settings.tz).date()
    entry = library.add_log(when, kind, side=side, value=value, note=note)
    if entry is None:  # only entries read from files are ever recorded once; a manual one always is
        raise RuntimeError("the log entry was not recorded")
    return entry, replan(library, [], logged=True, since=entry.day, on_export_error=on_export_error)


def remove_log_entry(
    library: Library, entry_id: int, *, on_export_error: Callable[[AutoExportError], None] | None = None
) -> tuple[LogEntry, list[str]]:
    """Remove one log entry (UnknownLogEntryError when there is none), re-plan and run the exports.
    Returns the entry removed and the weeks whose plan changed."""
    entry = library.remove_log(entry_id)
    return entry, replan(library, [], logged=True, since=entry.day, on_export_error=on_export_error)


# ----------------------------------------------------------------------------------------------- plans


def _fingerprint(library: Library, programme: Programme, rules: Sequence[Rule]) -> str:
    """What a stored walk state depends on besides the runs and logs: settings, rules, programme."""
    text = repr((library.settings, [rule.name for rule in rules], programme.digest))
    return hashlib.sha256(text.encode()).hexdigest()


def _build(library: Library, weeks: Sequence[str]) -> list[Plan]:
    """The plans of ``weeks``, walked from the stored state entering the earliest one when there is one (then
    only the runs and logs the rules can read are loaded), else from the first run; the states walked are
    stored for next time."""
    settings, rules, programme = library.settings, get_rules(), load_programme()
    tz = settings.tz
    wanted = sorted(set(weeks), key=week_start)
    end = week_start(wanted[-1]) + timedelta(days=7)
    cutoff = datetime.combine(end, time(0), tz)
    fingerprint = _fingerprint(library, programme, rules)
    stored = library.walk_state(week_start(wanted[0]), fingerprint)
    start = WalkState.from_dict(stored) if stored else None
    first_day = activity_before = None
    if start is None:
        runs, logs = library.runs(end_utc=cutoff), library.logs(before=end)
    else:
        since = week_start(start.week) - timedelta(days=LOOKBACK_DAYS)
        since_utc = datetime.combine(since, time(0), tz)
        runs, logs = library.runs(start_utc=since_utc, end_utc=cutoff), library.logs(since=since, before=end)
        first_run, first_log = library.first_activity()
        last_run, last_session = library.last_activity_before(since_utc, since)
        firsts = [d for d in (first_run and first_run.astimezone(tz).date(), first_log) if d]
        lasts = [d for d in (last_run and last_run.astimezone(tz).date(), last_session) if d]
        first_day, activity_before = min(firsts, default=None), max(lasts, default=None)
    walked: list[WalkState] = []
    plans = build_plans(wanted, distinct_runs(runs), logs, settings, rules, programme, start=start,
                        first_day=first_day, activity_before=activity_before, states=walked)
    library.save_walk_states([(week_start(s.week), s.to_dict()) for s in walked], fingerprint)
    by_week = {plan.week: plan for plan in plans}
    return [by_week[week] for week in weeks]


def _keep(library: Library, plan: Plan) -> bool:
    """Store the plan; announce it and return True when it differs from the stored one."""
    digest = hashlib.sha256(json.dumps(plan.to_dict(), sort_keys=True).encode()).hexdigest()
    changed = library.store_plan(plan, digest)
    if changed:
        load_plugins("week_planned")
        pm.hook.week_planned(plan=plan)
    return changed


def this_week(library: Library) -> str:
    """The current ISO week in the athlete's time zone."""
    return current_week(library.settings.tz)


def plan_week(library: Library, week: str | None = None) -> Plan:
    """The plan of ``week`` (default: this week) from everything the library held before its Monday."""
    week = week or this_week(library)
    plan = _build(library, [week])[0]
    _keep(library, plan)
    return plan


def replan(
    library: Library,
    new_run_ids: Sequence[str],
    *,
    logged: bool = False,
    since: date | None = None,
    on_export_error: Callable[[AutoExportError], None] | None = None,
) -> list[str]:
    """Re-plan the weeks new runs (or new log entries) change and run the configured exports.

    Those are the week of the earliest new run or log entry (``since``) and the weeks after it, among the weeks
    already planned, plus this week and next; they are planned in one walk that starts from the stored state
    entering the earliest of them. Returns the weeks whose plan changed.

    What was imported or logged is saved before the exports run, so an export that fails does not undo it: the
    failure goes to ``on_export_error``, or is raised as AutoExportError (naming what was saved) without one.
    """
    if not new_run_ids and not logged:
        return []
    settings = library.settings
    now = this_week(library)
    candidates = {now, shift_week(now, 1)}
    days = [library.get_run(run_id).start_utc.astimezone(settings.tz).date() for run_id in new_run_ids]
    if since is not None:  # a log entry (pain and soreness count from their own day)
        days.append(since)
    if days:
        first_affected = iso_week(min(days))  # the rest of that week, too
        candidates = {w for w in candidates if w >= first_affected}
        candidates |= {week for week, *_ in library.stage_history() if week >= first_affected}
    if not candidates:
        return []
    weeks = sorted(candidates, key=week_start)
    plans = _build(library, weeks)
    changed = [plan.week for plan in plans if _keep(library, plan)]
    if changed:
        try:
            run_auto_exports(library)
        except AutoExportError as exc:
            exc.changed = changed
            if on_export_error is None:
                raise
            on_export_error(exc)
    return changed


# ----------------------------------------------------------------------------------------------- exports


def export_weeks(library: Library, format_name: str, weeks: Sequence[str]) -> bytes:
    """Plans of ``weeks`` written by the exporter ``format_name``; its memory persists in the library."""
    exporter = get_exporter(format_name)
    plans = _build(library, weeks) if weeks else []  # one walk for all the weeks, not one per week
    for plan in plans:
        _keep(library, plan)
    context = ExportContext(settings=library.settings, memory=library.memory(exporter.name))
    data = exporter.write(plans, context)
    library.save_memory(exporter.name, context.memory)
    return data


def weeks_from(first: str, count: int) -> list[str]:
    """``count`` consecutive ISO weeks starting with ``first``."""
    return [shift_week(first, i) for i in range(count)]


class AutoExportError(StridelinkError):
    """An automatic export (``[[export]]`` in settings.toml) failed; what triggered it was saved already."""

    def __init__(self, failures: list[tuple[Path, str]]) -> None:
        self.failures = failures
        self.changed: list[str] = []
        detail = "; ".join(f"{safe(path)}: {reason}" for path, reason in failures)
        super().__init__(
            f"saved, but the automatic export failed ({detail}); fix [[export]] in settings.toml, the next"
            " change exports again"
        )


def run_auto_exports(library: Library) -> list[Path]:
    """The exports the settings name, for this week and the following ones.

    Each is tried even when an earlier one fails; AutoExportError then names every failure.
    """
    written, failures = [], []
    now = this_week(library)
    for auto in library.settings.exports:
        try:
            write_file(auto.path, export_weeks(library, auto.format, weeks_from(now, max(auto.weeks, 1))))
        except StridelinkError as exc:
            failures.append((auto.path, str(exc).removeprefix(f"cannot write {safe(auto.path)}: ")))
            continue
        written.append(auto.path)
    if failures:
        raise AutoExportError(failures)
    return written


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file the user named: atomically over a regular file, through links, into devices and pipes,
    never creating folders (see ``stridelink.output``); OutputError in one line when it cannot."""
    write_file(path, data)


# ----------------------------------------------------------------------------------------------- report


def report_page(library: Library, weeks: int | None = None, *, today: date | None = None) -> str:
    """The HTML report of the ``weeks`` ISO weeks ending with the one holding ``today`` (default: today).

    Without ``weeks``: 12 weeks, ending with the latest run's week when no run is that recent (a library of
    older runs shows them, not empty charts).
    """
    tz = library.settings.tz
    today = today or datetime.now(tz).date()
    runs = distinct_runs(library.runs())  # a run imported as FIT and GPX counts once
    plan = plan_week(library, iso_week(monday_of(today)))
    from stridelink.report.page import latest_period_end, render_report  # numpy, pandas: the report only

    end = latest_period_end(runs, today=today, weeks=DEFAULT_REPORT_WEEKS, tz=tz) if weeks is None else None
    return render_report(
        runs, plan, weeks=weeks or DEFAULT_REPORT_WEEKS, today=today, tz=tz, logs=library.logs(), period_end=end
    )
