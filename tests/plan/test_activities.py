from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stridelink.models import Run, Signals
from stridelink.plan.activities import distinct_runs


def _run(run_id: str, start_min: int, duration_min: float, source: str, gct: float | None) -> Run:
    start = datetime(2026, 11, 19, 7, tzinfo=UTC) + timedelta(minutes=start_min)
    signals = Signals(method_version=1, gct_ms=gct)
    return Run(run_id, run_id * 5, 0, start, "running", None, 5000.0, duration_min * 60, source, f"{run_id}.{source}",
               signals=signals)


def test_the_same_run_from_two_files_counts_once_keeping_the_richer() -> None:
    fit = _run("f", 0, 40, "fit", 250.0)
    gpx = _run("g", 0.1, 40, "gpx", None)  # an app's export of the same run, a few seconds apart
    later = _run("l", 300, 30, "gpx", None)
    assert [r.run_id for r in distinct_runs([gpx, later, fit])] == ["f", "l"]


def test_back_to_back_runs_both_count() -> None:
    warmup = _run("a", 0, 15, "fit", 250.0)
    session = _run("b", 16, 40, "fit", 240.0)
    assert [r.run_id for r in distinct_runs([session, warmup])] == ["a", "b"]


def test_runs_days_apart_all_count() -> None:
    runs = [_run(str(i), 60 * 24 * 2 * i, 40, "fit", 250.0) for i in range(5)]
    assert len(distinct_runs(runs)) == 5
