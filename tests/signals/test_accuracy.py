"""Device agreement for the whole corpus: every foot activity's figures against the device's own totals.

Each corpus file is one case. A file with device totals is compared on every figure both sides have: within the
tolerance, or, for a deviation named in ``EXPLAINED`` (and in docs/accuracy.md), with its measured cause asserted
to still hold. A file with nothing to compare is skipped with the reason.
``python -m tests.signals.test_accuracy`` prints the table for docs/accuracy.md.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from stridelink import columns as col
from stridelink.importer import Analysis, analyse
from stridelink.models import Activity, Signals
from stridelink.signals.compute import (
    MAX_GAP_S,
    _column,
    _intervals_s,
    elapsed_s,
    moving_mask,
    pauses,
    route_distance_m,
)
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

FILES = sorted(
    str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.suffix.lower() in (".fit", ".gpx", ".tcx")
) if CORPUS.is_dir() else []  # fmt: skip
FOOT = ("running", "walking", "hiking")
MIN_ASCENT_M = 20.0  # smaller device ascents are a few barometer steps: not comparable in percent


@dataclass(frozen=True)
class Metric:
    name: str
    signal: str
    device: str
    tolerance: float  # relative
    floor: float = 0.0  # absolute, for files of a few seconds (one recording interval at each end)


METRICS = (
    Metric("distance", "distance_m", "distance_m", 0.015, 5.0),
    Metric("elapsed", "duration_s", "elapsed_time_s", 0.02, 2.0),
    Metric("moving", "moving_time_s", "timer_time_s", 0.02, 2.0),
    Metric("cadence", "cadence_spm", "avg_cadence_spm", 0.03),
    Metric("contact time", "gct_ms", "avg_gct_ms", 0.03),
    Metric("vertical oscillation", "vertical_oscillation_mm", "avg_vertical_oscillation_mm", 0.03),
    Metric("step length", "step_length_mm", "avg_step_length_mm", 0.03),
    Metric("ascent", "elevation_gain_m", "ascent_m", 0.20),
)


@cache
def analysed(name: str) -> Analysis:
    return analyse((CORPUS / name).read_bytes(), Path(name).name)


def _timer_samples(activity: Activity) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's interval, and which intervals the timer ran."""
    dt = _intervals_s(elapsed_s(activity.samples))
    timer = activity.device_totals.get("timer_time_s")
    stopped = pauses(dt, route_distance_m(activity.samples), timer, ~moving_mask(activity.samples))
    return dt, stopped == 0


def cadence_with_stops(activity: Activity) -> float:
    """Mean cadence over the timer time with the zero cadence of stops counted in (as some watches average)."""
    dt, running = _timer_samples(activity)
    cadence = _column(activity.samples, col.CADENCE)
    assert cadence is not None
    ok = running & np.isfinite(cadence)
    return float(np.sum(cadence[ok] * dt[ok]) / np.sum(dt[ok]))


def averages_stops_in(activity: Activity, signals: Signals) -> bool:
    """The watch's figure is the mean with its stops' zero cadence counted in (within 3 %), ours leaves them out."""
    device = activity.device_totals["avg_cadence_spm"]
    return abs(cadence_with_stops(activity) - device) <= 0.03 * device


def timer_stopped_without_a_silence(activity: Activity, signals: Signals) -> bool:
    """The timer stopped for a few seconds while the watch went on writing a record every second."""
    dt, _ = _timer_samples(activity)
    totals = activity.device_totals
    return float(dt.max()) <= MAX_GAP_S and totals["elapsed_time_s"] - totals["timer_time_s"] <= 10.0


def trackpoints_cover_part_of_the_laps(activity: Activity, signals: Signals) -> bool:
    """The file's trackpoints span well under the time its laps report."""
    return (signals.duration_s or 0.0) < 0.7 * activity.device_totals["timer_time_s"]


def records_omit_the_metric(column: str, share: float) -> Callable[[Activity, Signals], bool]:
    """The records leave the metric empty on more than ``share`` of the moving samples the device averages."""

    def check(activity: Activity, signals: Signals) -> bool:
        values = _column(activity.samples, column)
        assert values is not None
        _, running = _timer_samples(activity)
        return float(np.mean(~np.isfinite(values[running]))) > share

    return check


# (file, metric) -> (the cause, as docs/accuracy.md gives it; a check that the cause still holds)
EXPLAINED: dict[tuple[str, str], tuple[str, Callable[[Activity, Signals], bool]]] = {
    **{
        (name, "cadence"): ("the watch averages its stops' zero cadence in; ours is the moving cadence",
                            averages_stops_in)
        for name in (
            "heartandsole/testdata.fit",
            "runpandas/run.fit",
            "workoutizer/2019-09-18-16-02-35.fit",
            "workoutizer/2019-09-25-16-15-53.fit",
            "workoutizer/2020-08-20-09-34-33.fit",
            "workoutizer/2020-08-31-17-41-11.fit",
            "workoutizer/2020-09-12-11-15-46.fit",
            "workoutizer/hike_with_coordinates_muggenbrunn.fit",
        )
    },
    ("heartandsole/B47I2852.FIT", "moving"): (
        "a 46 s file: the timer stopped 5 s while the watch wrote a record every second",
        timer_stopped_without_a_silence,
    ),
    ("togeojson/sample.tcx", "distance"): (
        "19 trackpoints over 1,431 s of laps that report 2,325 s and 8.3 km", trackpoints_cover_part_of_the_laps
    ),
    ("togeojson/sample.tcx", "moving"): (
        "19 trackpoints over 1,431 s of laps that report 2,325 s and 8.3 km", trackpoints_cover_part_of_the_laps
    ),
    ("python-fitparse/garmin-fenix-5-walk.fit", "contact time"): (
        "a 46 s walk whose records leave contact time empty on 10 of 17 records", records_omit_the_metric(col.GCT, 0.3)
    ),
    ("python-fitparse/activity-small-fenix2-run.fit", "contact time"): (
        "the records leave ground contact time empty on 4.5 % of the samples; the watch averages steps they omit",
        records_omit_the_metric(col.GCT, 0.02),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Row:
    name: str
    leg: int
    metric: str
    ours: float
    device: float
    ok: bool
    cause: str | None = None  # the explained deviation, its check having held

    @property
    def deviation_pct(self) -> float:
        return 100.0 * (self.ours - self.device) / self.device if self.device else 0.0


def comparisons(name: str) -> tuple[list[Row], str | None]:
    """Every comparison the file allows, or the reason there is none."""
    analysis = analysed(name)
    if analysis.status != "ok":
        return [], f"{analysis.status}: {analysis.reason}"
    rows: list[Row] = []
    for leg, (activity, signals) in enumerate(analysis.activities):
        assert signals is not None, f"{name}: no signals"
        totals = activity.device_totals
        for metric in METRICS:
            ours, device = getattr(signals, metric.signal), totals.get(metric.device)
            if ours is None or device is None or device <= 0:
                continue
            if metric.name == "ascent" and (activity.altitude_source != "barometric" or device < MIN_ASCENT_M):
                continue
            close = abs(ours - device) <= max(metric.tolerance * device, metric.floor)
            explained = EXPLAINED.get((name, metric.name))
            cause = None
            if not close and explained is not None and explained[1](activity, signals):
                cause = explained[0]
            rows.append(Row(name, leg, metric.name, float(ours), float(device), close or cause is not None, cause))
    if not rows:
        kind = Path(name).suffix.lower().lstrip(".").upper()
        return [], f"no device totals to compare (a {kind} without session figures)"
    return rows, None


@pytest.mark.parametrize("name", FILES)
def test_figures_agree_with_the_device_or_the_cause_is_measured(name: str) -> None:
    rows, reason = comparisons(name)
    if reason is not None:
        pytest.skip(reason)
    bad = [f"{r.metric} (leg {r.leg}): ours {r.ours:g}, device {r.device:g} ({r.deviation_pct:+.1f} %)"
           for r in rows if not r.ok]  # fmt: skip
    assert not bad, f"{name}: " + "; ".join(bad)


def test_every_explained_deviation_is_still_a_deviation() -> None:
    """A named cause that no longer applies (the figure now agrees, or the file is gone) is removed."""
    for name, metric in EXPLAINED:
        rows, _ = comparisons(name)
        row = next((r for r in rows if r.metric == metric), None)
        assert row is not None and row.cause is not None, f"{name} {metric}: agrees now, or is not compared"


def test_docs_accuracy_shows_the_table_as_measured() -> None:
    """docs/accuracy.md is regenerated (``python -m tests.signals.test_accuracy``) when a figure changes."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "accuracy.md").read_text(encoding="utf-8")
    rows = [line for line in table().splitlines() if line.startswith("| `")]
    assert rows and all(row in doc for row in rows)


def manifest_sports() -> dict[str, str]:
    with (CORPUS / "MANIFEST.csv").open(newline="") as fh:
        return {row["path"]: row["sport"].lower() for row in csv.DictReader(fh)}


@pytest.mark.parametrize("name", FILES)
def test_no_run_is_too_fast_too_long_or_really_a_ride_or_a_swim(name: str) -> None:
    analysis = analysed(name)
    if analysis.status != "ok":
        pytest.skip(f"{analysis.status}: {analysis.reason}")
    sports = set(manifest_sports().get(name, "").replace(";", " ").split())
    if sports and sports <= {"cycling", "swimming", "biking", "1", "transition", "rowing", "generic"}:
        pytest.fail(f"{name}: a {', '.join(sorted(sports))} file was imported")
    for activity, signals in analysis.activities:
        assert activity.sport in FOOT
        assert signals is not None
        assert signals.speed_mps is None or signals.speed_mps <= 7.0, f"moving speed {signals.speed_mps} m/s"
        elapsed = activity.device_totals.get("elapsed_time_s")
        if elapsed is not None:
            assert (signals.duration_s or 0.0) <= max(elapsed * 1.02, elapsed + 2.0)


def table() -> str:
    """The markdown table for docs/accuracy.md."""
    lines = [
        "| file | leg | " + " | ".join(m.name for m in METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    notes: list[str] = []
    skipped: list[str] = []
    for name in FILES:
        rows, reason = comparisons(name)
        if reason is not None:
            skipped.append(f"- `{name}`: {reason}")
            continue
        for leg in sorted({r.leg for r in rows}):
            cells = []
            for metric in METRICS:
                row = next((r for r in rows if r.leg == leg and r.metric == metric.name), None)
                if row is None:
                    cells.append("–")
                    continue
                mark = "" if row.ok and row.cause is None else (" ¹" if row.cause else " ✗")
                cells.append(f"{row.ours:.0f} / {row.device:.0f} ({row.deviation_pct:+.1f} %){mark}")
                if row.cause:
                    notes.append(f"- `{name}` {metric.name}: {row.cause}.")
            lines.append(f"| `{name}` | {leg} | " + " | ".join(cells) + " |")
    return "\n".join(
        [*lines, "", "¹ named deviations, each with its measured cause:", "", *dict.fromkeys(notes), "",
         "Not compared:", "", *skipped]
    )  # fmt: skip


if __name__ == "__main__":  # python -m tests.signals.test_accuracy: the table for docs/accuracy.md
    import os

    os.environ.setdefault("STRIDELINK_LOAD_PLUGINS", "")
    print(table())
