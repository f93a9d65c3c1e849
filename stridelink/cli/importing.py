"""Getting runs in: ``stridelink import`` and ``stridelink watch``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from stridelink import app
from stridelink.cli.options import ExportWarnings, json_option
from stridelink.text import safe
from stridelink.importer import ImportResult
from stridelink.plugins import get_readers
from stridelink.store.library import Library
from stridelink.watch import Pending, candidates, find_device_folders, watch_folders


@click.command(name="import")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, path_type=str))
@json_option
@click.option("--device", is_flag=True, help="Also import from the activity folders of mounted watches.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for reading files.")
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
    if device:
        found = find_device_folders()
        if not found:
            raise click.ClickException(
                "no mounted watch found (Garmin, Coros, Suunto USB volumes); watches that only speak MTP need "
                "their files copied off first (see the README)"
            )
        inputs = (*inputs, *map(str, found))
    if not inputs:
        raise click.UsageError("name files or folders to import, or use --device")
    warnings = ExportWarnings()
    with Library.open() as library:
        sources = app.find_files(inputs)
        counts: Counter[str] = Counter()
        show_bar = not as_json and len(sources) > 5 and sys.stderr.isatty()

        def report(result: ImportResult) -> None:
            counts[result.status] += 1
            if as_json:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            elif result.status in ("skipped", "rejected"):
                line = f"{result.status}: {safe(result.path)}: {safe(result.error)}"
                click.echo(line, err=result.status == "rejected")
            elif not show_bar:
                click.echo(f"{result.status}: {safe(result.path)} ({', '.join(result.run_ids)})")

        if show_bar:
            with click.progressbar(length=len(sources), label="Importing", file=sys.stderr) as bar:

                def step(result: ImportResult) -> None:
                    bar.update(1)
                    report(result)

                changed = app.ingest(
                    library, sources, workers=workers, on_result=step, on_export_error=warnings
                ).changed_weeks
        else:
            changed = app.ingest(
                library, sources, workers=workers, on_result=report, on_export_error=warnings
            ).changed_weeks
    if not as_json:
        summary = ", ".join(f"{counts[s]} {s}" for s in ("imported", "duplicate", "skipped", "rejected"))
        click.echo(summary + (f"; plan updated for {', '.join(changed)}" if changed else ""), err=True)
    warnings.echo()
    if counts["rejected"]:
        sys.exit(1)


@click.command()
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Import what is there now and exit (for cron and schedulers).")
@click.option("--settle", type=click.FloatRange(0.1, 600), default=2.0, show_default=True,
              help="Seconds a file must stay unchanged before it is imported.")
@json_option
def watch(folders: tuple[Path, ...], once: bool, settle: float, as_json: bool) -> None:
    """Watch folders and import new activity files as they arrive; re-plan and export by itself.

    Without FOLDERS, watches the activity folders of mounted watches (GARMIN/Activity and the like).

    \b
    Examples:
      stridelink watch ~/Sync/watch-exports
      stridelink watch --once          # from cron: import whatever a mounted watch holds
    """
    targets = list(folders) or find_device_folders()
    if not targets:
        raise click.ClickException("no folder given and no mounted watch found; name a folder to watch")

    def report(batch: app.Ingested) -> None:
        for result in batch.results:
            if as_json:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            else:
                detail = result.error or ", ".join(result.run_ids)
                click.echo(f"{result.status}: {safe(result.path)} ({safe(detail)})")
        if batch.changed_weeks and not as_json:
            click.echo(f"plan updated for {', '.join(batch.changed_weeks)}")

    def pending(files: list[Pending]) -> None:  # seen, not imported (yet): still being written, or gone
        report(app.Ingested(files, []))  # type: ignore[arg-type]

    def problem(message: str) -> None:
        click.echo(f"not stored, tried again later: {safe(message)}", err=True)

    with Library.open() as library:
        if once:
            warnings = ExportWarnings()
            batch = app.ingest(library, candidates(targets, set(get_readers())), on_export_error=warnings)
            report(batch)
            warnings.echo()
            if batch.rejected:
                sys.exit(1)
            return
        click.echo(f"watching {', '.join(map(safe, targets))} (Ctrl-C to stop)", err=True)
        try:
            watch_folders(
                library, targets, settle_s=settle, on_batch=report, on_pending=pending, on_error=problem,
                on_export_error=lambda exc: click.echo(f"Warning: {safe(exc)}", err=True),
            )
        except KeyboardInterrupt:
            pass


COMMANDS = (import_cmd, watch)
