"""Signals from real running FIT files against the watch's own session figures."""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import numpy as np
import pytest

from stridelink import columns as col
from stridelink.models import Activity, Signals
from stridelink.readers.fit import read_fit
from stridelink.signals.compute import _column, _plausible, compute_signals, moving_mask
from tests.conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

# Running FIT files whose session has averages, one running session each (or one per leg).
SINGLE_LEG = (
    "python-fitparse/2013-02-06-12-11-14.fit",
    "python-fitparse/activity-small-fenix2-run.fit",
    "python-fitparse/activity-large-fenxi2-multisport.fit",
    "python-fitparse/compressed-speed-distance.fit",
    "python-fitparse/developer-types-sample.fit",
    "runpandas/run.fit",
    "stride/run.fit",
    "stride/run_fr10.fit",
    "tormoder-fit/mornindew-broken.fit",
    "workoutizer/2019-09-18-16-02-35.fit",
    "workoutizer/2019-09-25-16-15-53.fit",
    "workoutizer/2020-08-31-17-41-11.fit",
    "workoutizer/run_with_coordinates.fit",
    "workoutizer/with_nones.fit",
)
NO_CADENCE = (  # no cadence sensor, or no session average
    "python-fitparse/2013-02-06-12-11-14.fit",
    "python-fitparse/activity-large-fenxi2-multisport.fit",
    "stride/run_fr10.fit",
)
# Foot activities with barometric altitude and a device ascent large enough to compare in percent.
ELEVATION = (
    "python-fitparse/2013-02-06-12-11-14.fit",
    "python-fitparse/activity-small-fenix2-run.fit",
    "python-fitparse/activity-large-fenxi2-multisport.fit",
    "runpandas/run.fit",
    "stride/run.fit",
    "tormoder-fit/mornindew-broken.fit",
    "workoutizer/2019-09-18-16-02-35.fit",
    "workoutizer/2020-08-20-09-34-33.fit",
    "workoutizer/2020-09-12-11-15-46.fit",
    "workoutizer/hike_with_coordinates_muggenbrunn.fit",
)
# The Forerunner 920XT counts each climb 2-4 m short of its low-to-high swing (lap by lap), 16 % in all.
ELEVATION_TOLERANCE = {"tormoder-fit/mornindew-broken.fit": 0.20}
# Running dynamics are recorded only while running, so multisport recordings and short files compare too.
DYNAMICS = (
    *SINGLE_LEG,
    "python-fitparse/garmin-fenix-5-run.fit",
    "python-fitparse/sample_mulitple_header.fit",
    "muktihari-fit/triathlon_summary_first.fit",
)
DYNAMICS_FIELDS = (
    ("gct_ms", "avg_gct_ms", col.GCT),
    ("vertical_oscillation_mm", "avg_vertical_oscillation_mm", col.VERTICAL_OSCILLATION),
    ("step_length_mm", "avg_step_length_mm", col.STEP_LENGTH),
)


@cache
def analysed(name: str) -> tuple[tuple[Activity, Signals], ...]:
    activities = read_fit((CORPUS / name).read_bytes(), name)
    return tuple((a, compute_signals(a)) for a in activities)


def _zero_cadence_share(activity: Activity) -> float:
    cadence = _column(activity.samples, col.CADENCE)
    return 0.0 if cadence is None else float(np.mean(cadence == 0))


@pytest.mark.parametrize("name", SINGLE_LEG)
def test_distance_agrees_with_the_device(name: str) -> None:
    for activity, signals in analysed(name):
        device = activity.device_totals["distance_m"]
        assert signals.distance_m == pytest.approx(device, rel=0.015)


@pytest.mark.parametrize("name", [n for n in SINGLE_LEG if n not in NO_CADENCE])
def test_cadence_agrees_with_the_device(name: str) -> None:
    for activity, signals in analysed(name):
        device = activity.device_totals["avg_cadence_spm"]
        assert signals.cadence_spm is not None
        if _zero_cadence_share(activity) <= 0.015:
            assert signals.cadence_spm == pytest.approx(device, rel=0.02)
        else:
            # Some watches (Forerunner 645) average the zero-cadence seconds of stops into the session
            # figure, others (Forerunner 25) do not; stops are not moving time here, so ours is never lower.
            assert signals.cadence_spm >= device * 0.98


@pytest.mark.parametrize("name", DYNAMICS)
def test_running_dynamics_agree_with_the_device(name: str) -> None:
    compared, why_not = 0, []
    for activity, signals in analysed(name):
        moving = moving_mask(activity.samples)
        for field, key, column in DYNAMICS_FIELDS:
            device = activity.device_totals.get(key)
            values = _column(activity.samples, column)
            if device is None or values is None:
                why_not.append(f"{field}: {'no device figure' if device is None else 'no records'}")
                continue
            coverage = np.mean(_plausible(values, column, activity.sport)[moving])
            if coverage < 0.98:  # the device also averages steps the records leave empty
                why_not.append(f"{field}: records cover {coverage:.0%} of the moving samples")
                continue
            assert getattr(signals, field) == pytest.approx(device, rel=0.03), field
            compared += 1
    if not compared:
        pytest.skip("nothing to compare: " + "; ".join(dict.fromkeys(why_not)))


@pytest.mark.parametrize("name", ELEVATION)
def test_elevation_gain_agrees_with_the_barometric_device_total(name: str) -> None:
    for activity, signals in analysed(name):
        assert activity.altitude_source == "barometric"
        device = activity.device_totals["ascent_m"]
        assert signals.device_ascent_m == pytest.approx(device)
        if device < 20:
            pytest.skip(f"the device's ascent of {device:.0f} m is too small to compare in percent")
        tolerance = ELEVATION_TOLERANCE.get(name, 0.15)
        assert signals.elevation_gain_m == pytest.approx(device, rel=tolerance)


def test_flat_road_and_hilly_runs_are_told_apart() -> None:
    road = analysed("stride/run.fit")[0][1]
    hilly = analysed("runpandas/run.fit")[0][1]
    assert road.surface == "road" and road.hill_session is False
    assert hilly.surface == "trail" and hilly.hill_session is True
    assert hilly.terrain_variability - road.terrain_variability > 50


def test_a_repeated_400_m_loop_is_recognised_as_a_track() -> None:
    ((activity, signals),) = analysed("workoutizer/with_nones.fit")
    assert activity.sub_sport == "generic"
    assert (signals.surface, signals.surface_source) == ("track", "inferred")


def test_placeholder_altitudes_on_a_real_run_count_as_no_value() -> None:
    ((activity, signals),) = analysed("stride/run.fit")

    def with_altitude(fill: float) -> Signals:
        samples = activity.samples.copy()
        altitude = samples[col.ALTITUDE].to_numpy(copy=True)
        altitude[:3] = fill  # a watch's "no value" before the barometer settled ...
        altitude[1000] = 0.0 if fill == -500.0 else fill  # ... and a 0.0 mid-run
        samples[col.ALTITUDE] = altitude
        return compute_signals(dataclasses.replace(activity, samples=samples))

    placeholders, missing = with_altitude(-500.0), with_altitude(float("nan"))
    assert placeholders.elevation_gain_m == missing.elevation_gain_m
    assert placeholders.elevation_loss_m == missing.elevation_loss_m
    assert placeholders.elevation_gain_m == pytest.approx(signals.elevation_gain_m, abs=3.0)


def test_a_gpx_whose_first_points_read_zero_climbs_as_if_they_had_no_elevation() -> None:
    from stridelink.readers.gpx import read_gpx

    data = (CORPUS / "togeojson/run.gpx").read_bytes()
    zeroed = re.sub(rb"<ele>[^<]*</ele>", b"<ele>0.0</ele>", data, count=12)
    without = re.sub(rb"<ele>[^<]*</ele>", b"", data, count=12)
    assert zeroed.count(b"<ele>0.0</ele>") == 12
    (placeholder,) = read_gpx(zeroed, "run.gpx")
    (missing,) = read_gpx(without, "run.gpx")
    expected = compute_signals(missing).elevation_gain_m
    assert expected is not None and expected > 50
    assert compute_signals(placeholder).elevation_gain_m == expected
