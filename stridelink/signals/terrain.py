"""Terrain: how variable the ground was, which surface the run was on, and whether it was a hill session.

Method, parameters and the evidence behind them: docs/signals.md. In short:

- ``terrain_variability`` (0-100) combines up to four components, each mapped linearly from a "smooth road"
  level (0) to a "rugged trail" level (1) and clipped: grade spread, climb density, route turning (heading
  change per 100 m over 25 m chords, changes under 15 degrees dropped as GPS noise) and gait variability
  (robust detrended coefficient of variation of cadence, ground-contact time and step length). Fixed weights,
  renormalised over the components the file allows.
- ``surface``: the device's sub_sport when it names one; otherwise inferred: no position but a distance is a
  treadmill, a route that repeats a ~400 m loop is a track, then trail or road from the terrain evidence.
- ``hill_session``: sustained climbing or descending, or hill repeats, from the climbs of the altitude profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stridelink.signals.elevation import GRID_STEP_M, Swing, on_distance_grid, window_medians
from stridelink.medians import median, nanmedian
from stridelink.units import EARTH_RADIUS_M, haversine_steps_m

# sub_sport (FIT names) -> surface, when the device says so
DEVICE_SURFACES = {
    "trail": "trail",
    "track": "track",
    "treadmill": "treadmill",
    "indoor_running": "treadmill",
    "virtual_activity": "treadmill",
    "road": "road",
    "street": "road",
}

# Terrain components: (0-level, 1-level, weight).
COMPONENTS = {
    "grade_std_pct": (2.0, 10.0, 0.30),
    "climb_m_per_km": (5.0, 40.0, 0.25),
    "turning_deg_per_100m": (20.0, 120.0, 0.25),
    "gait_cv_pct": (0.5, 3.0, 0.20),
}
CHORD_M = 25.0
MIN_TURN_DEG = 15.0
MIN_ROUTE_M = 500.0
GAIT_WINDOW = 31  # samples in the running median that removes pace changes before the spread is taken
MIN_GAIT_SAMPLES = 120

# Surface inference
MIN_SURFACE_MOVING_S = 300.0
MIN_SURFACE_DISTANCE_M = 1000.0
TRAIL_SCORE = 50.0
TRACK_LAP_RANGE_M = (380.0, 440.0)
TRACK_MATCH_M = 20.0
TRACK_MIN_SHARE = 0.6
TRACK_MAX_HALF_SHARE = 0.2
TRACK_MAX_EXTENT_M = 250.0

# Hill sessions
SUSTAINED_GRADE_PCT = 5.0
SUSTAINED_MIN_S = 180.0
SUSTAINED_TOTAL_M = 60.0
REPEAT_GRADE_PCT = 5.0
REPEAT_MIN_RISE_M = 12.0
REPEAT_COUNT = 4


@dataclass(frozen=True, slots=True)
class TerrainEvidence:
    """The raw components of the terrain score; ``None`` where the file cannot tell."""

    grade_std_pct: float | None = None
    climb_m_per_km: float | None = None
    turning_deg_per_100m: float | None = None
    gait_cv_pct: float | None = None


def step_distance_m(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distance from each point to the next, 0 for the first and across gaps."""
    steps = haversine_steps_m(lat_deg, lon_deg)
    return np.concatenate(([0.0], np.nan_to_num(steps, nan=0.0)))


def local_xy_m(lat_deg: np.ndarray, lon_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """East/north metres around the route's median point (equirectangular; fine over a run's extent)."""
    lat0, lon0 = nanmedian(lat_deg), nanmedian(lon_deg)
    y = np.radians(lat_deg - lat0) * EARTH_RADIUS_M
    x = np.radians(lon_deg - lon0) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    return x, y


def route_grid(
    distance_m: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (local metres) every ``GRID_STEP_M`` of distance; empty arrays without positions."""
    ok = np.isfinite(lat_deg) & np.isfinite(lon_deg) & np.isfinite(distance_m)
    if ok.sum() < 2:
        return np.zeros(0), np.zeros(0)
    x, y = local_xy_m(lat_deg[ok], lon_deg[ok])
    return on_distance_grid(distance_m[ok], x), on_distance_grid(distance_m[ok], y)


def turning_deg_per_100m(grid_x: np.ndarray, grid_y: np.ndarray) -> float | None:
    """Heading change per 100 m over successive 25 m chords; changes under 15 degrees are GPS noise."""
    every = max(1, round(CHORD_M / GRID_STEP_M))
    x, y = grid_x[::every], grid_y[::every]
    if (len(x) - 1) * CHORD_M < MIN_ROUTE_M:
        return None
    heading = np.degrees(np.arctan2(np.diff(y), np.diff(x)))
    turn = (np.diff(heading) + 180.0) % 360.0 - 180.0
    turned = np.abs(turn[np.abs(turn) >= MIN_TURN_DEG]).sum()
    return float(turned / ((len(x) - 1) * CHORD_M) * 100.0)


def loop_share(grid_x: np.ndarray, grid_y: np.ndarray, lap_m: float) -> float:
    """Share of the route where the runner is back at the same spot (within 20 m) ``lap_m`` metres later."""
    return float(_loop_shares(grid_x, grid_y, [round(lap_m / GRID_STEP_M)])[0])


def _loop_shares(grid_x: np.ndarray, grid_y: np.ndarray, lags: list[int]) -> np.ndarray:
    """``loop_share`` for each lag (in grid steps) at once: one array operation for all the lap lengths."""
    n = len(grid_x)
    lag = np.asarray(lags, dtype=np.int64)
    pad = np.full(int(lag.max()), np.nan)  # past the route's end: NaN, never within reach
    later = np.arange(n)[None, :] + lag[:, None]  # the point each one is compared with, per lag
    gap = np.hypot(np.concatenate((grid_x, pad))[later] - grid_x, np.concatenate((grid_y, pad))[later] - grid_y)
    counts = np.count_nonzero(gap <= TRACK_MATCH_M, axis=1)
    shares: np.ndarray = counts / np.maximum(n - lag, 1)  # the mean of the matches: exact counts, one division
    return shares


def is_track(grid_x: np.ndarray, grid_y: np.ndarray) -> bool:
    """A ~400 m loop run again and again in a small area (a running track).

    The best lap length between 380 and 440 m (GPS distance is a few percent off) must bring the runner back
    to the same spot over at least 60 % of the route, half a lap must not (a smaller loop would), and the
    repeated part must fit a 250 m box diagonal.
    """
    lo, hi = TRACK_LAP_RANGE_M
    if len(grid_x) * GRID_STEP_M < 3 * hi:
        return False
    laps = np.arange(lo, hi + GRID_STEP_M, GRID_STEP_M)
    shares = _loop_shares(grid_x, grid_y, [round(lap / GRID_STEP_M) for lap in laps])
    best = int(np.argmax(shares))
    if shares[best] < TRACK_MIN_SHARE or loop_share(grid_x, grid_y, laps[best] / 2) > TRACK_MAX_HALF_SHARE:
        return False
    lag = round(laps[best] / GRID_STEP_M)
    back = np.hypot(grid_x[lag:] - grid_x[:-lag], grid_y[lag:] - grid_y[:-lag]) <= TRACK_MATCH_M
    x, y = grid_x[lag:][back], grid_y[lag:][back]
    return bool(np.hypot(np.ptp(x), np.ptp(y)) <= TRACK_MAX_EXTENT_M)


def gait_cv_pct(series: Sequence[np.ndarray]) -> float | None:
    """Mean robust, detrended coefficient of variation (%) of the gait series given (valid moving values).

    Each series is detrended with a centred running median over ``GAIT_WINDOW`` samples, so pace changes,
    intervals and fatigue do not count; the spread left is taken robustly (1.4826 x the median absolute
    residual, which equals the standard deviation for normal noise) so that a few walking steps or a stop
    do not dominate, and divided by the median.
    """
    cvs = []
    for values in series:
        if len(values) < MIN_GAIT_SAMPLES:
            continue
        trend = _centred_medians(values, GAIT_WINDOW)
        centre = median(values)
        if centre > 0:
            cvs.append(1.4826 * median(np.abs(values - trend)) / centre * 100.0)
    return float(np.mean(cvs)) if cvs else None


def _centred_medians(values: np.ndarray, window: int) -> np.ndarray:
    """pandas' ``rolling(window, center=True, min_periods=1).median()``: full windows inside, shorter at the ends."""
    n, half = len(values), window // 2
    if n < window or window % 2 == 0 or not np.isfinite(values).all():
        import pandas as pd  # only for short or NaN-holding series

        return pd.Series(values).rolling(window, center=True, min_periods=1).median().to_numpy()
    out = np.empty(n)
    out[half : n - half] = window_medians(values, window)
    head, tail = values[: window - 1].tolist(), values[n - window + 1 :].tolist()
    for i in range(half):  # the shorter windows at each end: half + 1 up to window - 1 values
        out[i] = _median(sorted(head[: i + half + 1]))
        out[n - 1 - i] = _median(sorted(tail[len(tail) - (i + half + 1) :]))
    return out


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def terrain_variability(evidence: TerrainEvidence) -> float | None:
    """The 0-100 terrain score: weighted mean of the components present, each scaled to 0..1."""
    total = weights = 0.0
    for name, (zero, one, weight) in COMPONENTS.items():
        value = getattr(evidence, name)
        if value is None or not np.isfinite(value):
            continue
        total += weight * float(np.clip((value - zero) / (one - zero), 0.0, 1.0))
        weights += weight
    return round(100.0 * total / weights, 1) if weights else None


def surface(
    sub_sport: str | None,
    *,
    has_position: bool,
    distance_m: float | None,
    moving_time_s: float | None,
    track: bool,
    terrain_score: float | None,
) -> tuple[str, str]:
    """(surface, surface_source): the device's word when it has one, otherwise inferred from the samples."""
    named = DEVICE_SURFACES.get((sub_sport or "").lower())
    if named:
        return named, "device"
    if (moving_time_s or 0.0) < MIN_SURFACE_MOVING_S or (distance_m or 0.0) < MIN_SURFACE_DISTANCE_M:
        return "unknown", "inferred"
    if not has_position:
        return "treadmill", "inferred"
    if track:
        return "track", "inferred"
    if terrain_score is None:
        return "unknown", "inferred"
    return ("trail" if terrain_score >= TRAIL_SCORE else "road"), "inferred"


def hill_session(swings: Sequence[Swing] | None) -> bool | None:
    """Sustained or repeated climbing or descending; ``None`` when the run has no altitude profile.

    Sustained: at least 60 m of climbing or descending in swings of at least 5 % average grade that each last
    3 minutes or more. Repeated: at least 4 climbs of 12 m or more at 5 % or steeper (hill repeats).
    """
    if swings is None:
        return None
    sustained = sum(
        abs(s.rise_m)
        for s in swings
        if abs(s.grade_pct) >= SUSTAINED_GRADE_PCT and s.duration_s >= SUSTAINED_MIN_S
    )
    repeats = sum(1 for s in swings if s.rise_m >= REPEAT_MIN_RISE_M and s.grade_pct >= REPEAT_GRADE_PCT)
    return sustained >= SUSTAINED_TOTAL_M or repeats >= REPEAT_COUNT
