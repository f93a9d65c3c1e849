"""stridelink: turns the runs your watch records into a weekly ankle mobility and strength plan.

The public API is what ``__all__`` names (docs/plugins.md describes it); plugins use nothing else. Everything in
the submodules may change between versions. The hook marker and the errors load with the package; the rest (the
records, the library, the workflow, the registries) when first used, so a command starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stridelink import columns, hookspecs
from stridelink.errors import (
    NotARunError,
    SettingsError,
    StridelinkError,
    UnknownExporterError,
    UnknownRunError,
    UnreadableFileError,
)
from stridelink.hookspecs import hookimpl

if TYPE_CHECKING:  # what the lazily loaded names are, for type checkers
    from stridelink.models import (
        Activity,
        Adjustment,
        Change,
        Exercise,
        ExportContext,
        Exporter,
        LogEntry,
        NotChecked,
        Note,
        Plan,
        Reader,
        Rule,
        RuleContext,
        Run,
        Session,
        Signals,
        Stage,
    )
    from stridelink.app import Ingested, export_weeks, ingest, log_entry, plan_week, this_week, weeks_from
    from stridelink.plan.programme import Programme, load_programme
    from stridelink.plugins import get_exporter, get_exporters, get_readers, get_rules
    from stridelink.settings import Settings
    from stridelink.store.library import Library
    from stridelink.text import safe
    from stridelink.weeks import check_week, iso_week, shift_week, week_days, week_start

# Public names loaded on first use: name -> the module that defines it.
_LAZY = {
    **dict.fromkeys(  # the records: dataclasses take a few milliseconds to build (--help needs none)
        ("Activity", "Adjustment", "Change", "Exercise", "ExportContext", "Exporter", "LogEntry", "NotChecked",
         "Note", "Plan", "Reader", "Rule", "RuleContext", "Run", "Session", "Signals", "Stage"),
        "stridelink.models",
    ),
    **dict.fromkeys(
        ("Ingested", "ingest", "log_entry", "plan_week", "export_weeks", "this_week", "weeks_from"), "stridelink.app"
    ),
    "Library": "stridelink.store.library",
    "Settings": "stridelink.settings",
    **dict.fromkeys(("iso_week", "week_start", "week_days", "shift_week", "check_week"), "stridelink.weeks"),
    "safe": "stridelink.text",
    **dict.fromkeys(("get_readers", "get_rules", "get_exporter", "get_exporters"), "stridelink.plugins"),
    **dict.fromkeys(("Programme", "load_programme"), "stridelink.plan.programme"),
}


def __getattr__(name: str) -> Any:
    """The lazily loaded public names, and ``__version__`` (read from the installed distribution)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found: Any = version("stridelink")
        except PackageNotFoundError:  # an uninstalled checkout
            found = "0+unknown"
    elif name in _LAZY:
        found = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'stridelink' has no attribute {name!r}")
    globals()[name] = found
    return found


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    # plugins: the hook marker, what they register, and what they get
    "hookimpl",
    "hookspecs",  # the hook specifications, for testing a plugin with its own plugin manager
    "Reader",
    "Rule",
    "RuleContext",
    "Exporter",
    "ExportContext",
    # the records
    "Activity",
    "Adjustment",
    "Change",
    "Exercise",
    "LogEntry",
    "NotChecked",
    "Note",
    "Plan",
    "Run",
    "Session",
    "Signals",
    "Stage",
    "columns",  # the sample columns a reader fills, with their units
    # errors: one line for the user, exit status 1
    "StridelinkError",
    "UnreadableFileError",
    "NotARunError",
    "SettingsError",
    "UnknownExporterError",
    "UnknownRunError",
    # the library, its settings, and the workflow the command line uses
    "Library",
    "Settings",
    "Ingested",
    "ingest",
    "log_entry",
    "plan_week",
    "export_weeks",
    "this_week",
    "weeks_from",
    # ISO weeks ("2026-W49")
    "iso_week",
    "week_start",
    "week_days",
    "shift_week",
    "check_week",  # "2026-w49" -> "2026-W49"; ValueError when malformed or not within 1990-2100
    "safe",  # a file name or a server's answer made safe to print on a terminal
    # what is registered, and the programme plans are built from
    "get_readers",
    "get_rules",
    "get_exporter",
    "get_exporters",
    "Programme",
    "load_programme",
    "__version__",
]
