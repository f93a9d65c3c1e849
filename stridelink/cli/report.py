"""``stridelink report``: the HTML page of the last weeks."""

from __future__ import annotations

from pathlib import Path

import click

from stridelink import app
from stridelink.store.library import Library
from stridelink.text import safe


@click.command(name="report")
@click.option("--weeks", type=click.IntRange(1, 520), default=None,
              help="How many ISO weeks, ending with this one.  [default: 12, ending with the latest run's week"
                   " when no run is that recent]")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The HTML file to write.")
def report(weeks: int | None, output: Path) -> None:
    """Write one self-contained HTML page: weekly trends, this week's plan and the runs.

    The page has no external links and no scripts, so it opens offline, on a phone, or as a mail attachment.

    \b
    Example:
      stridelink report -o report.html
      stridelink report --weeks 26 -o ~/half-year.html
    """
    with Library.open() as library:
        page = app.report_page(library, weeks)
    output = output.expanduser()
    app.write_atomically(output, page.encode("utf-8"))
    click.echo(safe(output))


COMMANDS = (report,)
