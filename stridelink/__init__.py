"""stridelink: turns the runs your watch records into a weekly ankle mobility and strength plan."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from stridelink.hookspecs import hookimpl
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

try:
    __version__ = version("stridelink")
except PackageNotFoundError:  # an uninstalled checkout
    __version__ = "0+unknown"

__all__ = [
    "Activity",
    "Adjustment",
    "Change",
    "Exercise",
    "ExportContext",
    "Exporter",
    "LogEntry",
    "NotChecked",
    "Note",
    "Plan",
    "Reader",
    "Rule",
    "RuleContext",
    "Run",
    "Session",
    "Signals",
    "Stage",
    "__version__",
    "hookimpl",
]
