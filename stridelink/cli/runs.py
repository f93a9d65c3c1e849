"""What is in the library: ``stridelink runs`` and ``stridelink show``."""

from __future__ import annotations

import click

from stridelink.cli.options import complete_run_ids, echo_json, json_option
from stridelink.store.library import Library
from stridelink.text import safe, words


@click.command()
@json_option
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
    click.echo(f"{'run':<14} {'start (UTC)':<16}  {'sport':<16} {'distance':>9} {'time':>8}  file")
    for row in rows:
        km = f"{row['distance_m'] / 1000:.2f} km" if row["distance_m"] else "-"
        minutes = f"{row['duration_s'] / 60:.0f} min" if row["duration_s"] else "-"
        sport = words(row["sport"]) + (f"/{words(row['sub_sport'])}" if row["sub_sport"] not in (None, "generic") else "")
        start = row["start_utc"][:16].replace("T", " ")
        click.echo(f"{row['run_id']:<14} {start:<16}  {sport:<16} {km:>9} {minutes:>8}  {safe(row['file_name'])}")


@click.command()
@click.argument("run_id", shell_complete=complete_run_ids)
@json_option
def show(run_id: str, as_json: bool) -> None:
    """Show one run and the signals read from it."""
    with Library.open() as library:
        data = library.get_run(run_id).to_dict(with_signals=True)
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if key != "signals":
            click.echo(f"{key:<24} {safe(value)}")
    click.echo("signals:")
    for key, value in data["signals"].items():
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value
        click.echo(f"  {key:<22} {'-' if value is None else shown}")


COMMANDS = (runs, show)
