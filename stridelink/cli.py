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
from typing import Any, TypeVar

import click

from stridelink import __version__, paths
from stridelink.errors import StridelinkError
from stridelink.plugins import describe_plugins, get_readers, load_plugins, pm
from stridelink.store import Library

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
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@json_option
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for reading files.")
@friendly_errors
def import_cmd(inputs: tuple[str, ...], as_json: bool, workers: int | None) -> None:
    """Import activity files, folders (searched recursively) and .zip archives.

    Files already imported are reported as duplicates and change nothing. Files that are not a foot activity
    (rides, swims, settings) are skipped; unreadable files are rejected without stopping the others.
    Exit status 1 when any file was rejected.

    \b
    Examples:
      stridelink import run.fit
      stridelink import ~/Downloads/export.zip --json
    """
    from stridelink.importer import ImportResult, find_sources, import_sources
    from stridelink.weekly import after_import

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
        changed = after_import(library, new_runs, logged=counts["skipped"] > 0)
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


load_plugins()
pm.hook.register_commands(cli=cli)
