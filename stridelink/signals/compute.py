"""Run signals: one Activity's samples -> a Signals record (method and evidence: docs/signals.md).

Everything is per-sample vectorised numpy. Each sample stands for the interval that ends at it (watches
write a record after the time it summarises); means are weighted by those intervals, so Garmin smart
recording's uneven spacing does not bias them, and only moving samples count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stridelink import columns as col
from stridelink.models import Activity, Signals
from stridelink.samples import Samples, as_samples, forward_filled
from stridelink.signals import elevation, terrain
from stridelink.medians import median

if TYPE_CHECKING:
    import pandas as pd

METHOD_VERSION = 2  # 2: moving time is timer time; placeholder altitudes and clock jumps removed

MOVING_SPEED_MPS = 0.5  # slower than this is standing or shuffling, not moving
FASTEST_FOOT_STEP_MPS = 12.5  # faster than any sprinter: a larger distance step is a sensor or GPS glitch
GLITCH_MIN_M = 500.0  # smaller fast steps are real: a watch catching up on distance after losing GPS
MAX_GAP_S = 10.0  # a longer silence is a pause (auto-pause, timer stopped) unless the distance moved on
PAUSE_SLACK = 0.02  # pauses the silences leave unexplained beyond this share of the timer time are looked for
EXACT_PAUSE_SEARCH = 12  # up to this many silences, every combination is tried against the device's timer
MIN_DRIFT_MOVING_S = 600.0  # drift needs 10 minutes of moving time to mean anything
MIN_CLIMB_DISTANCE_M = 200.0

# Plausible values; anything outside (zeros, sensor dropouts, unit slips) is ignored.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    col.CADENCE: (60.0, 260.0),  # running; walking and hiking from WALK_MIN_CADENCE_SPM
    col.GCT: (80.0, 1000.0),
    col.GCT_BALANCE: (30.0, 70.0),
    col.VERTICAL_OSCILLATION: (20.0, 250.0),
    col.VERTICAL_RATIO: (1.0, 25.0),
    col.STEP_LENGTH: (200.0, 3000.0),
    col.HEART_RATE: (25.0, 250.0),
}
WALK_MIN_CADENCE_SPM = 30.0
WALKING_SPORTS = ("walking", "hiking")


def elapsed_s(samples: Samples | pd.DataFrame) -> np.ndarray:
    """Seconds since the first sample."""
    ns = as_samples(samples).time_ns()
    return (ns - ns[0]) / 1e9 if len(ns) else np.zeros(0)


def _column(samples: Samples | pd.DataFrame, name: str) -> np.ndarray | None:
    """The column as float64, or None when the file has no value in it."""
    samples = as_samples(samples)
    if name not in samples:
        return None
    values = np.asarray(samples[name], dtype=np.float64)
    return values if np.isfinite(values).any() else None


def route_distance_m(samples: Samples | pd.DataFrame) -> np.ndarray | None:
    """Cumulative distance from 0 at the first sample.

    From the file's distance column (its increases only: a leg of a multisport file may start where the
    previous leg ended, or reset to 0) or, without one, the haversine sum of the positions.
    """
    samples = as_samples(samples)
    distance = _column(samples, col.DISTANCE)
    if distance is not None and np.isfinite(distance).sum() >= 2:
        filled = forward_filled(distance)
        steps = np.clip(np.diff(filled), 0.0, None)
        return np.concatenate(([0.0], np.cumsum(_without_glitches(steps, elapsed_s(samples)))))
    lat, lon = _column(samples, col.LAT), _column(samples, col.LON)
    if lat is not None and lon is not None:
        ok = np.isfinite(lat) & np.isfinite(lon)
        if ok.sum() >= 2:
            idx = np.flatnonzero(ok)
            between = terrain.step_distance_m(lat[idx], lon[idx])
            between[1:] = _without_glitches(between[1:], elapsed_s(samples)[idx])
            steps = np.zeros(len(lat))
            steps[idx] = between
            return np.cumsum(steps)
    return None


def _without_glitches(steps_m: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Distance steps with glitches zeroed: a jump of hundreds of metres no one covers on foot in the time
    between the samples (a damaged record, a GPS teleport)."""
    dt = np.maximum(np.diff(seconds), 1.0)
    glitch = (steps_m > FASTEST_FOOT_STEP_MPS * dt) & (steps_m > GLITCH_MIN_M)
    return np.where(glitch, 0.0, steps_m)


def _intervals_s(t: np.ndarray) -> np.ndarray:
    """The interval each sample closes (0 for the first)."""
    return np.concatenate(([0.0], np.diff(t))) if len(t) else np.zeros(0)


def _speed_mps(samples: Samples, dt: np.ndarray, distance: np.ndarray | None) -> np.ndarray:
    """The recorded speed where there is one, else distance over time; NaN where neither is known."""
    speed = _column(samples, col.SPEED)
    out = speed.copy() if speed is not None else np.full(len(dt), np.nan)
    if distance is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = np.where(dt > 0, _increments(distance) / dt, np.nan)
        if len(derived) > 1:
            derived[0] = derived[1]  # the first sample moves like the one after it
        out = np.where(np.isfinite(out), out, derived)
    return out


def _increments(distance: np.ndarray) -> np.ndarray:
    return np.concatenate(([0.0], np.diff(distance)))


def moving_mask(samples: Samples | pd.DataFrame) -> np.ndarray:
    """Which samples were moving: not a stop, not a pause, not a standing watch.

    A sample is moving when its speed (recorded, or from distance over time) is at least 0.5 m/s, its
    cadence is not 0 (when the file records cadence at all), and it does not end a silence of more than 10 s
    over which the distance did not advance at running or walking pace (auto-pause and a stopped timer leave
    such gaps; sparse recording, which moves on between points, does not). Without speed, distance or
    position, every sample outside such gaps counts as moving.
    """
    samples = as_samples(samples)
    if len(samples) == 0 or col.TIMESTAMP not in samples:
        return np.zeros(len(samples), dtype=bool)
    t = elapsed_s(samples)
    return _moving(samples, _intervals_s(t), route_distance_m(samples))


def _moving(samples: Samples, dt: np.ndarray, distance: np.ndarray | None) -> np.ndarray:
    speed = _speed_mps(samples, dt, distance)
    moving = ~(speed < MOVING_SPEED_MPS)  # NaN speed: unknown, kept
    cadence = _column(samples, col.CADENCE)
    if cadence is not None and (cadence > 0).any():
        moving &= cadence != 0
    gap = dt > MAX_GAP_S
    if distance is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            gap_speed = np.where(gap, _increments(distance) / dt, np.nan)
        gap &= ~(gap_speed >= MOVING_SPEED_MPS)
    return moving & ~gap


def pauses(
    dt: np.ndarray,
    distance: np.ndarray | None,
    device_timer_s: float | None = None,
    standing: np.ndarray | None = None,
) -> np.ndarray:
    """The seconds of each interval the timer was stopped (0 where it ran), so that ``span - pauses.sum()`` is
    the timer time.

    Candidates are silences longer than 10 s; one over which the distance did not advance at 0.5 m/s is a
    pause (auto-pause and a stopped timer write nothing). Where the device reports its own timer time, that is
    the check: the pauses must add up to the elapsed time the timer did not count, so silences are taken as
    pauses so that they add up as closely as possible to it: every combination when there are at most 12
    silences, else still ones first and longest first while each brings the sum closer (a watch that records
    sparsely while standing, timer running, has long silences and no pause at all). A watch that goes on
    writing records while paused leaves no silence: then the stretches of ``standing`` samples are the
    candidates for what the silences leave unexplained.
    """
    out = np.zeros(len(dt))
    if len(dt) < 2:
        return out
    silent = np.flatnonzero(dt > MAX_GAP_S)
    still = np.ones(silent.size, dtype=bool)
    if distance is not None and silent.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            still = ~(_increments(distance)[silent] / dt[silent] >= MOVING_SPEED_MPS)
    if device_timer_s is None or not np.isfinite(device_timer_s) or device_timer_s <= 0:
        out[silent[still]] = dt[silent[still]]
        return out
    remaining = float(dt.sum()) - device_timer_s
    take = _closest(dt[silent], still, remaining)
    out[silent[take]] = dt[silent[take]]
    remaining -= float(out.sum())
    if standing is not None and remaining > max(MAX_GAP_S, PAUSE_SLACK * device_timer_s):
        idle = standing & (out == 0)
        idle[0] = False
        edges = np.diff(np.concatenate(([0], idle.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        if starts.size:
            lengths = np.add.reduceat(np.where(idle, dt, 0.0), starts)
            take = _closest(lengths, np.ones(starts.size, dtype=bool), remaining)
            for start, end in zip(starts[take], ends[take], strict=True):
                out[start:end] = dt[start:end]
    return out


def _closest(lengths: np.ndarray, preferred: np.ndarray, target: float) -> np.ndarray:
    """Which of ``lengths`` to take so their sum comes closest to ``target``; ``preferred`` ones win ties."""
    take = np.zeros(lengths.size, dtype=bool)
    if lengths.size == 0 or target <= 0:
        return take
    if lengths.size <= EXACT_PAUSE_SEARCH:  # every combination
        chosen = (np.arange(2**lengths.size)[:, None] >> np.arange(lengths.size)) & 1
        cost = np.abs(chosen @ lengths - target) + 1e-3 * (chosen @ ~preferred)
        return chosen[int(np.argmin(cost))].astype(bool)
    remaining = target
    for k in np.lexsort((-lengths, ~preferred)):  # preferred first, the longest first
        if lengths[k] < 2.0 * remaining:  # taking it brings the sum closer
            take[k] = True
            remaining -= lengths[k]
    return take


def _plausible(values: np.ndarray, column: str, sport: str) -> np.ndarray:
    low, high = PLAUSIBLE[column]
    if column == col.CADENCE and sport in WALKING_SPORTS:
        low = WALK_MIN_CADENCE_SPM
    ok: np.ndarray = np.isfinite(values) & (values >= low) & (values <= high)
    return ok


def _weighted_mean(values: np.ndarray, weights: np.ndarray, use: np.ndarray) -> float | None:
    w = np.where(use, weights, 0.0)
    total = w.sum()
    if total <= 0:
        return None
    return float(np.sum(np.where(use, values, 0.0) * w) / total)


def _drift_pct(
    values: np.ndarray, weights: np.ndarray, use: np.ndarray, moving_clock_s: np.ndarray
) -> float | None:
    """Mean of the last third of moving time against the first third, in percent of the first."""
    total = moving_clock_s[-1] if len(moving_clock_s) else 0.0
    if total < MIN_DRIFT_MOVING_S:
        return None
    first = _weighted_mean(values, weights, use & (moving_clock_s <= total / 3.0))
    last = _weighted_mean(values, weights, use & (moving_clock_s > 2.0 * total / 3.0))
    if first is None or last is None or first == 0:
        return None
    return (last - first) / first * 100.0


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def compute_signals(activity: Activity) -> Signals:
    """Every signal the samples allow; ``None`` for what the file does not carry."""
    samples = activity.series
    if len(samples) == 0 or col.TIMESTAMP not in samples:
        return Signals(method_version=METHOD_VERSION)
    t = elapsed_s(samples)
    dt = _intervals_s(t)
    distance = route_distance_m(samples)
    moving = _moving(samples, dt, distance)

    moving_dt = np.where(moving, dt, 0.0)
    stopped = pauses(dt, distance, activity.device_totals.get("timer_time_s"), ~moving)
    timer_time = float(dt.sum() - stopped.sum())
    typical = median(dt[1:]) if len(dt) > 1 else 1.0
    weights = dt.copy()
    if len(weights):
        weights[0] = min(typical, MAX_GAP_S) if np.isfinite(typical) and typical > 0 else 1.0
    weights = np.where(moving, weights, 0.0)
    # moving time at the middle of each sample's interval: which third of the run it belongs to
    moving_clock = np.cumsum(moving_dt) - moving_dt / 2.0

    sport = activity.sport
    means: dict[str, float | None] = {}
    valid: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    for column in PLAUSIBLE:
        v = _column(samples, column)
        if v is None:
            means[column] = None
            continue
        use = moving & _plausible(v, column, sport)
        values[column], valid[column] = v, use
        means[column] = _weighted_mean(v, weights, use)

    def drift(column: str) -> float | None:
        if column not in values:
            return None
        return _drift_pct(values[column], weights, valid[column], moving_clock)

    distance_m = float(distance[-1]) if distance is not None else None
    speed = None
    if distance is not None and timer_time > 0:
        speed = float(np.where(stopped > 0, 0.0, _increments(distance)).sum()) / timer_time

    altitude = _column(samples, col.ALTITUDE)
    elev = elevation.summarise(
        t, distance, altitude, activity.altitude_source if altitude is not None else None
    )
    climb = None
    if elev.gain_m is not None and distance_m is not None and distance_m >= MIN_CLIMB_DISTANCE_M:
        climb = elev.gain_m / (distance_m / 1000.0)

    lat, lon = _column(samples, col.LAT), _column(samples, col.LON)
    grid_x = grid_y = np.zeros(0)
    if lat is not None and lon is not None and distance is not None:
        grid_x, grid_y = terrain.route_grid(distance, lat, lon)
    has_position = len(grid_x) >= 2
    gait = terrain.gait_cv_pct(
        [values[c][valid[c]] for c in (col.CADENCE, col.GCT, col.STEP_LENGTH) if c in values]
    )
    track = has_position and terrain.is_track(grid_x, grid_y)
    turning = terrain.turning_deg_per_100m(grid_x, grid_y) if has_position else None
    if track and turning is not None:
        turning = 0.0  # a track's bends are smooth and flat: not terrain
    evidence = terrain.TerrainEvidence(
        grade_std_pct=elev.grade_std_pct,
        climb_m_per_km=climb,
        turning_deg_per_100m=turning,
        gait_cv_pct=gait,
    )
    score = terrain.terrain_variability(evidence)
    surface, surface_source = terrain.surface(
        activity.sub_sport,
        has_position=has_position,
        distance_m=distance_m,
        moving_time_s=timer_time,
        track=track,
        terrain_score=score,
    )
    totals = activity.device_totals
    return Signals(
        method_version=METHOD_VERSION,
        distance_m=_rounded(distance_m, 1),
        duration_s=_rounded(float(t[-1]), 1),
        moving_time_s=_rounded(timer_time, 1),
        cadence_spm=_rounded(means[col.CADENCE], 1),
        gct_ms=_rounded(means[col.GCT], 1),
        gct_balance_left_pct=_rounded(means[col.GCT_BALANCE], 2),
        vertical_oscillation_mm=_rounded(means[col.VERTICAL_OSCILLATION], 1),
        vertical_ratio_pct=_rounded(means[col.VERTICAL_RATIO], 2),
        step_length_mm=_rounded(means[col.STEP_LENGTH], 1),
        elevation_gain_m=_rounded(elev.gain_m, 1),
        elevation_loss_m=_rounded(elev.loss_m, 1),
        device_ascent_m=_rounded(totals.get("ascent_m"), 1),
        device_descent_m=_rounded(totals.get("descent_m"), 1),
        climb_m_per_km=_rounded(climb, 1),
        grade_std_pct=_rounded(elev.grade_std_pct, 2),
        terrain_variability=score,
        surface=surface,
        surface_source=surface_source,
        hill_session=terrain.hill_session(elev.swings),
        cadence_drift_pct=_rounded(drift(col.CADENCE), 2),
        gct_drift_pct=_rounded(drift(col.GCT), 2),
        speed_mps=_rounded(speed, 3),
        heart_rate_bpm=_rounded(means[col.HEART_RATE], 1),
    )
