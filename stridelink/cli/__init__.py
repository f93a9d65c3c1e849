"""The command line: a thin layer over the library (``stridelink.app`` does the work).

    stridelink import ~/GARMIN/Activity      # after a run: read the watch's files
    stridelink plan                          # this week's ankle programme, and why
    stridelink export ics -o ankle.ics       # into your calendar

Commands are grouped in modules as users see them: importing (import, watch), runs (runs, show), planning
(plan, export, log), library (path, settings, doctor, reanalyze, plugins), report, demo and cohort. Library errors
(``StridelinkError``) become one line and exit status 1 in one place, ``friendly_errors``, applied at the
group, so plugin commands get it too.
"""

from __future__ import annotations

import contextlib
import sqlite3
from types import TracebackType
from typing import Any

import click

from stridelink import __version__
from stridelink.errors import StridelinkError
from stridelink.store.library import database_failure
from stridelink.plugins import load_plugins, pm
from stridelink.text import safe


class friendly_errors(contextlib.ContextDecorator):  # noqa: N801 - used as a decorator and a with-block
    """Library errors become one-line messages with exit status 1, Ctrl-C one line with 130; never tracebacks."""

    def __enter__(self) -> friendly_errors:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, StridelinkError):
            raise click.ClickException(safe(str(exc))) from None
        if isinstance(exc, sqlite3.Error):  # the database failed under a command (read-only, full disk, damage)
            raise click.ClickException(safe(database_failure(exc))) from None
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C: one line and the conventional status, no traceback
            click.echo("interrupted: what was reported above is stored whole, nothing is half-stored; "
                       "run the command again to finish", err=True)  # fmt: skip
            raise SystemExit(130) from None


class StridelinkGroup(click.Group):
    """A command group whose commands, its plugins' commands included, report library errors in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        with friendly_errors():
            return super().invoke(ctx)


@click.group(cls=StridelinkGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _add_commands() -> None:
    from stridelink.cli import cohort, demo, importing, library, planning, report, runs

    for module in (importing, runs, planning, library, report, demo, cohort):
        for command in module.COMMANDS:
            cli.add_command(command)


_add_commands()
load_plugins()
pm.hook.register_commands(cli=cli)
