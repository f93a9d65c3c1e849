"""Runs as activities: the same run imported twice (the watch's FIT and an app's GPX of it) counts once."""

from __future__ import annotations

from collections.abc import Sequence

from stridelink.models import Run


def _richness(run: Run) -> tuple[int, int]:
    """Prefer the recording that carries running dynamics, then the watch's own file over an export."""
    dynamics = run.signals is not None and run.signals.gct_ms is not None
    return (int(dynamics), int(run.source == "fit"))


def distinct_runs(runs: Sequence[Run]) -> list[Run]:
    """One run per activity, in start order.

    Two runs are the same activity when their time spans overlap by more than half of the shorter one; the
    richer recording is kept.
    """
    kept: list[Run] = []
    for run in sorted(runs, key=lambda r: r.start_utc):
        start = run.start_utc.timestamp()
        end = start + (run.duration_s or 0.0)
        twin = None
        for i in range(len(kept) - 1, -1, -1):
            other_start = kept[i].start_utc.timestamp()
            other_end = other_start + (kept[i].duration_s or 0.0)
            if other_end < start - 86400:  # sorted by start: nothing earlier can overlap
                break
            overlap = min(end, other_end) - max(start, other_start)
            shorter = min(end - start, other_end - other_start)
            if shorter > 0 and overlap > 0.5 * shorter:
                twin = i
                break
        if twin is None:
            kept.append(run)
        elif _richness(run) > _richness(kept[twin]):
            kept[twin] = run
    return sorted(kept, key=lambda r: (r.start_utc, r.run_id))
