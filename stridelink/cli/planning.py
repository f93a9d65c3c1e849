"""The plan: ``stridelink plan``, ``stridelink export`` and ``stridelink log ...``."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from stridelink import app, paths
from stridelink.cli.options import ExportWarnings, complete_formats, echo_json, json_option, week_option
from stridelink.errors import InvalidDateError
from stridelink.models import Plan
from stridelink.store.library import EARLIEST_DAY, Library, check_day
from stridelink.text import safe, words
from stridelink.weeks import week_start


def echo_plan(plan: Plan) -> None:
    """A week's plan as text: stage, adjustments and why, the sessions day by day, notes."""
    monday = week_start(plan.week)
    sunday = monday + timedelta(days=6)
    click.secho(
        f"Week {plan.week} ({monday:%a %d %b} to {sunday:%a %d %b}): stage {plan.stage.number}, {plan.stage.name}",
        bold=True,
    )
    if plan.adjustments:
        click.echo("\nThis week's adjustments")
        for adj in plan.adjustments:
            click.echo(f"  [{words(adj.kind)}] {adj.summary}")
            click.echo(f"      why: {adj.reason}")
            if adj.run_ids:
                click.echo(f"      runs: {', '.join(adj.run_ids)}")
    else:
        click.echo("\nNo adjustments this week: the programme continues as planned.")
    click.echo("\nSessions")
    for session in plan.sessions:
        focus = ", ".join(words(f) for f in session.focus)
        click.echo(f"  {session.date:%a %d %b}  {session.title} ({session.duration_min} min; {focus})")
        for exercise in session.exercises:
            click.echo(f"      - {exercise.name}: {exercise.dose}")
        if session.why:
            click.echo(f"      why: {session.why}")
    if plan.adjustments:
        click.echo("\nWhat changed")
        for adj in plan.adjustments:
            for change in adj.changes:
                before, after = change.before or "(not in the session)", change.after or "(left out)"
                click.echo(f"  {change.date:%a %d %b}  [{words(adj.kind)}] {change.exercise}: {before} -> {after}")
    if plan.notes:
        click.echo("\nNotes")
        for note in plan.notes:
            click.echo(f"  - {note}")
    if plan.not_checked:
        click.echo("\nNot checked")
        for item in plan.not_checked:
            click.echo(f"  - {words(item.rule)}: {item.why}")


@click.command()
@week_option()
@json_option
def plan(week: str | None, as_json: bool) -> None:
    """Show the ankle programme of a week, day by day, and why it is adjusted.

    Each day is built from every run that started before that day (local time) and what you logged before it;
    pain and soreness count from the day you log them. Example: stridelink plan --week 2026-W49 --json
    """
    with Library.open() as library:
        the_plan = app.plan_week(library, week)
    if as_json:
        echo_json(the_plan.to_dict())
    else:
        echo_plan(the_plan)


@click.command()
@click.argument("format_name", metavar="FORMAT", shell_complete=complete_formats)
@week_option()
@click.option("--weeks", type=click.IntRange(1, 52), default=1, show_default=True, help="How many weeks from --week.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def export(format_name: str, week: str | None, weeks: int, output: Path | None) -> None:
    """Write the plan through an exporter: ics, csv, json, markdown or a plugin's format.

    Exporting the same week again keeps calendar UIDs, so calendar apps update events instead of duplicating them.

    \b
    Examples:
      stridelink export ics -o ~/Sync/ankle-plan.ics --weeks 2
      stridelink export markdown
    """
    with Library.open() as library:
        first = week or app.this_week(library)
        data = app.export_weeks(library, format_name, app.weeks_from(first, weeks))
    if output is None:
        stdout = sys.stdout.buffer
        if stdout.isatty() and b"\0" in data:
            raise click.UsageError(f"{format_name} writes a binary file: add -o FILE")
        stdout.write(data)
        stdout.flush()
    else:
        app.write_atomically(output, data)
        click.echo(f"wrote {safe(output)}", err=True)


@click.group()
def log() -> None:
    """Log pain or soreness, a knee-to-wall, balance or calf-raise test, or an ankle session done.

    \b
    Examples:
      stridelink log pain 4 --side left        # pain means back off: the plan regresses
      stridelink log knee-to-wall --left 11.5 --right 9
      stridelink log balance --left 45 --right 30  # seconds on one leg
      stridelink log calf-raises --left 25 --right 18
      stridelink log session --minutes 20
      stridelink log list
    """


def _check_day(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> datetime | None:
    if value is not None:
        try:
            check_day(value.date())
        except InvalidDateError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


DAY = click.option(
    "--date", "day", type=click.DateTime(["%Y-%m-%d"]), callback=_check_day,
    help="The day, from 1990 to tomorrow (default: today).",
)
SIDE = click.option("--side", type=click.Choice(["left", "right", "both"]), default="both", show_default=True)


def _log(kind: str, day: datetime | None, *, side: str | None = None, value: float | None = None,
         note: str = "") -> None:
    warnings = ExportWarnings()
    with Library.open() as library:
        entry, _ = app.log_entry(
            library, kind, day.date() if day else None, side=side, value=value, note=note, on_export_error=warnings
        )
    click.echo(f"logged {kind} on {entry.day.isoformat()} (entry {entry.entry_id})")
    warnings.echo()


@log.command()
@click.argument("level", type=click.IntRange(0, 10))
@SIDE
@DAY
@click.option("--note", default="", help="Anything worth remembering.")
def pain(level: int, side: str, day: datetime | None, note: str) -> None:
    """Log ankle pain, 0-10. From 3 the plan drops to foundations without hops; if pain persists, stop and
    seek advice from a qualified professional."""
    _log("pain", day, side=side, value=float(level), note=note)


@log.command()
@click.argument("level", type=click.IntRange(0, 10))
@SIDE
@DAY
@click.option("--note", default="")
def soreness(level: int, side: str, day: datetime | None, note: str) -> None:
    """Log calf or ankle soreness, 0-10."""
    _log("soreness", day, side=side, value=float(level), note=note)


@log.command(name="knee-to-wall")
@click.option("--left", type=click.FloatRange(0, 30), help="Left foot: toe-to-wall distance in cm.")
@click.option("--right", type=click.FloatRange(0, 30), help="Right foot: toe-to-wall distance in cm.")
@DAY
def knee_to_wall(left: float | None, right: float | None, day: datetime | None) -> None:
    """Log a knee-to-wall dorsiflexion test: the farthest toe-to-wall distance (cm) with the knee touching."""
    if left is None and right is None:
        raise click.UsageError("give --left and/or --right in cm")
    for side, value in (("left", left), ("right", right)):
        if value is not None:
            _log("knee_to_wall", day, side=side, value=value)


@log.command()
@click.option("--left", type=click.FloatRange(0, 600), help="Seconds standing on the left leg.")
@click.option("--right", type=click.FloatRange(0, 600), help="Seconds standing on the right leg.")
@DAY
def balance(left: float | None, right: float | None, day: datetime | None) -> None:
    """Log a single-leg balance test: seconds on each leg (eyes open, no support). A side behind the other by
    more than a quarter gets an extra set; a drop delays the next stage."""
    _log_sides("balance", left, right, day)


@log.command(name="calf-raises")
@click.option("--left", type=click.IntRange(0, 200), help="Single-leg calf raises on the left, to fatigue.")
@click.option("--right", type=click.IntRange(0, 200), help="Single-leg calf raises on the right, to fatigue.")
@DAY
def calf_raises(left: int | None, right: int | None, day: datetime | None) -> None:
    """Log a single-leg calf-raise test: repetitions on each leg. A side behind the other by more than 15 %
    gets an extra set; a drop delays the next stage."""
    _log_sides("calf_raise", left, right, day)


def _log_sides(kind: str, left: float | None, right: float | None, day: datetime | None) -> None:
    if left is None and right is None:
        raise click.UsageError("give --left and/or --right")
    for side, value in (("left", left), ("right", right)):
        if value is not None:
            _log(kind, day, side=side, value=float(value))


@log.command()
@click.option("--minutes", type=click.IntRange(1, 240), default=20, show_default=True)
@DAY
@click.option("--note", default="")
def session(minutes: int, day: datetime | None, note: str) -> None:
    """Log an ankle session done (watch strength and mobility activities count by themselves)."""
    _log("session", day, value=float(minutes), note=note)


@log.command(name="list")
@json_option
def list_logs(as_json: bool) -> None:
    """List what was logged, each entry with its id (`stridelink log rm ID` removes one)."""
    with Library.open() as library:
        entries = library.logs(out_of_range=True)
    rows = [
        {"id": e.entry_id, "date": e.day.isoformat(), "kind": e.kind, "side": e.side, "value": e.value,
         "note": e.note, "source": e.source, "counted": EARLIEST_DAY <= e.day,
         "entry_id": e.entry_id, "day": e.day.isoformat()}  # the names of earlier versions, kept for scripts
        for e in entries
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Nothing logged yet: `stridelink log pain|soreness|knee-to-wall|session` records an entry.")
        return
    click.echo(f"{'id':>5}  {'date':<10}  entry")
    for row in rows:
        side = f" ({row['side']})" if row["side"] else ""
        value = "" if row["value"] is None else f": {row['value']:g}"
        note = f"  {safe(row['note'])}" if row["note"] else ""
        ignored = "  [date out of range: not counted; remove it]" if not row["counted"] else ""
        click.echo(f"{row['id']:>5}  {row['date']:<10}  {words(row['kind'])}{side}{value}{note}{ignored}")


def _complete_log_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    if not paths.db_path().is_file():  # completing must not create a library
        return []
    try:
        with Library.open() as library:
            entries = library.logs(out_of_range=True)
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [
        CompletionItem(str(e.entry_id), help=f"{e.day.isoformat()} {words(e.kind)}")
        for e in entries
        if str(e.entry_id).startswith(incomplete)
    ]


@log.command(name="rm")
@click.argument("entry_id", metavar="ID", type=click.IntRange(min=1), shell_complete=_complete_log_ids)
def remove_log(entry_id: int) -> None:
    """Remove one log entry (ids: `stridelink log list`); the plan follows at once."""
    warnings = ExportWarnings()
    with Library.open() as library:
        entry, _ = app.remove_log_entry(library, entry_id, on_export_error=warnings)
    side = f" ({entry.side})" if entry.side else ""
    click.echo(f"removed entry {entry.entry_id}: {words(entry.kind)}{side} on {entry.day.isoformat()}")
    warnings.echo()


COMMANDS = (plan, export, log)
