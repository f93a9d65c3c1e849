"""Keeping the plan current: re-plan the weeks new data affects and run the configured exports."""

from __future__ import annotations

from collections.abc import Sequence

from stridelink.store import Library


def after_import(library: Library, new_run_ids: Sequence[str], *, logged: bool = False) -> list[str]:
    """Re-plan the weeks the new runs (or logged sessions) change; returns the weeks whose plan changed."""
    return []
