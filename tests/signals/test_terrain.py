from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from stridelink.demo import simulator as synthetic
from stridelink.signals import terrain
from stridelink.signals.elevation import Swing
from stridelink.models import Activity
from stridelink.readers.gpx import read_gpx
from stridelink.signals.compute import compute_signals
from stridelink.units import EARTH_RADIUS_M

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def grid_of(east_m: np.ndarray, north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A route given every metre, through the same distance grid the signals use."""
    lat = 45.0 + np.degrees(north_m / EARTH_RADIUS_M)
    lon = 6.0 + np.degrees(east_m / (EARTH_RADIUS_M * np.cos(np.radians(45.0))))
    distance = np.cumsum(terrain.step_distance_m(lat, lon))
    return terrain.route_grid(distance, lat, lon)


def square_loop(side_m: float, laps: int) -> tuple[np.ndarray, np.ndarray]:
    s = np.arange(0.0, 4 * side_m * laps) % (4 * side_m)
    leg, u = s // side_m, s % side_m
    east = np.select([leg == 0, leg == 1, leg == 2], [u, side_m, side_m - u], 0.0)
    north = np.select([leg == 0, leg == 1, leg == 2], [0.0, u, side_m], side_m - u)
    return east, north


def circle_loop(circumference_m: float, laps: int) -> tuple[np.ndarray, np.ndarray]:
    r = circumference_m / (2 * np.pi)
    a = np.arange(0.0, circumference_m * laps) / r
    return r * np.cos(a), r * np.sin(a)


def test_square_loop_turns_90_degrees_every_100_m() -> None:
    x, y = grid_of(*square_loop(100.0, 5))
    assert terrain.turning_deg_per_100m(x, y) == pytest.approx(90.0, rel=0.05)


def test_a_straight_route_and_gps_wobble_do_not_turn() -> None:
    rng = np.random.default_rng(0)
    east = np.arange(0.0, 3000.0)
    north = np.convolve(
        rng.normal(0, 1.0, len(east) + 40), np.ones(41) / 41 * 3.0, mode="valid"
    )  # ~1 m wander
    x, y = grid_of(east, north)
    assert terrain.turning_deg_per_100m(x, y) < 5.0


def test_a_repeated_400_m_loop_is_a_track() -> None:
    assert terrain.is_track(*grid_of(*circle_loop(400.0, 8)))
    assert terrain.is_track(*grid_of(*square_loop(100.0, 8)))  # 400 m around a block: a loop of track length


def test_other_loops_and_routes_are_not_a_track() -> None:
    assert not terrain.is_track(*grid_of(*circle_loop(100.0, 30)))  # a smaller loop matches at half a lap
    assert not terrain.is_track(*grid_of(*circle_loop(1000.0, 4)))
    east = np.concatenate((np.arange(0.0, 2000.0), np.arange(2000.0, 0.0, -1.0)))  # out and back
    assert not terrain.is_track(*grid_of(east, np.zeros(len(east))))


def test_score_uses_fixed_weights_renormalised_over_present_components() -> None:
    # climb density halfway between its 0-level (5 m/km) and 1-level (40 m/km)
    assert terrain.terrain_variability(terrain.TerrainEvidence(climb_m_per_km=22.5)) == 50.0
    both = terrain.TerrainEvidence(climb_m_per_km=22.5, grade_std_pct=10.0)  # grade spread at its 1-level
    assert terrain.terrain_variability(both) == pytest.approx(100 * (0.25 * 0.5 + 0.30 * 1.0) / 0.55, abs=0.1)
    flat = terrain.TerrainEvidence(0.5, 1.0, 5.0, 0.2)
    assert terrain.terrain_variability(flat) == 0.0
    assert terrain.terrain_variability(terrain.TerrainEvidence()) is None


def test_gait_variability_is_detrended_and_robust() -> None:
    rng = np.random.default_rng(1)
    pace_steps = np.repeat([160.0, 175.0, 165.0], 400)  # interval changes are not variability
    noisy = pace_steps * (1 + 0.02 * rng.standard_normal(1200))
    noisy[::50] = 110.0  # a few walking steps do not dominate
    assert terrain.gait_cv_pct([noisy]) == pytest.approx(2.0, abs=0.25)
    assert terrain.gait_cv_pct([pace_steps]) == 0.0
    assert terrain.gait_cv_pct([noisy[:50]]) is None  # too few samples


@pytest.mark.parametrize(
    ("sub_sport", "surface"),
    [
        ("trail", "trail"),
        ("track", "track"),
        ("treadmill", "treadmill"),
        ("indoor_running", "treadmill"),
        ("road", "road"),
        ("street", "road"),
    ],
)
def test_the_device_sub_sport_names_the_surface(sub_sport: str, surface: str) -> None:
    got = terrain.surface(
        sub_sport, has_position=False, distance_m=None, moving_time_s=None, track=False, terrain_score=None
    )
    assert got == (surface, "device")


def test_inferred_surfaces() -> None:
    common = {"distance_m": 5000.0, "moving_time_s": 1800.0, "track": False}
    assert terrain.surface(None, has_position=False, terrain_score=None, **common) == (
        "treadmill",
        "inferred",
    )
    assert terrain.surface("generic", has_position=True, terrain_score=72.0, **common) == (
        "trail",
        "inferred",
    )
    assert terrain.surface(None, has_position=True, terrain_score=12.0, **common) == ("road", "inferred")
    assert terrain.surface(None, has_position=True, terrain_score=None, **common) == ("unknown", "inferred")
    track = {**common, "track": True}
    assert terrain.surface(None, has_position=True, terrain_score=30.0, **track) == ("track", "inferred")
    short = {"distance_m": 150.0, "moving_time_s": 57.0, "track": False}
    assert terrain.surface(None, has_position=True, terrain_score=80.0, **short) == ("unknown", "inferred")


def test_hill_sessions() -> None:
    repeat = [Swing(15.0, 200.0, 60.0), Swing(-15.0, 200.0, 50.0)]
    assert terrain.hill_session(repeat * 4) is True
    assert terrain.hill_session(repeat * 3) is False
    assert terrain.hill_session([Swing(80.0, 1000.0, 600.0)]) is True  # 8 % for 10 minutes
    assert terrain.hill_session([Swing(80.0, 1000.0, 120.0)]) is False  # too short to be sustained
    assert terrain.hill_session([Swing(-70.0, 1000.0, 400.0)]) is True  # a long descent loads too
    assert terrain.hill_session([Swing(40.0, 2000.0, 700.0)]) is False  # 2 %: a drag, not a hill
    assert terrain.hill_session(()) is False
    assert terrain.hill_session(None) is None


def _without_sub_sport(run: synthetic.SyntheticRun) -> Activity:
    return Activity(
        sport="running",
        sub_sport=None,
        start_utc=run.start_utc,
        source_format="fit",
        samples=run.samples,
        altitude_source="barometric",
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_synthetic_trail_exported_as_gpx_is_inferred_trail(seed: int) -> None:
    run = synthetic.make_run("trail", START, seed=seed)
    (gpx,) = read_gpx(synthetic.to_gpx(run), "trail.gpx")
    assert gpx.sub_sport is None
    s = compute_signals(gpx)
    assert (s.surface, s.surface_source) == ("trail", "inferred")
    assert s.hill_session is True


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_synthetic_easy_road_is_inferred_road_and_no_hill_session(seed: int) -> None:
    run = synthetic.make_run("easy_road", START, seed=seed)
    s = compute_signals(_without_sub_sport(run))
    assert (s.surface, s.surface_source) == ("road", "inferred")
    assert s.hill_session is False
    (gpx,) = read_gpx(synthetic.to_gpx(run), "road.gpx")
    assert compute_signals(gpx).surface == "road"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_synthetic_hill_repeats_are_a_hill_session_on_the_road(seed: int) -> None:
    s = compute_signals(_without_sub_sport(synthetic.make_run("hill_repeats", START, seed=seed)))
    assert s.hill_session is True
    assert s.surface == "road"


def test_synthetic_track_and_treadmill_are_recognised_without_sub_sport() -> None:
    track = compute_signals(_without_sub_sport(synthetic.make_run("track_intervals", START, seed=0)))
    assert track.surface == "track"
    assert track.terrain_variability is not None and track.terrain_variability < 10.0  # smooth, flat bends
    treadmill = synthetic.make_run("treadmill", START, seed=0)
    assert compute_signals(_without_sub_sport(treadmill)).surface == "treadmill"


def test_terrain_score_separates_synthetic_trail_from_road() -> None:
    scores = {
        kind: compute_signals(_without_sub_sport(synthetic.make_run(kind, START, seed=3))).terrain_variability
        for kind in ("trail", "easy_road", "long_run")
    }
    assert scores["trail"] >= 60.0
    assert max(scores["easy_road"], scores["long_run"]) <= 20.0


def test_loop_shares_of_all_lap_lengths_at_once_equal_each_lap_alone() -> None:
    x, y = grid_of(*circle_loop(400.0, 3))
    rng = np.random.default_rng(5)
    x, y = x + rng.normal(0.0, 8.0, len(x)), y + rng.normal(0.0, 8.0, len(y))
    lags = [1, 40, 76, 80, 88, len(x) - 1, len(x), len(x) + 5]
    shares = terrain._loop_shares(x, y, lags)
    for lag, share in zip(lags, shares, strict=True):
        alone = float(np.mean(np.hypot(x[lag:] - x[:-lag], y[lag:] - y[:-lag]) <= 20.0)) if lag < len(x) else 0.0
        assert share == alone
    assert 0.0 < shares[3] < 1.0  # noise puts some points of a lap out of reach: the comparison means something
