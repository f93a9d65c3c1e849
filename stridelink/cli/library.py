"""The library folder itself: ``path``, ``settings``, ``doctor``, ``reanalyze`` and ``plugins``."""

from __future__ import annotations

import sys

import click

from stridelink import paths
from stridelink.cli.options import echo_json, json_option
from stridelink.importer import reanalyze as reanalyse_runs
from stridelink.plugins import describe_plugins
from stridelink.settings import WEEKDAYS, load_settings
from stridelink.store.integrity import diagnose
from stridelink.store.library import Library
from stridelink.text import safe


@click.command()
def path() -> None:
    """Print the library folder (database, archived originals, settings)."""
    click.echo(str(paths.library_path()))


@click.command()
@json_option
def settings(as_json: bool) -> None:
    """Show the settings in effect and where the settings file lives (edit it to change them)."""
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
        click.echo(f"{key:<22} {safe(value)}")


@click.command()
@json_option
@click.option(
    "--fix",
    is_flag=True,
    help="Restore the runs of archived originals the database does not know; remove interrupted writes.",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Rebuild the library from its archived originals (a damaged database is set aside, never deleted).",
)
def doctor(as_json: bool, fix: bool, rebuild: bool) -> None:
    """Check the library: database integrity, archived originals, stored samples and signals.

    Exit status 1 when a problem remains. `--fix` brings back the runs of archived originals no run refers to
    (left by an interrupted import or a lost database) and removes half-written files; it never deletes an
    archived original. `--rebuild` also sets a damaged database aside and rebuilds the library from the
    archive. Log entries live only in the database: a rebuilt library has its runs back, not what was logged.

    \b
    Examples:
      stridelink doctor
      stridelink doctor --fix --json
      stridelink doctor --rebuild       # after the database was deleted or damaged
    """
    found = diagnose(fix=fix, rebuild=rebuild)
    if as_json:
        echo_json(found.to_dict())
    else:
        for name in found.set_aside:
            click.echo(f"set aside the damaged database as {safe(name)}")
        for item in found.restored:
            if item["status"] == "imported":
                click.echo(f"restored: {safe(item['archive_name'])} ({', '.join(item['run_ids'])})")  # type: ignore[arg-type]
            elif item["status"] != "duplicate":
                click.echo(f"not restored: {safe(item['archive_name'])}: {safe(item['error'])}")
        for name in found.removed:
            click.echo(f"removed: {safe(name)}")
        for problem in found.problems:
            hint = ""
            if problem.fixable:
                hint = " (--fix removes it)" if problem.kind == "temp_file" else " (--fix restores its runs)"
            click.echo(f"{problem.kind}: {safe(problem.detail)}{hint}")
        if not found.problems:
            click.echo("no problems found")
    if found.problems:
        sys.exit(1)


@click.command()
@click.option("--all", "everything", is_flag=True, help="Every run, not only those with outdated signals.")
def reanalyze(everything: bool) -> None:
    """Recompute runs from the archived original files (after an upgrade improved the methods)."""
    with Library.open() as library:
        count, problems = reanalyse_runs(library, everything=everything)
    for problem in problems:
        click.echo(safe(problem), err=True)
    click.echo(f"re-analysed {count} file(s)", err=True)
    if problems:
        sys.exit(1)


@click.command()
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


COMMANDS = (path, settings, doctor, reanalyze, plugins)
