from __future__ import annotations

import numpy as np
import pytest

from stridelink.signals import elevation


def test_step_below_the_hysteresis_is_not_a_climb() -> None:
    alt = np.array([100.0] * 10 + [102.0] * 10 + [100.0] * 10)
    assert elevation.gain_loss_m(alt, 3.0) == (0.0, 0.0)


def test_step_above_the_hysteresis_counts_in_full() -> None:
    alt = np.array([100.0] * 10 + [105.0] * 10 + [100.0] * 10)
    assert elevation.gain_loss_m(alt, 3.0) == (5.0, 5.0)


def test_a_climb_counts_from_its_low_point_to_its_high_point() -> None:
    # 0 -> 100 m in 0.2 m steps, down to 40 m, with sub-threshold wobble on the way up
    up = np.arange(0.0, 100.2, 0.2)
    up[100:110] -= 1.0
    alt = np.concatenate((up, np.arange(100.0, 39.8, -0.2)))
    gain, loss = elevation.gain_loss_m(alt, 3.0)
    assert gain == pytest.approx(100.0)
    assert loss == pytest.approx(60.0)


def test_swings_smaller_than_the_band_at_start_and_end_do_not_count() -> None:
    alt = np.array([10.0, 8.0, 20.0, 18.5])
    assert elevation.gain_loss_m(alt, 3.0) == pytest.approx((12.0, 0.0))


def test_a_settling_spike_at_the_start_is_removed_but_a_recalibration_step_stays() -> None:
    alt = np.concatenate(([55.0, 142.4, 142.4, 142.4], np.full(50, 56.0), np.full(50, 68.0)))
    cleaned = elevation.despiked(alt)
    assert cleaned.max() == 68.0
    assert elevation.gain_loss_m(cleaned, 3.0) == pytest.approx((13.0, 0.0), abs=0.01)


def test_ramp_of_known_grade() -> None:
    distance = np.arange(0.0, 1001.0, 1.0)
    altitude = 200.0 + 0.05 * distance  # 5 %
    t = distance / 3.0
    summary = elevation.summarise(t, distance, altitude, "barometric")
    assert summary.gain_m == pytest.approx(50.0)
    assert summary.loss_m == 0.0
    grades = elevation.grades_pct(elevation.altitude_profile(distance, altitude, "barometric"))
    assert np.allclose(grades, 5.0, atol=0.01)
    assert summary.grade_std_pct == pytest.approx(0.0, abs=0.01)
    assert summary.swings is not None and len(summary.swings) == 1
    climb = summary.swings[0]
    assert climb.grade_pct == pytest.approx(5.0, abs=0.1)
    assert climb.duration_s == pytest.approx(1000.0 / 3.0, rel=0.02)


def test_grade_is_taken_over_distance_not_per_sample() -> None:
    # a flat road recorded with 0.2 m barometer steps every 2 m: per sample that is a 10 % grade
    distance = np.arange(0.0, 2000.0, 2.0)
    altitude = 300.0 + 0.2 * (np.arange(len(distance)) % 2)
    summary = elevation.summarise(distance / 3.0, distance, altitude, "barometric")
    assert summary.grade_std_pct is not None and summary.grade_std_pct < 1.0


def test_gps_noise_on_a_flat_route_adds_no_climb() -> None:
    rng = np.random.default_rng(7)
    distance = np.arange(0.0, 5000.0, 3.0)
    altitude = 50.0 + rng.normal(0.0, 2.0, len(distance))
    raw_sum = float(np.clip(np.diff(altitude), 0, None).sum())
    summary = elevation.summarise(distance / 3.0, distance, altitude, "gps")
    assert raw_sum > 1000.0
    assert summary.gain_m is not None and summary.gain_m < 10.0
    # the same trace read as barometric (3 m band, no smoothing) counts the noise
    assert (
        elevation.summarise(distance / 3.0, distance, altitude, "barometric").gain_m > 5 * summary.gain_m + 50
    )


def test_gps_altitude_keeps_a_real_hill() -> None:
    rng = np.random.default_rng(3)
    distance = np.arange(0.0, 4000.0, 3.0)
    hill = np.interp(distance, [0, 1000, 2000, 4000], [100, 100, 180, 100])
    summary = elevation.summarise(distance / 3.0, distance, hill + rng.normal(0.0, 1.5, len(distance)), "gps")
    assert summary.gain_m == pytest.approx(80.0, abs=8.0)
    assert summary.loss_m == pytest.approx(80.0, abs=8.0)


def test_no_altitude_gives_no_elevation_signals() -> None:
    t = np.arange(100.0)
    summary = elevation.summarise(t, t * 3.0, None, None)
    assert summary == elevation.ElevationSummary()
    assert summary.swings is None


def test_on_distance_grid_interpolates_and_merges_stops() -> None:
    distance = np.array([0.0, 2.0, 2.0, 2.0, 12.0, 14.0])
    values = np.array([0.0, 1.0, 2.0, 3.0, 12.0, 100.0])
    grid = elevation.on_distance_grid(distance, values, 5.0)
    # the stop at 2 m counts once (mean 2.0); points at 0, 5 and 10 m
    assert grid.tolist() == pytest.approx([0.0, 5.0, 10.0])


def _grid_by_sorting(distance: np.ndarray, values: np.ndarray, step_m: float) -> np.ndarray:
    """The grid as first written: sort by distance, average each distance's values with numpy's unique."""
    ok = np.isfinite(distance) & np.isfinite(values)
    d, v = distance[ok], values[ok]
    order = np.argsort(d, kind="stable")
    unique_d, inverse = np.unique(d[order], return_inverse=True)
    mean_v = np.bincount(inverse, weights=v[order]) / np.bincount(inverse)
    grid = unique_d[0] + step_m * np.arange(int((unique_d[-1] - unique_d[0]) // step_m) + 1)
    return np.interp(grid, unique_d, mean_v)


@pytest.mark.parametrize("shape", ["ascending", "stops", "unsorted", "gaps"])
def test_on_distance_grid_equals_sorting_and_averaging(shape: str) -> None:
    """Routes in order (the usual case, taken without sorting), with stops, out of order and with NaN: the
    very numbers of sorting and averaging every time."""
    rng = np.random.default_rng(3)
    distance = np.cumsum(rng.uniform(0.5, 4.0, 2000))
    values = 300.0 + np.cumsum(rng.normal(0.0, 0.3, 2000))
    values[::97] = -0.0
    if shape == "stops":
        distance[500:700] = distance[500]
        distance[1500:1503] = distance[1500]
    elif shape == "unsorted":
        distance = rng.permutation(np.round(distance, -1))
    elif shape == "gaps":
        distance[rng.random(2000) < 0.05] = np.nan
        values[rng.random(2000) < 0.05] = np.nan
    ours = elevation.on_distance_grid(distance, values, 5.0)
    expected = _grid_by_sorting(distance, values, 5.0)
    assert ours.tobytes() == expected.tobytes()  # bit for bit, signed zeros included


def test_placeholder_altitudes_are_masked() -> None:
    t = np.arange(12.0)
    at_start = elevation.plausible_altitude(np.array([-500.0, *np.linspace(285, 300, 11)]), t)
    assert np.isnan(at_start[0]) and np.isfinite(at_start[1:]).all()
    zeros = elevation.plausible_altitude(np.array([0.0, 0.0, 0.0, *np.linspace(510, 520, 9)]), t)
    assert np.isnan(zeros[:3]).all() and np.isfinite(zeros[3:]).all()
    stray = elevation.plausible_altitude(np.array([*np.linspace(285, 300, 11), 1011.0]), t)
    assert np.isnan(stray[-1]) and np.isfinite(stray[:-1]).all()


def test_real_altitude_near_sea_level_and_a_steady_big_climb_stay() -> None:
    t = np.arange(10.0)
    coast = np.array([2.0, 1.0, 0.0, 0.0, 1.0, 3.0, 5.0, 4.0, 3.0, 2.0])
    np.testing.assert_array_equal(elevation.plausible_altitude(coast, t), coast)
    climb = np.linspace(500.0, 2000.0, 3000)  # 1,500 m at 0.5 m/s
    np.testing.assert_array_equal(elevation.plausible_altitude(climb, np.arange(3000.0)), climb)


def test_a_minus_500_placeholder_adds_no_climb() -> None:
    t = np.arange(600.0)
    altitude = 285.0 + 15.0 * (0.5 - 0.5 * np.cos(t / 600.0 * 2 * np.pi))  # 285 -> 300 -> 285
    altitude[0] = -500.0
    summary = elevation.summarise(t, 3.0 * t, altitude, "barometric")
    assert summary.gain_m == pytest.approx(15.0, abs=1.0)
    assert summary.loss_m == pytest.approx(15.0, abs=1.0)


def test_gps_steps_within_the_routes_own_range_stay() -> None:
    # a climb from 500 to 900 m on phone GPS whose altitude jumps 60-80 m three times: all of it is terrain
    t = np.arange(2000.0)
    altitude = np.linspace(500.0, 900.0, 2000)
    altitude[400:700] += 80.0
    altitude[1200:1300] -= 60.0
    altitude[1700:] += 70.0
    np.testing.assert_array_equal(elevation.plausible_altitude(altitude, t), altitude)
