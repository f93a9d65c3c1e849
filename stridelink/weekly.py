"""Keeping the plan current: build a week's plan from the library, re-plan what new data changes, export.

The plan of ISO week W depends only on runs and log entries from before W's Monday 00:00 local time, so it is
recomputed from the library whenever asked and stored with a digest; a stored plan that changes is announced
through the ``week_planned`` hook, and the exports named in the settings run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from stridelink.models import ExportContext, LogEntry, Plan, Run
from stridelink.plan.planner import iso_week, plan_week, plan_weeks, week_start
from stridelink.plugins import get_exporter, get_rules, pm
from stridelink.settings import Settings, load_settings
from stridelink.store.library import Library


def current_week(settings: Settings, today: date | None = None) -> str:
    return iso_week(today or datetime.now(settings.tz).date())


def shift_week(week: str, weeks: int) -> str:
    return iso_week(week_start(week) + timedelta(weeks=weeks))


def _richness(run: Run) -> tuple[int, int]:
    """Prefer the recording that carries running dynamics, then the watch's own file over an export."""
    dynamics = run.signals is not None and run.signals.gct_ms is not None
    return (int(dynamics), int(run.source == "fit"))


def distinct_runs(runs: Sequence[Run]) -> list[Run]:
    """One run per activity: the same run imported twice (the watch's FIT and an app's GPX of it) counts once.

    Two runs are the same activity when their time spans overlap by more than half of the shorter one.
    """
    kept: list[Run] = []
    for run in sorted(runs, key=lambda r: r.start_utc):
        start = run.start_utc.timestamp()
        end = start + (run.duration_s or 0.0)
        twin = None
        for i in range(len(kept) - 1, -1, -1):
            other_start = kept[i].start_utc.timestamp()
            other_end = other_start + (kept[i].duration_s or 0.0)
            if other_end < start - 86400:  # sorted by start: nothing earlier can overlap
                break
            overlap = min(end, other_end) - max(start, other_start)
            shorter = min(end - start, other_end - other_start)
            if shorter > 0 and overlap > 0.5 * shorter:
                twin = i
                break
        if twin is None:
            kept.append(run)
        elif _richness(run) > _richness(kept[twin]):
            kept[twin] = run
    return sorted(kept, key=lambda r: (r.start_utc, r.run_id))


def _inputs(library: Library, week: str, settings: Settings) -> tuple[list[Run], list[LogEntry]]:
    """Everything the library held before ``week``'s Monday, local time; each activity once."""
    monday = week_start(week)
    cutoff = datetime.combine(monday, time(0), settings.tz)
    return distinct_runs(library.runs(end_utc=cutoff)), library.logs(before=monday)


def _keep(library: Library, plan: Plan) -> bool:
    """Store the plan; announce it and return True when it differs from the stored one."""
    digest = hashlib.sha256(json.dumps(plan.to_dict(), sort_keys=True).encode()).hexdigest()
    changed = library.store_plan(plan, digest)
    if changed:
        pm.hook.week_planned(plan=plan)
    return changed


def plan_for(library: Library, week: str | None = None, settings: Settings | None = None) -> Plan:
    """The plan of ``week`` (default: this week) from everything the library held before its Monday."""
    settings = settings or load_settings(library.home)
    week = week or current_week(settings)
    plan = plan_week(week, *_inputs(library, week, settings), settings, get_rules())
    _keep(library, plan)
    return plan


def after_import(library: Library, new_run_ids: Sequence[str], *, logged: bool = False) -> list[str]:
    """Re-plan the weeks new runs (or sessions logged from files) change and run the configured exports.

    Those are the weeks after the earliest new run, among the weeks already planned, plus this week and next;
    they are planned in one walk of the history. Returns the weeks whose plan changed.
    """
    if not new_run_ids and not logged:
        return []
    settings = load_settings(library.home)
    this_week = current_week(settings)
    candidates = {this_week, shift_week(this_week, 1)}
    if new_run_ids:
        earliest = min(library.get_run(run_id).start_utc for run_id in new_run_ids)
        first_affected = shift_week(iso_week(earliest.astimezone(settings.tz).date()), 1)
        candidates = {w for w in candidates if w >= first_affected}
        candidates |= {week for week, *_ in library.stage_history() if week >= first_affected}
    if not candidates:
        return []
    weeks = sorted(candidates, key=week_start)
    plans = plan_weeks(weeks, *_inputs(library, weeks[-1], settings), settings, get_rules())
    changed = [plan.week for plan in plans if _keep(library, plan)]
    if changed:
        run_auto_exports(library, settings)
    return changed


def export_plans(library: Library, format_name: str, weeks: Sequence[str], settings: Settings | None = None) -> bytes:
    """Plans of ``weeks`` written by the exporter ``format_name``; its memory persists in the library."""
    settings = settings or load_settings(library.home)
    exporter = get_exporter(format_name)
    plans = [plan_for(library, week, settings) for week in weeks]
    context = ExportContext(settings=settings, memory=library.memory(exporter.name))
    data = exporter.write(plans, context)
    library.save_memory(exporter.name, context.memory)
    return data


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step, so a calendar app never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def run_auto_exports(library: Library, settings: Settings) -> list[Path]:
    """The exports the settings name, for this week and the following ones."""
    written = []
    this_week = current_week(settings)
    for auto in settings.exports:
        weeks = [shift_week(this_week, i) for i in range(max(auto.weeks, 1))]
        write_atomically(auto.path, export_plans(library, auto.format, weeks, settings))
        written.append(auto.path)
    return written
