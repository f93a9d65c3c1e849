"""``stridelink cohort``: many athletes' files analysed on a Dask cluster into one Parquet table.

Dask, pyarrow and fsspec come with the optional extra ``stridelink[cohort]``; they are imported inside the
commands only, so the rest of the command line starts as fast without them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from stridelink.errors import StridelinkError

EXTRA_HINT = "the cohort commands need the optional extra: pip install 'stridelink[cohort]'"


def _need_extra() -> None:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(f"{EXTRA_HINT} ({exc.name} is missing)") from None


def _local_missing(source: str) -> bool:
    return "://" not in source and not Path(source).exists()


@click.group()
def cohort() -> None:
    """Analyse many athletes' files on a Dask cluster into one Parquet table (coaches, clubs, studies).

    \b
    Examples:
      stridelink cohort build ~/squad --out ~/squad-table            # a local cluster, one worker per core
      stridelink cohort build athletes.csv --out s3://bucket/table --scheduler tcp://10.0.0.5:8786
      stridelink cohort summary ~/squad-table

    Needs the optional extra: pip install 'stridelink[cohort]'.
    """


@cohort.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--out", "out", required=True, metavar="DIR",
              help="The Parquet dataset to create or extend (a folder or an fsspec URL).")
@click.option("--scheduler", metavar="ADDRESS",
              help="A running Dask scheduler (tcp://host:8786); without it a local cluster is started.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Worker processes of the local cluster (default: one per core).")
@click.option("--timezone", default="UTC", show_default=True,
              help="The athletes' time zone, for the days the plan's weeks start.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per athlete, one per line.")
def build(sources: tuple[str, ...], out: str, scheduler: str | None, workers: int | None, timezone: str,
          as_json: bool) -> None:
    """Read every athlete's files into the table at DIR, partitioned by athlete.

    SOURCE is a folder with one sub-folder or one bulk export (.zip) per athlete, the athlete id being its name,
    or a CSV of athlete_id,path. Each file is read exactly as `stridelink import` reads it. DIR holds one row per
    run (the fields and signals of `stridelink show`), one per skipped or rejected file with its reason
    (kind 'skipped'/'rejected'), and one per athlete-week of the plan (kind 'week').

    Building again adds only files whose bytes are new; an interrupted build leaves every athlete's partition
    whole. Exit status 1 when any file was rejected.
    """
    if scheduler and workers:
        raise click.UsageError("--workers sizes the local cluster; with --scheduler the cluster has its own")
    missing = [s for s in sources if _local_missing(s)]
    if missing:
        raise click.UsageError(f"no such folder or file: {', '.join(missing)}")
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{timezone!r} is not an IANA time zone such as 'Europe/Berlin'",
                                 param_hint="--timezone") from None
    _need_extra()
    from stridelink.cohort.athletes import find_athletes
    from stridelink.cohort.build import build as run_build
    from stridelink.cohort.tasks import AthleteReport

    try:
        count = len(find_athletes(sources))
    except StridelinkError as exc:
        raise click.ClickException(str(exc)) from None
    if not count:
        raise click.ClickException("no athletes found: give a folder with one sub-folder or export per athlete")
    show_bar = not as_json and sys.stderr.isatty()

    def report(result: AthleteReport) -> None:
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        elif not show_bar:
            click.echo(_line(result))
        if result.error:
            click.echo(f"{result.athlete_id}: {result.error}", err=True)

    try:
        if show_bar:
            with click.progressbar(length=count, label="Athletes", file=sys.stderr) as bar:

                def step(result: AthleteReport) -> None:
                    bar.update(1)
                    report(result)

                results = run_build(sources, out, scheduler=scheduler, workers=workers, timezone=timezone,
                                    on_athlete=step)
        else:
            results = run_build(sources, out, scheduler=scheduler, workers=workers, timezone=timezone,
                                on_athlete=report)
    except StridelinkError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach the cluster or the output: {exc}") from None
    rejected = sum(r.rejected for r in results)
    if not as_json:
        totals = {key: sum(getattr(r, key) for r in results) for key in ("runs", "skipped", "rejected", "known")}
        click.echo(f"{len(results)} athletes: {totals['runs']} runs, {totals['skipped']} skipped and "
                   f"{totals['rejected']} rejected files added; {totals['known']} files already in {out}", err=True)
    if rejected or any(r.error for r in results):
        sys.exit(1)


def _line(result: Any) -> str:
    return (f"{result.athlete_id}: {result.files} files, {result.runs} runs, {result.skipped} skipped, "
            f"{result.rejected} rejected added; {result.known} already in the table")


@cohort.command()
@click.argument("out", metavar="DIR")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def summary(out: str, as_json: bool) -> None:
    """Per athlete: runs, weekly distance, trail share, hill sessions, the adjustments they got most, and
    signals (contact-time balance, cadence) that moved beyond the athlete's own range."""
    _need_extra()
    from stridelink.cohort.summary import summary as run_summary

    try:
        rows = run_summary(out)
    except StridelinkError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No athletes in the table yet.")
        return
    for row in rows:
        km = "-" if row["recent_weekly_distance_km"] is None else f"{row['recent_weekly_distance_km']:.1f} km/wk"
        trail = "-" if row["trail_share"] is None else f"{row['trail_share']:.0%} trail"
        stage = f"stage {row['stage']['number']}" if row["stage"] else "no plan"
        top = ", ".join(a["kind"] for a in row["top_adjustments"]) or "none"
        click.echo(f"{row['athlete_id']:<16} {row['runs']:>5} runs  {km:>12}  {trail:>10}  "
                   f"{row['recent_hill_sessions']} hill (4 wk)  {stage}  adjustments: {top}")
        for moved in row["out_of_range"]:
            click.echo(f"  ! {moved['signal']} {moved['recent']} over the last week, own range "
                       f"{moved['low']}-{moved['high']}")


COMMANDS = (cohort,)
