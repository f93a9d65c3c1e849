"""Elevation gain and loss, grade and climbs from a run's altitude samples (method: docs/signals.md).

- **Gain/loss** count the swings between alternating low and high points that exceed a hysteresis band, as
  Strava describes its method and GoldenCheetah implements it (3 m default). Barometric altitude is used as
  recorded with a 3 m band. GPS altitude is noisy: it is first put on a 5 m distance grid (so standing still
  adds nothing), smoothed with a 45 m running median and a 45 m running mean, and counted with a 5 m band.
- **Grade** is taken over 25 m of distance, never per sample: the altitude on the distance grid (a 25 m running
  median for barometric data, the GPS smoothing otherwise), differenced every 25 m.
- **Climbs** are the same hysteresis swings on the gridded profile, with their rise, length and duration; the
  hill-session rule (stridelink.signals.terrain) judges them.
- **Placeholders** go first (``plausible_altitude``): values no place on land has (-500 is a common "no value"),
  0.0 written where the rest of the route is well above sea level, and stretches that sit after a sudden step
  far outside the rest of the route's range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stridelink.medians import median

HYSTERESIS_M = {"barometric": 3.0, "gps": 5.0}
GRID_STEP_M = 5.0
GRADE_STEP_M = 25.0
BARO_MEDIAN_M = 25.0
GPS_MEDIAN_M = 45.0
GPS_MEAN_M = 45.0
GPS_TIME_WINDOW = 15  # samples, for GPS altitude without any distance to put it on a grid
MAX_GRADE_PCT = 60.0  # steeper over 25 m is a data spike, not a path
MIN_GRADE_SEGMENTS = 8  # 200 m of route
SPIKE_WINDOW = 7  # samples
SPIKE_M = 5.0  # a barometric sample this far from its neighbours' median is a glitch, not terrain
LOWEST_M, HIGHEST_M = -450.0, 9000.0  # the Dead Sea shore, above Everest: anything outside is a placeholder
ZERO_PLACEHOLDER_M = 20.0  # exact 0.0 on a route whose other altitudes are this far from sea level: no value
STEP_M = 50.0  # an altitude step larger than this plus ...
MAX_CLIMB_RATE_MPS = 2.0  # ... this vertical speed over the time between the samples is no path's
STRAY_MARGIN_M = 100.0  # a stretch after such a step this far outside the rest of the route's range is a placeholder


@dataclass(frozen=True, slots=True)
class Swing:
    """One climb (rise > 0) or descent (rise < 0) between two turning points of the profile."""

    rise_m: float
    length_m: float
    duration_s: float

    @property
    def grade_pct(self) -> float:
        return 100.0 * self.rise_m / self.length_m if self.length_m > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ElevationSummary:
    gain_m: float | None = None
    loss_m: float | None = None
    grade_std_pct: float | None = None
    swings: tuple[Swing, ...] | None = None  # None when there is no altitude profile over distance


def turning_points(values: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the alternating lows and highs whose swings are at least ``threshold`` (a zigzag).

    The first and last indices are included; the final swing counts only when it reaches the threshold.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Only local extremes can be turning points: drop flat runs and monotonic stretches first (vectorised).
    change = np.flatnonzero(np.diff(values) != 0) + 1
    keep = np.concatenate(([0], change))
    v = values[keep]
    if len(v) > 2:
        d = np.sign(np.diff(v))
        extreme = np.flatnonzero(d[1:] != d[:-1]) + 1
        idx = np.concatenate(([0], extreme, [len(v) - 1]))
        keep, v = keep[idx], v[idx]
    pivots = [int(keep[0])]
    direction = 0  # +1 climbing, -1 descending, 0 not yet known
    lo_i = hi_i = ext_i = int(keep[0])
    lo_v = hi_v = ext_v = float(v[0])
    for i, x in zip(keep[1:].tolist(), v[1:].tolist(), strict=True):
        if direction == 0:  # until the first swing reaches the threshold, track both extremes
            if x > hi_v:
                hi_i, hi_v = i, x
            if x < lo_v:
                lo_i, lo_v = i, x
            if hi_v - lo_v >= threshold:
                climbing = hi_i > lo_i
                first = lo_i if climbing else hi_i  # the start of the first full swing
                if first != pivots[0]:
                    pivots.append(first)
                direction = 1 if climbing else -1
                ext_i, ext_v = (hi_i, hi_v) if climbing else (lo_i, lo_v)
        elif direction > 0:
            if x > ext_v:
                ext_i, ext_v = i, x
            elif ext_v - x >= threshold:
                pivots.append(ext_i)
                direction, ext_i, ext_v = -1, i, x
        elif x < ext_v:
            ext_i, ext_v = i, x
        elif x - ext_v >= threshold:
            pivots.append(ext_i)
            direction, ext_i, ext_v = 1, i, x
    if direction != 0 and ext_i != pivots[-1]:
        pivots.append(ext_i)
    if pivots[-1] != n - 1:
        pivots.append(n - 1)
    return np.asarray(pivots, dtype=np.int64)


def gain_loss_m(altitude_m: np.ndarray, threshold_m: float) -> tuple[float, float]:
    """Total climb and descent over swings of at least ``threshold_m`` (NaNs skipped)."""
    alt = altitude_m[np.isfinite(altitude_m)]
    if len(alt) < 2:
        return 0.0, 0.0
    steps = _swing_rises(alt, threshold_m)
    return float(steps[steps > 0].sum()), abs(float(steps[steps < 0].sum()))


def _swing_rises(alt: np.ndarray, threshold: float) -> np.ndarray:
    """Rise of each swing between turning points; swings under the threshold (start and end) count 0."""
    pivots = turning_points(alt, threshold)
    rises = np.diff(alt[pivots])
    return np.where(np.abs(rises) >= threshold, rises, 0.0)


def despiked(altitude_m: np.ndarray) -> np.ndarray:
    """Barometric glitches removed: samples more than 5 m from the median of the 7 around them.

    Isolated spikes (a barometer settling at the start, a dropout) go; steps the device makes when it
    recalibrates stay, because the median follows a lasting step within a few samples.
    """
    half = SPIKE_WINDOW // 2
    if len(altitude_m) < SPIKE_WINDOW:
        return altitude_m
    padded = np.concatenate((np.full(half, altitude_m[0]), altitude_m, np.full(half, altitude_m[-1])))
    median = window_medians(padded, SPIKE_WINDOW)
    return np.where(np.abs(altitude_m - median) > SPIKE_M, median, altitude_m)


def window_medians(values: np.ndarray, window: int) -> np.ndarray:
    """The median of every full window of odd length ``window``: ``len(values) - window + 1`` values.

    Equal to pandas' centred rolling median without its NaN ends. For finite values it is a selection with numpy
    (no arithmetic, so the very same numbers, about three times faster); values with NaN go through pandas, which
    skips them as before.
    """
    half = window // 2
    if window % 2 == 1 and len(values) >= window and np.isfinite(values).all():
        step = values.strides[0]  # the windows as a read-only view (``sliding_window_view`` without its checks)
        windows = np.lib.stride_tricks.as_strided(
            values, shape=(len(values) - window + 1, window), strides=(step, step), writeable=False
        )
        medians: np.ndarray = np.partition(windows, half, axis=1)[:, half]
        return medians
    import pandas as pd  # only for values with NaN

    rolled = pd.Series(values).rolling(window, center=True).median().to_numpy()
    return rolled[half : len(values) - half]


def on_distance_grid(distance_m: np.ndarray, values: np.ndarray, step_m: float = GRID_STEP_M) -> np.ndarray:
    """``values`` every ``step_m`` of distance from the first sample, linearly interpolated.

    Samples at the same distance (standing still) are averaged first, so a stop contributes one point.
    """
    ok = np.isfinite(distance_m) & np.isfinite(values)
    if ok.all():
        d, v = distance_m, values
    else:
        d, v = distance_m[ok], values[ok]
    if len(d) < 2:
        return np.zeros(0)
    if not (d[1:] >= d[:-1]).all():  # a route distance never goes back, so this sort is rare
        order = np.argsort(d, kind="stable")
        d, v = d[order], v[order]
    new = d[1:] != d[:-1]  # d ascending: where a new distance starts
    if new.all():  # no two samples at one distance: each mean is the value itself (a sum from +0.0)
        unique_d, mean_v = d, v + 0.0
    else:
        first = np.concatenate(([True], new))
        inverse = np.cumsum(first) - 1
        unique_d = d[first]
        mean_v = np.bincount(inverse, weights=v) / np.bincount(inverse)
    if len(unique_d) < 2:
        return np.zeros(0)
    grid = unique_d[0] + step_m * np.arange(int((unique_d[-1] - unique_d[0]) // step_m) + 1)
    gridded: np.ndarray = np.interp(grid, unique_d, mean_v)
    return gridded


def _rolling(values: np.ndarray, window: int, how: str) -> np.ndarray:
    """Centred running median or mean; the ends are padded by point reflection so a steady slope stays."""
    half = window // 2
    if half < 1 or len(values) <= half:
        return values
    left = 2 * values[0] - values[1 : half + 1][::-1]
    right = 2 * values[-1] - values[-half - 1 : -1][::-1]
    padded = np.concatenate((left, values, right))
    if how == "median":
        return window_medians(padded, 2 * half + 1)
    import pandas as pd

    smoothed: np.ndarray = pd.Series(padded).rolling(2 * half + 1, center=True).mean().to_numpy()[half:-half]
    return smoothed


def _odd(length_m: float, step_m: float) -> int:
    n = max(1, round(length_m / step_m))
    return n if n % 2 else n + 1


def altitude_profile(distance_m: np.ndarray, altitude_m: np.ndarray, source: str) -> np.ndarray:
    """Altitude every ``GRID_STEP_M`` of distance, smoothed for its source (barometric or gps)."""
    grid = on_distance_grid(distance_m, altitude_m)
    if source == "gps":
        grid = _rolling(grid, _odd(GPS_MEDIAN_M, GRID_STEP_M), "median")
        return _rolling(grid, _odd(GPS_MEAN_M, GRID_STEP_M), "mean")
    return _rolling(grid, _odd(BARO_MEDIAN_M, GRID_STEP_M), "median")


def grades_pct(profile_m: np.ndarray, step_m: float = GRID_STEP_M) -> np.ndarray:
    """Grade of each successive ``GRADE_STEP_M`` of a gridded profile, in percent, clipped to plausible."""
    every = max(1, round(GRADE_STEP_M / step_m))
    points = profile_m[::every]
    grades = np.diff(points) / (every * step_m) * 100.0
    return np.clip(grades, -MAX_GRADE_PCT, MAX_GRADE_PCT)


def swings(
    profile_m: np.ndarray, time_s: np.ndarray, threshold_m: float, step_m: float = GRID_STEP_M
) -> tuple[Swing, ...]:
    """The climbs and descents of a gridded profile; ``time_s`` is the elapsed time at each grid point."""
    if len(profile_m) < 2:
        return ()
    pivots = turning_points(profile_m, threshold_m)
    rises = np.diff(profile_m[pivots])
    lengths = np.diff(pivots) * step_m
    durations = np.diff(time_s[pivots])
    return tuple(
        Swing(float(r), float(length), float(t))
        for r, length, t in zip(rises, lengths, durations, strict=True)
        if abs(r) >= threshold_m
    )


def plausible_altitude(altitude_m: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """The altitude with placeholders set to NaN (module notes): out-of-range values, 0.0 on a route well above
    sea level, and stretches a sudden step puts far outside the route's own range (that of its longest steady
    stretch and of the middle 80 % of its values, widened by that range or 100 m, whichever is larger)."""
    alt = np.where((altitude_m < LOWEST_M) | (altitude_m > HIGHEST_M), np.nan, altitude_m)
    nonzero = np.isfinite(alt) & (alt != 0)
    if nonzero.any() and (alt == 0).any() and abs(median(alt[nonzero])) > ZERO_PLACEHOLDER_M:
        alt[alt == 0] = np.nan
    idx = np.flatnonzero(np.isfinite(alt))
    if idx.size < 2:
        return alt
    values = alt[idx]
    seconds = np.diff(time_s[idx]) if len(time_s) == len(alt) else np.ones(idx.size - 1)
    steps = np.abs(np.diff(values)) > STEP_M + MAX_CLIMB_RATE_MPS * np.maximum(seconds, 0.0)
    if not steps.any():
        return alt
    stretch = np.concatenate(([0], np.cumsum(steps)))
    reference = values[stretch == np.argmax(np.bincount(stretch))]
    p10, p90 = np.percentile(values, [10, 90])
    low, high = min(float(reference.min()), float(p10)), max(float(reference.max()), float(p90))
    margin = max(STRAY_MARGIN_M, high - low)
    for k in np.unique(stretch):
        middle = median(values[stretch == k])
        if middle < low - margin or middle > high + margin:
            alt[idx[stretch == k]] = np.nan
    return alt


def summarise(
    time_s: np.ndarray, distance_m: np.ndarray | None, altitude_m: np.ndarray | None, source: str | None
) -> ElevationSummary:
    """Gain, loss, grade spread and climbs; empty when the run has no altitude (placeholders masked first)."""
    if altitude_m is not None:
        altitude_m = plausible_altitude(altitude_m, time_s)
    if altitude_m is None or source is None or np.isfinite(altitude_m).sum() < 2:
        return ElevationSummary()
    source = "gps" if source == "gps" else "barometric"
    threshold = HYSTERESIS_M[source]
    if source == "barometric":
        ok = np.isfinite(altitude_m)
        altitude_m = altitude_m.copy()
        altitude_m[ok] = despiked(altitude_m[ok])
    profile = np.zeros(0)
    if distance_m is not None:
        profile = altitude_profile(distance_m, altitude_m, source)
    if source == "barometric":
        gain, loss = gain_loss_m(altitude_m, threshold)
    elif len(profile) >= 2:
        gain, loss = gain_loss_m(profile, threshold)
    else:  # GPS altitude with no distance: smooth over samples instead
        alt = altitude_m[np.isfinite(altitude_m)]
        alt = _rolling(_rolling(alt, GPS_TIME_WINDOW, "median"), GPS_TIME_WINDOW, "mean")
        gain, loss = gain_loss_m(alt, threshold)
    grade_std = None
    found: tuple[Swing, ...] | None = None
    if len(profile) >= 2 and distance_m is not None:
        grades = grades_pct(profile)
        if len(grades) >= MIN_GRADE_SEGMENTS:
            grade_std = float(np.std(grades))
        grid_time = on_distance_grid(distance_m, time_s)
        found = swings(profile, grid_time[: len(profile)], threshold)
    return ElevationSummary(gain, loss, grade_std, found)
