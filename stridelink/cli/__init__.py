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
import importlib
import os
import sys
from types import TracebackType
from typing import Any, NoReturn

import click
from click.shell_completion import CompletionItem

from stridelink.errors import StridelinkError
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
        # The database failed under a command (read-only, full disk, damage); none can without sqlite3 loaded.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(exc, sqlite3.Error):
            from stridelink.store.library import database_failure

            raise click.ClickException(safe(database_failure(exc))) from None
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C: one line and the conventional status, no traceback
            click.echo("interrupted: what was reported above is stored whole, nothing is half-stored; "
                       "run the command again to finish", err=True)  # fmt: skip
            raise SystemExit(130) from None


# Built-in commands: name -> (module, attribute, short help). A command's module is imported only when that
# command runs, completes or shows its own help, so `stridelink --help` and each command load only what they use.
# The short help is the first sentence of the command's docstring (a test keeps the two the same).
BUILTIN_COMMANDS: dict[str, tuple[str, str, str]] = {
    "import": ("stridelink.cli.importing", "import_cmd",
               "Import activity files, folders (searched recursively) and .zip archives."),
    "watch": ("stridelink.cli.importing", "watch",
              "Watch folders and import new activity files as they arrive; re-plan and export by itself."),
    "runs": ("stridelink.cli.runs", "runs", "List the runs in the library, oldest first."),
    "show": ("stridelink.cli.runs", "show", "Show one run and the signals read from it."),
    "plan": ("stridelink.cli.planning", "plan",
             "Show the ankle programme of a week, day by day, and why it is adjusted."),
    "export": ("stridelink.cli.planning", "export",
               "Write the plan through an exporter: ics, csv, json, markdown or a plugin's format."),
    "log": ("stridelink.cli.planning", "log",
            "Log pain or soreness, a knee-to-wall, balance or calf-raise test, or an ankle session done."),
    "path": ("stridelink.cli.library", "path",
             "Print the library folder (database, archived originals, settings)."),
    "settings": ("stridelink.cli.library", "settings",
                 "Show the settings in effect and where the settings file lives (edit it to change them)."),
    "doctor": ("stridelink.cli.library", "doctor",
               "Check the library: database integrity, archived originals, stored samples and signals."),
    "reanalyze": ("stridelink.cli.library", "reanalyze",
                  "Recompute runs from the archived original files (after an upgrade improved the methods)."),
    "plugins": ("stridelink.cli.library", "plugins", "List the loaded plugins and the hooks each implements."),
    "report": ("stridelink.cli.report", "report",
               "Write one self-contained HTML page: weekly trends, this week's plan and the runs."),
    "demo": ("stridelink.cli.demo", "demo",
             "Try stridelink on a generated sample week of runs: their signals, the plan for the week after them "
             "(the week the runs reshape), a calendar file and a report."),
    "cohort": ("stridelink.cli.cohort", "cohort",
               "Analyse many athletes' files on a Dask cluster into one Parquet table (coaches, clubs, studies)."),
}


class StridelinkGroup(click.Group):
    """A command group whose commands, its plugins' commands included, report library errors in one line.

    Built-in commands are imported when asked for (``BUILTIN_COMMANDS``); listing them (help, completion) uses
    their stored short help. Plugins add their commands the first time a command is asked for that is not built
    in, or the list of all commands: running a built-in command imports no plugin.
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

    def _lazy(self, cmd_name: str) -> bool:
        """Whether ``cmd_name`` is a built-in command not imported yet."""
        return cmd_name in BUILTIN_COMMANDS and cmd_name not in self.commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self._lazy(cmd_name):
            module_name, attribute, _short = BUILTIN_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module_name), attribute), cmd_name)
        elif cmd_name not in self.commands:
            self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return sorted(set(super().list_commands(ctx)) | set(BUILTIN_COMMANDS))

    def _short_help(self, ctx: click.Context, cmd_name: str, limit: int) -> tuple[str, bool] | None:
        """(short help, hidden) of a command without importing a built-in one; None for an unknown name."""
        if self._lazy(cmd_name):
            return click.Command(cmd_name, help=BUILTIN_COMMANDS[cmd_name][2]).get_short_help_str(limit), False
        command = self.get_command(ctx, cmd_name)
        return None if command is None else (command.get_short_help_str(limit), command.hidden)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            found = self._short_help(ctx, name, limit)
            if found is not None and not found[1]:
                rows.append((name, found[0]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        results = []
        for name in self.list_commands(ctx):
            if name.startswith(incomplete):
                found = self._short_help(ctx, name, 45)
                if found is not None and not found[1]:
                    results.append(CompletionItem(name, help=found[0]))
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results


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


def main(prog_name: str | None = None) -> NoReturn:
    """The ``stridelink`` console script and ``python -m stridelink``: run one command, then leave at once.

    Once the command is done, its threads joined, exit handlers run and output flushed, the interpreter's
    teardown (freeing every module and object) only costs time: about 60 ms after an import, 10-25 ms after
    ``--help``, ``runs`` or ``plan``. Output that cannot be flushed falls back to Python's own exit (its message,
    status 120). In-process callers (``cli.main``, click's test runner, the library) never come here.
    """
    status: Any = 0
    try:
        cli.main(prog_name=prog_name)  # standalone mode: always ends in SystemExit
    except SystemExit as exc:
        status = exc.code
    if status is None:
        status = 0
    elif not isinstance(status, int):  # as Python does: the message on stderr, status 1
        print(status, file=sys.stderr)
        status = 1
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()  # type: ignore[attr-defined]  # join non-daemon threads, as at a normal exit
    import atexit

    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # noqa: BLE001 - output not delivered: let Python report it and set the status
        raise SystemExit(status) from None
    os._exit(status)
