from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from stridelink import columns as col
from stridelink.models import Activity, Signals
from stridelink.signals.compute import METHOD_VERSION, compute_signals, moving_mask

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def activity(
    t_s: np.ndarray,
    columns: Mapping[str, np.ndarray],
    *,
    sport: str = "running",
    sub_sport: str | None = None,
    altitude_source: str | None = None,
    device_totals: Mapping[str, float] | None = None,
) -> Activity:
    data = {col.TIMESTAMP: pd.Timestamp(START) + pd.to_timedelta(t_s, unit="s")}
    data.update({name: np.asarray(values, dtype=float) for name, values in columns.items()})
    return Activity(
        sport=sport,
        sub_sport=sub_sport,
        start_utc=START,
        source_format="fit",
        samples=pd.DataFrame(data),
        altitude_source=altitude_source,
        device_totals=dict(device_totals or {}),
    )


def steady(seconds: int, speed_mps: float = 3.0, **extra: float) -> Activity:
    t = np.arange(seconds + 1, dtype=float)
    columns = {col.SPEED: np.full(len(t), speed_mps), col.DISTANCE: t * speed_mps}
    columns.update({name: np.full(len(t), value) for name, value in extra.items()})
    return activity(t, columns)


def test_totals_of_a_steady_run() -> None:
    s = compute_signals(steady(600, cadence_spm=170.0, heart_rate_bpm=150.0))
    assert s.method_version == METHOD_VERSION
    assert s.distance_m == 1800.0
    assert s.duration_s == 600.0
    assert s.moving_time_s == 600.0
    assert s.speed_mps == 3.0
    assert s.cadence_spm == 170.0
    assert s.heart_rate_bpm == 150.0
    assert s.gct_ms is None and s.step_length_mm is None  # the file carries no running dynamics
    assert s.elevation_gain_m is None and s.hill_session is None


def test_a_standing_stop_with_the_timer_running_is_timer_time_but_not_in_the_means() -> None:
    t = np.arange(660, dtype=float)
    standing = (t >= 300) & (t < 360)
    speed = np.where(standing, 0.0, 3.0)
    distance = np.concatenate(([0.0], np.cumsum(speed[1:])))
    cadence = np.where(standing, 0.0, 170.0)
    s = compute_signals(activity(t, {col.SPEED: speed, col.DISTANCE: distance, col.CADENCE: cadence}))
    assert s.duration_s == 659.0
    assert s.moving_time_s == 659.0  # the watch wrote every second: its timer ran, as a watch's timer time does
    assert s.speed_mps == pytest.approx(distance[-1] / 659.0, abs=1e-3)  # the device's own average speed: distance / timer
    assert s.cadence_spm == 170.0  # the standing minute is not in the means


def test_moving_time_follows_the_device_timer_where_the_file_has_one() -> None:
    # a watch that writes a record every 30 s while standing, its timer running (no pause), then a real pause
    t = np.concatenate((np.arange(301.0), 300.0 + 30.0 * np.arange(1, 11), 800.0 + np.arange(301.0)))
    distance = np.concatenate((np.arange(301.0) * 3.0, np.full(10, 900.0), 900.0 + np.arange(301.0) * 3.0))
    samples = {col.DISTANCE: distance, col.SPEED: np.full(len(t), 3.0)}
    # the timer ran 900 s of the 1100: the 200 s silence was the pause, the 30 s silences were not
    with_timer = compute_signals(activity(t, samples, device_totals={"timer_time_s": 900.0}))
    assert with_timer.moving_time_s == 900.0
    assert with_timer.speed_mps == pytest.approx(2.0)
    # without the device's figure every still silence is a pause
    assert compute_signals(activity(t, samples)).moving_time_s == 600.0
    # a watch that never paused: the silences were standing with the timer running
    never = compute_signals(activity(t, samples, device_totals={"timer_time_s": 1100.0}))
    assert never.moving_time_s == 1100.0


def test_a_watch_that_records_through_its_pauses_gets_its_timer_time() -> None:
    # 40 minutes of running with two paused stretches of 10 and 5 minutes, records every second throughout
    t = np.arange(3301.0)
    paused = ((t > 1200) & (t <= 1800)) | ((t > 2400) & (t <= 2700))
    speed = np.where(paused, 0.0, 3.0)
    distance = np.concatenate(([0.0], np.cumsum(speed[1:])))
    cadence = np.where(paused, 0.0, 178.0)
    samples = {col.SPEED: speed, col.DISTANCE: distance, col.CADENCE: cadence}
    s = compute_signals(activity(t, samples, device_totals={"timer_time_s": 2400.0}))
    assert s.moving_time_s == 2400.0
    assert s.speed_mps == pytest.approx(3.0)  # not 23 km/h, nor diluted by the pauses
    assert s.cadence_spm == 178.0


def test_an_auto_pause_gap_is_not_moving_time_but_sparse_recording_is() -> None:
    # 300 s at 1 Hz, then the watch pauses for 120 s (distance does not advance), then 300 s more
    t = np.concatenate((np.arange(301.0), 420.0 + np.arange(301.0)))
    distance = np.concatenate((np.arange(301.0) * 3.0, 900.0 + np.arange(301.0) * 3.0))
    paused = compute_signals(activity(t, {col.DISTANCE: distance, col.SPEED: np.full(len(t), 3.0)}))
    assert paused.duration_s == 720.0
    assert paused.moving_time_s == 600.0
    # a point every 20 s while running on: every interval is moving
    t_sparse = np.arange(0.0, 620.0, 20.0)
    sparse = compute_signals(activity(t_sparse, {col.DISTANCE: t_sparse * 3.0}))
    assert sparse.moving_time_s == 600.0
    assert sparse.speed_mps == pytest.approx(3.0)


def test_zero_cadence_is_not_moving_even_when_gps_speed_drifts() -> None:
    t = np.arange(901, dtype=float)
    standing = (t > 300) & (t <= 400)
    speed = np.where(standing, 0.8, 3.0)  # GPS wander while standing still
    cadence = np.where(standing, 0.0, 172.0)
    s = activity(t, {col.SPEED: speed, col.CADENCE: cadence})
    mask = moving_mask(s.samples)
    assert not mask[standing].any()
    assert mask[~standing].all()
    signals = compute_signals(s)
    assert signals.moving_time_s == 900.0  # timer time: the watch recorded throughout
    assert signals.cadence_spm == 172.0


def test_means_are_time_weighted_over_uneven_samples() -> None:
    # smart recording: 30 samples 1 s apart at 160 spm, then 10 samples 5 s apart at 180 spm
    t = np.concatenate((np.arange(30.0), 29.0 + 5.0 * np.arange(1, 11)))
    cadence = np.concatenate((np.full(30, 160.0), np.full(10, 180.0)))
    s = compute_signals(activity(t, {col.SPEED: np.full(40, 3.0), col.CADENCE: cadence}))
    assert s.cadence_spm == pytest.approx((160 * 30 + 180 * 50) / 80)  # 172.5; per sample it would be 165


def test_implausible_running_dynamics_are_ignored() -> None:
    t = np.arange(100, dtype=float)
    gct = np.full(100, 250.0)
    gct[::10] = 0.0
    gct[5::10] = 1500.0
    cadence = np.full(100, 170.0)
    cadence[3::10] = 40.0  # below running cadence: a sensor glitch, not a step rate
    balance = np.full(100, 49.0)
    balance[7] = 95.0
    s = compute_signals(
        activity(
            t,
            {
                col.SPEED: np.full(100, 3.0),
                col.CADENCE: cadence,
                col.GCT: gct,
                col.GCT_BALANCE: balance,
                col.VERTICAL_OSCILLATION: np.full(100, 90.0),
                col.VERTICAL_RATIO: np.full(100, 8.0),
                col.STEP_LENGTH: np.full(100, 1050.0),
            },
        )
    )
    assert s.gct_ms == 250.0
    assert s.cadence_spm == 170.0
    assert s.gct_balance_left_pct == 49.0
    assert (s.vertical_oscillation_mm, s.vertical_ratio_pct, s.step_length_mm) == (90.0, 8.0, 1050.0)


def test_walking_cadence_is_plausible_for_a_walk() -> None:
    a = steady(600, speed_mps=1.4, cadence_spm=55.0)
    walk = Activity(**{**a.__dict__, "sport": "walking"})
    assert compute_signals(walk).cadence_spm == 55.0
    assert compute_signals(a).cadence_spm is None


def test_drift_compares_the_last_third_with_the_first() -> None:
    t = np.arange(901, dtype=float)
    third = np.minimum(t // 300, 2).astype(int)
    cadence = np.array([170.0, 165.0, 161.5])[third]  # -5 %
    gct = np.array([240.0, 246.0, 252.0])[third]  # +5 %
    s = compute_signals(activity(t, {col.SPEED: np.full(901, 3.0), col.CADENCE: cadence, col.GCT: gct}))
    assert s.cadence_drift_pct == pytest.approx(-5.0, abs=0.05)
    assert s.gct_drift_pct == pytest.approx(5.0, abs=0.05)


def test_drift_thirds_are_of_moving_time() -> None:
    # a 10-minute stop in the middle third changes nothing: thirds are 300 s of moving each
    t = np.arange(1501, dtype=float)
    stop = (t > 450) & (t <= 1050)
    speed = np.where(stop, 0.0, 3.0)
    cadence = np.where(t <= 300, 170.0, np.where(t > 1200, 161.5, 165.0))
    s = compute_signals(activity(t, {col.SPEED: speed, col.CADENCE: np.where(stop, 0.0, cadence)}))
    assert s.moving_time_s == 1500.0  # the timer ran through the stop; the thirds are of moving samples
    assert s.cadence_drift_pct == pytest.approx(-5.0, abs=0.05)


def test_no_drift_for_a_short_run() -> None:
    s = compute_signals(steady(300, cadence_spm=170.0, gct_ms=240.0))
    assert s.cadence_drift_pct is None and s.gct_drift_pct is None


def test_distance_from_positions_when_the_file_has_none() -> None:
    # 4 x 100 m around a square, a point every 10 m, 1 point per 3.33 s
    side = np.arange(0.0, 100.0, 10.0)
    east = np.concatenate((side, np.full(10, 100.0), 100.0 - side, np.zeros(10), [0.0]))
    north = np.concatenate((np.zeros(10), side, np.full(10, 100.0), 100.0 - side, [0.0]))
    lat = 45.0 + np.degrees(north / 6_371_008.8)
    lon = 6.0 + np.degrees(east / (6_371_008.8 * np.cos(np.radians(45.0))))
    t = np.arange(len(lat)) * 10.0 / 3.0
    s = compute_signals(activity(t, {col.LAT: lat, col.LON: lon}))
    assert s.distance_m == pytest.approx(400.0, rel=1e-3)
    assert s.speed_mps == pytest.approx(3.0, rel=1e-3)


def test_a_multisport_leg_counts_only_its_own_distance() -> None:
    # the leg's distance column continues from the previous leg, and the last sample is the next leg's 0
    t = np.arange(601, dtype=float)
    distance = 5000.0 + 3.0 * t
    distance[-1] = 0.4
    s = compute_signals(activity(t, {col.DISTANCE: distance}))
    assert s.distance_m == 1797.0


def test_device_totals_and_altitude_signals() -> None:
    t = np.arange(1001, dtype=float)
    distance = 3.0 * t
    altitude = 100.0 + 0.06 * distance  # a 6 % climb of 180 m over 3 km
    a = activity(
        t,
        {col.DISTANCE: distance, col.ALTITUDE: altitude},
        altitude_source="barometric",
        device_totals={"ascent_m": 148.0, "descent_m": 1.0},
    )
    s = compute_signals(a)
    assert s.elevation_gain_m == pytest.approx(180.0)
    assert s.elevation_loss_m == 0.0
    assert (s.device_ascent_m, s.device_descent_m) == (148.0, 1.0)
    assert s.climb_m_per_km == pytest.approx(60.0)
    assert s.grade_std_pct == pytest.approx(0.0, abs=0.01)
    assert s.hill_session is True  # one sustained climb
    assert s.surface_source == "inferred"


def test_empty_samples_give_an_empty_record() -> None:
    a = activity(np.zeros(0), {})
    assert compute_signals(a) == Signals(method_version=METHOD_VERSION)
    assert moving_mask(a.samples).shape == (0,)


def test_every_field_is_filled_for_a_full_file() -> None:
    t = np.arange(1801, dtype=float)
    distance = 3.0 * t
    east = distance  # straight east
    lat = np.full(len(t), 45.0)
    lon = 6.0 + np.degrees(east / (6_371_008.8 * np.cos(np.radians(45.0))))
    a = activity(
        t,
        {
            col.LAT: lat,
            col.LON: lon,
            col.DISTANCE: distance,
            col.SPEED: np.full(len(t), 3.0),
            col.ALTITUDE: 100.0 + 5.0 * np.sin(distance / 300.0),
            col.HEART_RATE: np.full(len(t), 150.0),
            col.CADENCE: 170.0 + np.sin(t),
            col.GCT: 240.0 + np.cos(t),
            col.GCT_BALANCE: np.full(len(t), 50.5),
            col.VERTICAL_OSCILLATION: np.full(len(t), 90.0),
            col.VERTICAL_RATIO: np.full(len(t), 8.0),
            col.STEP_LENGTH: 1050.0 + np.sin(t),
        },
        sub_sport="road",
        altitude_source="barometric",
        device_totals={"ascent_m": 80.0, "descent_m": 80.0},
    )
    s = compute_signals(a)
    missing = [name for name, value in s.to_dict().items() if value is None]
    assert missing == []
    assert (s.surface, s.surface_source) == ("road", "device")


def test_a_distance_glitch_neither_inflates_the_distance_nor_the_work() -> None:
    run = steady(600)
    glitched = run.samples.copy()
    glitched.loc[300:, col.DISTANCE] += 10_741_000.0  # one damaged record: a 10,741 km jump
    s = compute_signals(Activity("running", None, START, "fit", glitched))
    assert s.distance_m == pytest.approx(1800.0, abs=5.0)  # only the damaged step is lost
    assert s.climb_m_per_km is None
