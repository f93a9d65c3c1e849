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
        click.echo(f"{key:<22} {value}")


@click.command()
@json_option
@click.option(
    "--fix", is_flag=True, help="Remove orphaned archive files and interrupted writes (never user data)."
)
def doctor(as_json: bool, fix: bool) -> None:
    """Check the library: database integrity, archived originals, stored samples and signals.

    Exit status 1 when a problem remains. `--fix` removes only archive files no run refers to and files left
    by an interrupted import; anything else is reported for you to decide.

    \b
    Examples:
      stridelink doctor
      stridelink doctor --fix --json
    """
    found = diagnose(fix=fix)
    if as_json:
        echo_json(found.to_dict())
    else:
        for name in found.removed:
            click.echo(f"removed: {name}")
        for problem in found.problems:
            hint = " (--fix removes it)" if problem.fixable else ""
            click.echo(f"{problem.kind}: {problem.detail}{hint}")
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
        click.echo(problem, err=True)
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
