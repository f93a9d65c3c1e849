"""stridelink: turns the runs your watch records into a weekly ankle mobility and strength plan."""

from __future__ import annotations

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


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed distribution when first asked for (not at every start)."""
    if name != "__version__":
        raise AttributeError(f"module 'stridelink' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("stridelink")
    except PackageNotFoundError:  # an uninstalled checkout
        found = "0+unknown"
    globals()["__version__"] = found
    return found

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
