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
    """A command group whose commands, its plugins' commands included, report library errors in one line.

    Plugins add their commands the first time a command is asked for that is not built in, or the list of
    all commands (help, completion): running a built-in command imports no plugin.
    """

    _plugin_commands_added = False

    def invoke(self, ctx: click.Context) -> Any:
        with friendly_errors():
            return super().invoke(ctx)

    def _add_plugin_commands(self) -> None:
        if not self._plugin_commands_added:
            self._plugin_commands_added = True
            load_plugins("register_commands")
            pm.hook.register_commands(cli=self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)


@click.group(cls=StridelinkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=lambda ctx, _p, v: _version(ctx, v),
              help="Show the version and exit.")
def cli() -> None:
    """Turn the runs your watch records into a weekly ankle mobility and strength plan.

    \b
    After a run:      stridelink import /media/GARMIN/GARMIN/Activity
    Every week:       stridelink plan
    In your calendar: stridelink export ics -o ~/ankle-plan.ics
    Try it first:     stridelink demo

    Everything is kept in one library folder (`stridelink path`; set STRIDELINK_HOME to move it).
    """


def _version(ctx: click.Context, wanted: bool) -> None:
    if wanted and not ctx.resilient_parsing:
        from stridelink import __version__

        click.echo(f"stridelink, version {__version__}")
        ctx.exit()


def _add_commands() -> None:
    from stridelink.cli import cohort, demo, importing, library, planning, report, runs

    for module in (importing, runs, planning, library, report, demo, cohort):
        for command in module.COMMANDS:
            cli.add_command(command)


_add_commands()
