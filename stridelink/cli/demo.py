"""``stridelink demo``: the whole product on generated sample runs."""

from __future__ import annotations

from pathlib import Path

import click

from stridelink.cli.planning import echo_plan
from stridelink.demo.tour import run_demo
from stridelink.text import safe


def _fmt(value: object, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


@click.command()
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where demo.ics and report.html go.")
def demo(output_dir: Path) -> None:
    """Try stridelink on a generated sample week of runs: their signals, the plan for the week after them (the
    week the runs reshape), a calendar file and a report.

    Nothing touches your own library: the demo uses a temporary one.
    """
    tour = run_demo(output_dir)
    click.secho(f"Importing {tour.folder}", bold=True)
    for result in tour.results:
        detail = result.error or ", ".join(result.run_ids)
        click.echo(f"  {result.status:<9} {safe(Path(result.path).name):<22} {safe(detail)}")
    click.secho("\nWhat the runs did to your ankles", bold=True)
    click.echo(f"  {'run':<13}{'surface':<16}{'km':>6}{'spm':>6}{'GCT ms':>8}{'L %':>6}{'m/km':>6}"
               f"{'terrain':>8}  hills")
    for run in tour.runs:
        s = run.signals
        if s is None:
            continue
        surface = f"{s.surface} ({s.surface_source})"
        km = (s.distance_m or 0) / 1000
        click.echo(
            f"  {run.run_id:<13}{surface:<16}{km:>6.1f}{_fmt(s.cadence_spm):>6}{_fmt(s.gct_ms):>8}"
            f"{_fmt(s.gct_balance_left_pct, digits=1):>6}{_fmt(s.climb_m_per_km, digits=1):>6}"
            f"{_fmt(s.terrain_variability):>8}  {_fmt(s.hill_session)}"
        )
    last_run = max(run.start_utc for run in tour.runs)
    click.secho(
        f"\nThe plan for {tour.plan.week}, the week after the sample runs (the last one on {last_run:%a %d %b %Y}):"
        " the week they reshape",
        bold=True,
    )
    echo_plan(tour.plan)
    click.secho(f"\nWrote {', '.join(map(safe, tour.written))}", bold=True)


COMMANDS = (demo,)
