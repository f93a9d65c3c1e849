"""The command line: a thin layer over the library.

    stridelink import ~/GARMIN/Activity      # after a run: read the watch's files
    stridelink plan                          # this week's ankle programme, and why
    stridelink export ics -o ankle.ics       # into your calendar
"""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from stridelink import __version__, paths
from stridelink.errors import StridelinkError
from stridelink.plugins import describe_plugins, get_readers, load_plugins, pm
from stridelink.store.library import Library

F = TypeVar("F", bound=Callable[..., Any])


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)  # type: ignore[return-value]


def friendly_errors(fn: F) -> F:
    """Library errors become one-line messages with exit status 1, never tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StridelinkError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="stridelink")
def cli() -> None:
    """Turn the runs your watch records into a weekly ankle mobility and strength plan.

    \b
    After a run:      stridelink import /media/GARMIN/GARMIN/Activity
    Every week:       stridelink plan
    In your calendar: stridelink export ics -o ~/ankle-plan.ics
    Try it first:     stridelink demo

    Everything is kept in one library folder (`stridelink path`; set STRIDELINK_HOME to move it).
    """


@cli.command(name="import")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, path_type=str))
@json_option
@click.option("--device", is_flag=True, help="Also import from the activity folders of mounted watches.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for reading files.")
@friendly_errors
def import_cmd(inputs: tuple[str, ...], as_json: bool, workers: int | None, device: bool) -> None:
    """Import activity files, folders (searched recursively) and .zip archives.

    Files already imported are reported as duplicates and change nothing. Files that are not a foot activity
    (rides, swims, settings) are skipped; unreadable files are rejected without stopping the others.
    Exit status 1 when any file was rejected.

    \b
    Examples:
      stridelink import run.fit
      stridelink import ~/Downloads/export.zip --json
      stridelink import --device        # a watch plugged in over USB
    """
    from stridelink.importer import ImportResult, find_sources, import_sources
    from stridelink.weekly import after_import

    if device:
        from stridelink.watch import find_device_folders

        found = find_device_folders()
        if not found:
            raise click.ClickException(
                "no mounted watch found (Garmin, Coros, Suunto USB volumes); watches that only speak MTP need "
                "their files copied off first (see the README)"
            )
        inputs = (*inputs, *map(str, found))
    if not inputs:
        raise click.UsageError("name files or folders to import, or use --device")
    with Library.open() as library:
        sources = list(find_sources(inputs, set(get_readers())))
        counts: Counter[str] = Counter()
        show_bar = not as_json and len(sources) > 5 and sys.stderr.isatty()

        def report(result: ImportResult) -> None:
            counts[result.status] += 1
            if as_json:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            elif result.status in ("skipped", "rejected"):
                line = f"{result.status}: {result.path}: {result.error}"
                click.echo(line, err=result.status == "rejected")
            elif not show_bar:
                click.echo(f"{result.status}: {result.path} ({', '.join(result.run_ids)})")

        if show_bar:
            with click.progressbar(length=len(sources), label="Importing", file=sys.stderr) as bar:

                def step(result: ImportResult) -> None:
                    bar.update(1)
                    report(result)

                results = import_sources(library, sources, workers=workers, on_result=step)
        else:
            results = import_sources(library, sources, workers=workers, on_result=report)
        new_runs = [run_id for r in results if r.status == "imported" for run_id in r.run_ids]
        changed = after_import(library, new_runs, logged=any(r.logged_session for r in results))
    if not as_json:
        summary = ", ".join(f"{counts[s]} {s}" for s in ("imported", "duplicate", "skipped", "rejected"))
        click.echo(summary + (f"; plan updated for {', '.join(changed)}" if changed else ""), err=True)
    if counts["rejected"]:
        sys.exit(1)


@cli.command()
@json_option
@friendly_errors
def runs(as_json: bool) -> None:
    """List the runs in the library, oldest first."""
    with Library.open() as library:
        rows = [run.to_dict() for run in library.runs()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No runs yet: `stridelink import PATH` reads your watch's files.")
        return
    for row in rows:
        km = f"{row['distance_m'] / 1000:.2f} km" if row["distance_m"] else "-"
        minutes = f"{row['duration_s'] / 60:.0f} min" if row["duration_s"] else "-"
        sport = row["sport"] + (f"/{row['sub_sport']}" if row["sub_sport"] not in (None, "generic") else "")
        click.echo(f"{row['run_id']:<14} {row['start_utc'][:16]:<16}  {sport:<16} {km:>9} {minutes:>8}  {row['file_name']}")


@cli.command()
@click.argument("run_id")
@json_option
@friendly_errors
def show(run_id: str, as_json: bool) -> None:
    """Show one run and the signals read from it."""
    with Library.open() as library:
        data = library.get_run(run_id).to_dict(with_signals=True)
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if key != "signals":
            click.echo(f"{key:<24} {value}")
    click.echo("signals:")
    for key, value in data["signals"].items():
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value
        click.echo(f"  {key:<22} {'-' if value is None else shown}")


@cli.command()
def path() -> None:
    """Print the library folder (database, archived originals, settings)."""
    click.echo(str(paths.library_path()))


@cli.command()
@json_option
def plugins(as_json: bool) -> None:
    """List the loaded plugins and the hooks each implements."""
    rows = describe_plugins()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        origin = "built-in" if row["builtin"] else f"version {row['version']}"
        click.echo(f"{row['name']:<12} {', '.join(row['hooks'])}  ({origin}, {row['module']})")


WEEK = click.option(
    "--week", metavar="YYYY-Www", callback=lambda _c, _p, v: _check_week(v), help="ISO week (default: this week)."
)


def _check_week(value: str | None) -> str | None:
    if value is None:
        return None
    from stridelink.plan.planner import week_start

    try:
        week_start(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO week such as 2026-W49") from None
    return value


def _echo_plan(plan: Any) -> None:
    from datetime import timedelta

    from stridelink.plan.planner import week_start

    monday = week_start(plan.week)
    sunday = monday + timedelta(days=6)
    click.secho(
        f"Week {plan.week} ({monday:%a %d %b} to {sunday:%a %d %b}): stage {plan.stage.number}, {plan.stage.name}",
        bold=True,
    )
    if plan.adjustments:
        click.echo("\nThis week's adjustments")
        for adj in plan.adjustments:
            click.echo(f"  [{adj.kind}] {adj.summary}")
            click.echo(f"      why: {adj.reason}")
            if adj.run_ids:
                click.echo(f"      runs: {', '.join(adj.run_ids)}")
    else:
        click.echo("\nNo adjustments this week: the programme continues as planned.")
    click.echo("\nSessions")
    for session in plan.sessions:
        click.echo(f"  {session.date:%a %d %b}  {session.title} ({session.duration_min} min; {', '.join(session.focus)})")
        for exercise in session.exercises:
            click.echo(f"      - {exercise.name}: {exercise.dose}")
        if session.why:
            click.echo(f"      why: {session.why}")
    if plan.notes:
        click.echo("\nNotes")
        for note in plan.notes:
            click.echo(f"  - {note}")


@cli.command()
@WEEK
@json_option
@friendly_errors
def plan(week: str | None, as_json: bool) -> None:
    """Show the ankle programme of a week, day by day, and why it is adjusted.

    The plan for week W is built from every run that started before W's Monday (local time) and what you
    logged. Example: stridelink plan --week 2026-W49 --json
    """
    from stridelink.weekly import plan_for

    with Library.open() as library:
        the_plan = plan_for(library, week)
    if as_json:
        echo_json(the_plan.to_dict())
    else:
        _echo_plan(the_plan)


@cli.command()
@click.argument("format_name", metavar="FORMAT")
@WEEK
@click.option("--weeks", type=click.IntRange(1, 52), default=1, show_default=True, help="How many weeks from --week.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@friendly_errors
def export(format_name: str, week: str | None, weeks: int, output: Path | None) -> None:
    """Write the plan through an exporter: ics, csv, json, markdown or a plugin's format.

    Exporting the same week again keeps calendar UIDs, so calendar apps update events instead of duplicating them.

    \b
    Examples:
      stridelink export ics -o ~/Sync/ankle-plan.ics --weeks 2
      stridelink export markdown
    """
    from stridelink.settings import load_settings
    from stridelink.weekly import current_week, export_plans, shift_week, write_atomically

    with Library.open() as library:
        settings = load_settings(library.home)
        first = week or current_week(settings)
        data = export_plans(library, format_name, [shift_week(first, i) for i in range(weeks)], settings)
    if output is None:
        stdout = sys.stdout.buffer
        if stdout.isatty() and b"\0" in data:
            raise click.UsageError(f"{format_name} writes a binary file: add -o FILE")
        stdout.write(data)
        stdout.flush()
    else:
        write_atomically(output, data)
        click.echo(f"wrote {output}", err=True)


@cli.group()
def log() -> None:
    """Log pain or soreness, a knee-to-wall test, or an ankle session done.

    \b
    Examples:
      stridelink log pain 4 --side left        # pain means back off: the plan regresses
      stridelink log knee-to-wall --left 11.5 --right 9
      stridelink log session --minutes 20
      stridelink log list
    """


DAY = click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The day (default: today).")
SIDE = click.option("--side", type=click.Choice(["left", "right", "both"]), default="both", show_default=True)


def _log(kind: str, day: Any, **values: Any) -> None:
    from datetime import datetime as _dt

    from stridelink.settings import load_settings

    with Library.open() as library:
        when = day.date() if day else _dt.now(load_settings(library.home).tz).date()
        entry = library.add_log(when, kind, **values)
        from stridelink.weekly import after_import

        after_import(library, [], logged=True)
    assert entry is not None
    click.echo(f"logged {kind} on {entry.day.isoformat()} (entry {entry.entry_id})")


@log.command()
@click.argument("level", type=click.IntRange(0, 10))
@SIDE
@DAY
@click.option("--note", default="", help="Anything worth remembering.")
@friendly_errors
def pain(level: int, side: str, day: Any, note: str) -> None:
    """Log ankle pain, 0-10. From 3 the plan drops to foundations without hops; if pain persists, stop and
    seek advice from a qualified professional."""
    _log("pain", day, side=side, value=float(level), note=note)


@log.command()
@click.argument("level", type=click.IntRange(0, 10))
@SIDE
@DAY
@click.option("--note", default="")
@friendly_errors
def soreness(level: int, side: str, day: Any, note: str) -> None:
    """Log calf or ankle soreness, 0-10."""
    _log("soreness", day, side=side, value=float(level), note=note)


@log.command(name="knee-to-wall")
@click.option("--left", type=click.FloatRange(0, 30), help="Left foot: toe-to-wall distance in cm.")
@click.option("--right", type=click.FloatRange(0, 30), help="Right foot: toe-to-wall distance in cm.")
@DAY
@friendly_errors
def knee_to_wall(left: float | None, right: float | None, day: Any) -> None:
    """Log a knee-to-wall dorsiflexion test: the farthest toe-to-wall distance (cm) with the knee touching."""
    if left is None and right is None:
        raise click.UsageError("give --left and/or --right in cm")
    for side, value in (("left", left), ("right", right)):
        if value is not None:
            _log("knee_to_wall", day, side=side, value=value)


@log.command()
@click.option("--minutes", type=click.IntRange(1, 240), default=20, show_default=True)
@DAY
@click.option("--note", default="")
@friendly_errors
def session(minutes: int, day: Any, note: str) -> None:
    """Log an ankle session done (watch strength and mobility activities count by themselves)."""
    _log("session", day, value=float(minutes), note=note)


@log.command(name="list")
@json_option
@friendly_errors
def list_logs(as_json: bool) -> None:
    """List what was logged."""
    with Library.open() as library:
        entries = library.logs()
    rows = [
        {"entry_id": e.entry_id, "day": e.day.isoformat(), "kind": e.kind, "side": e.side, "value": e.value,
         "note": e.note, "source": e.source}
        for e in entries
    ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        side = f" ({row['side']})" if row["side"] else ""
        click.echo(f"{row['day']}  {row['kind']}{side}: {row['value']}  {row['note']}")


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Every run, not only those with outdated signals.")
@friendly_errors
def reanalyze(everything: bool) -> None:
    """Recompute runs from the archived original files (after an upgrade improved the methods)."""
    from stridelink.importer import reanalyze as run_reanalysis

    with Library.open() as library:
        count, problems = run_reanalysis(library, everything=everything)
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"re-analysed {count} file(s)", err=True)
    if problems:
        sys.exit(1)


@cli.command()
@json_option
@friendly_errors
def settings(as_json: bool) -> None:
    """Show the settings in effect and where the settings file lives (edit it to change them)."""
    from stridelink.settings import WEEKDAYS, load_settings

    file = paths.settings_path()
    current = load_settings()
    data = {
        "file": str(file),
        "exists": file.exists(),
        "timezone": current.timezone,
        "ankle_days": [WEEKDAYS[d] for d in current.ankle_days],
        "flow_day": WEEKDAYS[current.flow_day],
        "preferred_time": current.preferred_time.strftime("%H:%M") if current.preferred_time else None,
        "session_reminder_min": current.session_reminder_min,
        "exports": [{"format": e.format, "path": str(e.path), "weeks": e.weeks} for e in current.exports],
    }
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key:<22} {value}")


@cli.command()
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Import what is there now and exit (for cron and schedulers).")
@click.option("--settle", type=click.FloatRange(0.1, 600), default=2.0, show_default=True,
              help="Seconds a file must stay unchanged before it is imported.")
@json_option
@friendly_errors
def watch(folders: tuple[Path, ...], once: bool, settle: float, as_json: bool) -> None:
    """Watch folders and import new activity files as they arrive; re-plan and export by itself.

    Without FOLDERS, watches the activity folders of mounted watches (GARMIN/Activity and the like).

    \b
    Examples:
      stridelink watch ~/Sync/watch-exports
      stridelink watch --once          # from cron: import whatever a mounted watch holds
    """
    from stridelink.importer import ImportResult
    from stridelink.watch import find_device_folders, import_settled, watch_folders

    targets = list(folders) or find_device_folders()
    if not targets:
        raise click.ClickException("no folder given and no mounted watch found; name a folder to watch")

    def report(results: list[ImportResult], changed: list[str]) -> None:
        for result in results:
            if as_json:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            else:
                detail = result.error or ", ".join(result.run_ids)
                click.echo(f"{result.status}: {result.path} ({detail})")
        if changed and not as_json:
            click.echo(f"plan updated for {', '.join(changed)}")

    with Library.open() as library:
        if once:
            from stridelink.watch import candidates

            files = candidates(targets, set(get_readers()))
            results, changed = import_settled(library, files)
            report(results, changed)
            if any(r.status == "rejected" for r in results):
                sys.exit(1)
            return
        click.echo(f"watching {', '.join(map(str, targets))} (Ctrl-C to stop)", err=True)
        try:
            watch_folders(library, targets, settle_s=settle, on_batch=report)
        except KeyboardInterrupt:
            pass


def _add_commands() -> None:
    from stridelink.demo.run import demo
    from stridelink.store.integrity import doctor
    from stridelink.report.page import report as report_command

    cli.add_command(demo)
    cli.add_command(doctor)
    cli.add_command(report_command)


_add_commands()
load_plugins()
pm.hook.register_commands(cli=cli)
