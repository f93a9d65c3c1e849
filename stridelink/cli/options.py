"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from stridelink.text import safe
from stridelink.weeks import check_week

F = TypeVar("F", bound=Callable[..., Any])


def json_option(fn: F) -> F:
    """``--json``: print JSON for scripts (the command gets ``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)  # type: ignore[return-value]


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _check_week(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_week(value)
    except ValueError as exc:
        message = str(exc) if "out of range" in str(exc) else f"{value!r} is not an ISO week such as 2026-W49"
        raise click.BadParameter(message) from None


def week_option(help: str = "ISO week (default: this week).") -> Callable[[F], F]:
    """``--week YYYY-Www``, checked to be an ISO week."""
    return click.option("--week", metavar="YYYY-Www", callback=_check_week, help=help)


class ExportWarnings(list[Exception]):
    """Collects failed automatic exports during a command, to say them after what the command did."""

    def __call__(self, exc: Exception) -> None:
        self.append(exc)

    def echo(self) -> None:
        for exc in self:
            click.echo(f"Warning: {safe(exc)}", err=True)


def complete_formats(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Tab completion of exporter names (the built-in ones and plugins')."""
    from stridelink.plugins import get_exporters

    try:
        exporters = get_exporters()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [
        CompletionItem(name, help=exporter.description)
        for name, exporter in sorted(exporters.items())
        if name.startswith(incomplete.lower())
    ]


def complete_run_ids(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Tab completion of the library's run ids, with each run's start and file as help."""
    from stridelink import paths
    from stridelink.store.library import Library

    if not paths.db_path().is_file():  # completing must not create a library
        return []
    try:
        with Library.open() as library:
            runs = library.runs()
    except Exception:  # noqa: BLE001 - a missing or damaged library completes nothing
        return []
    return [
        CompletionItem(run.run_id, help=f"{run.start_utc:%Y-%m-%d %H:%M} {run.file_name}")
        for run in runs
        if run.run_id.startswith(incomplete)
    ]
