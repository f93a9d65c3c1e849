"""Synthetic running activities: deterministic, physically plausible, and written as real FIT and GPX files.

``make_run`` simulates a runner second by second on a course (a route with a terrain profile): a pacing plan
sets the effort, the grade slows or speeds the runner, and a simple gait model derives cadence, ground-contact
time, step length, vertical oscillation and power from speed and grade. Heart rate follows the effort with a
lag and drifts upwards over long efforts. The samples are then taken every ``record_interval_s`` seconds, as a
watch's smart recording does, and rounded to the resolution FIT stores, so a FIT file written by ``to_fit``
decodes back to exactly these numbers.

Models (rough, chosen to look like a recreational runner of 70 kg; not physiology):

- grade factor on speed: uphill ``1 / (1 + 0.045 * grade_pct)``; downhill speeds up to about -10 % and slows
  beyond; on steep trail climbs at hiking speed the runner walks (cadence ~115 spm, no running dynamics);
- cadence ``164 + 8.5 * (speed - 2.9)`` spm, a little higher uphill; step length = speed / (cadence / 60);
- ground-contact time ``246 - 36 * (speed - 2.9)`` ms, longer uphill and on trail;
- vertical ratio = vertical oscillation / step length; stance time percent = GCT / stride time;
- power ``70 kg * (1.3 * speed + 9.81 * grade * speed)``, floored on descents;
- ``fatigue`` (0..1) raises GCT by up to 8 % and lowers cadence by up to 5 % over the last third.

Everything random comes from one ``numpy.random.Generator`` seeded by ``(seed, kind)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from garmin_fit_sdk import Encoder, Profile

from stridelink import columns as col
from stridelink.units import EARTH_RADIUS_M

KINDS = ("easy_road", "trail", "hill_repeats", "track_intervals", "long_run", "treadmill")
SUB_SPORTS = {
    "easy_road": "road",
    "long_run": "road",
    "trail": "trail",
    "hill_repeats": "generic",
    "track_intervals": "track",
    "treadmill": "treadmill",
}
SPORT_NAMES = {
    "easy_road": "Run",
    "long_run": "Run",
    "trail": "Trail Run",
    "hill_repeats": "Run",
    "track_intervals": "Track Run",
    "treadmill": "Treadmill",
}
DEFAULT_DURATION_S = {
    "easy_road": 2700.0,
    "trail": 3600.0,
    "hill_repeats": 2700.0,
    "track_intervals": 2800.0,
    "long_run": 6000.0,
    "treadmill": 2400.0,
}
DEFAULT_ORIGIN = (45.8992, 6.1294)  # Annecy, France: lake-side roads and hills close together

FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
SEMICIRCLES_PER_DEG = 2**31 / 180.0

# Standard 400 m track: two 84.39 m straights, bends of 36.5 m kerb radius; the lane 1 running line lies
# 0.30 m outside the kerb, which makes the lap 2 * 84.39 + 2 * pi * 36.8 = 400.0 m.
TRACK_STRAIGHT_M = 84.39
TRACK_KERB_RADIUS_M = 36.5
TRACK_LINE_RADIUS_M = TRACK_KERB_RADIUS_M + 0.30
TRACK_LAP_M = 2 * TRACK_STRAIGHT_M + 2 * math.pi * TRACK_LINE_RADIUS_M

_MASS_KG = 70.0
_EASY_MPS = 2.9
_HILL_WARMUP_M = 1200.0  # hill repeats: the road from home to the foot of the hill
_HILL_LENGTH_M = 450.0


@dataclass(frozen=True, eq=False)
class SyntheticRun:
    """A generated run: its samples use the canonical columns (``stridelink.columns``)."""

    kind: str
    sport: str
    sub_sport: str
    start_utc: datetime
    samples: pd.DataFrame
    seed: int = 0
    device_ascent_m: float = 0.0  # what the watch would total from its full-rate barometer
    device_descent_m: float = 0.0

    @property
    def duration_s(self) -> float:
        ts = self.samples[col.TIMESTAMP]
        return float((ts.iloc[-1] - ts.iloc[0]).total_seconds())

    @property
    def distance_m(self) -> float:
        return float(self.samples[col.DISTANCE].iloc[-1])


@dataclass(frozen=True, slots=True)
class _Leg:
    """One part of a pacing plan; it ends on the first condition given."""

    effort_mps: float  # target speed on flat ground; 0 = standing still
    duration_s: float | None = None
    distance_m: float | None = None
    to_position_m: float | None = None  # course position to reach (for out-and-back courses)
    direction: int = 1


@dataclass(frozen=True, slots=True)
class _Course:
    """A route sampled every metre of course position: east/north offsets and altitude."""

    x_m: np.ndarray
    y_m: np.ndarray
    alt_m: np.ndarray

    def grade(self) -> np.ndarray:
        grade: np.ndarray = np.gradient(self.alt_m)
        return grade


# ---------------------------------------------------------------------------------------------- public API


def make_run(
    kind: str,
    start_utc: datetime,
    *,
    seed: int = 0,
    duration_s: float | None = None,
    gct_balance_left_pct: float = 50.0,
    cadence_scale: float = 1.0,
    fatigue: float = 0.0,
    record_interval_s: float = 1.0,
    origin: tuple[float, float] | None = None,
) -> SyntheticRun:
    """Simulate one run of ``kind`` (see ``KINDS``) starting at ``start_utc`` (timezone-aware).

    ``duration_s`` is the elapsed time for steady runs (runs under 10 minutes have no pause); for hill
    repeats (at most 20) and track intervals (at most 25) it sets the number of repetitions around a fixed
    warm-up and cool-down, so the total is approximate. Timestamps are whole seconds, as FIT stores them, so
    ``record_interval_s`` must be a whole number of seconds and ``start_utc`` loses any fraction of a second.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if start_utc.tzinfo is None:
        raise ValueError("start_utc must be timezone-aware")
    interval = round(record_interval_s)
    if interval < 1 or abs(record_interval_s - interval) > 1e-9:
        raise ValueError("record_interval_s must be a whole number of seconds, at least 1")
    if duration_s is not None and duration_s < 120:
        raise ValueError("duration_s must be at least 120 s")
    if not 0.0 <= fatigue <= 1.0:
        raise ValueError("fatigue must be between 0 and 1")
    if not 0.5 <= cadence_scale <= 1.5:
        raise ValueError("cadence_scale must be between 0.5 and 1.5")

    rng = np.random.default_rng([seed, KINDS.index(kind)])
    legs, fade = _plan(kind, rng, duration_s)
    course_len_m, expected_m = _course_length(legs, kind)
    course = _make_course(kind, rng, course_len_m, expected_m)
    sim = _simulate(kind, rng, legs, course, fade)
    samples, ascent_m, descent_m = _derive_samples(
        kind,
        rng,
        sim,
        course,
        start_utc=start_utc.astimezone(UTC).replace(microsecond=0),
        interval_s=interval,
        gct_balance_left_pct=gct_balance_left_pct,
        cadence_scale=cadence_scale,
        fatigue=fatigue,
        origin=origin or DEFAULT_ORIGIN,
    )
    return SyntheticRun(
        kind=kind,
        sport="running",
        sub_sport=SUB_SPORTS[kind],
        start_utc=samples[col.TIMESTAMP].iloc[0].to_pydatetime(),
        samples=samples,
        seed=seed,
        device_ascent_m=ascent_m,
        device_descent_m=descent_m,
    )


# ---------------------------------------------------------------------------------------------- pacing plans


def _plan(kind: str, rng: np.random.Generator, duration_s: float | None) -> tuple[list[_Leg], float]:
    """The legs of the session and the fade (fractional slowing of effort from start to finish)."""
    total_s = duration_s or DEFAULT_DURATION_S[kind]
    pause_s = float(rng.uniform(30, 60)) if total_s >= 600 else 0.0  # a stop at lights, a gate, a bottle
    if kind in ("easy_road", "long_run", "trail"):
        effort = {"easy_road": _EASY_MPS, "long_run": 2.95, "trail": 2.8}[kind]
        pause_at = float(rng.uniform(0.4, 0.7)) * total_s
        legs = [
            _Leg(effort, duration_s=pause_at),
            _Leg(0.0, duration_s=pause_s),
            _Leg(effort, duration_s=total_s - pause_at - pause_s),
        ]
        return legs, 0.06 if kind == "long_run" else 0.0
    if kind == "treadmill":
        blocks = int(rng.integers(4, 7))
        block_s = (total_s - pause_s) / blocks
        speeds = [2.8, *[float(v) for v in rng.choice([2.9, 3.0, 3.1, 3.2], size=blocks - 2)], 2.8]
        legs = [_Leg(v, duration_s=block_s) for v in speeds]
        legs.insert(blocks // 2, _Leg(0.0, duration_s=pause_s))
        return legs, 0.0
    if kind == "hill_repeats":
        warmup_s = _HILL_WARMUP_M / 2.85
        reps = (
            8 if duration_s is None else int(np.clip(round((total_s - 2 * warmup_s - pause_s) / 170), 1, 20))
        )
        legs = [_Leg(2.85, to_position_m=_HILL_WARMUP_M), _Leg(0.0, duration_s=pause_s)]
        for _ in range(reps):
            legs.append(_Leg(4.2, duration_s=float(rng.integers(60, 91)), direction=1))
            legs.append(_Leg(2.4, to_position_m=_HILL_WARMUP_M, direction=-1))
        legs.append(_Leg(2.8, to_position_m=0.0, direction=-1))
        return legs, 0.0
    # track_intervals: 6 laps warm-up, drills pause, n x 400 m fast / 200 m jog, 4 laps cool-down
    fixed_s = 2400 / 2.9 + pause_s + 1600 / 2.8
    reps = 8 if duration_s is None else int(np.clip(round((total_s - fixed_s) / 167), 1, 25))
    legs = [_Leg(2.9, distance_m=6 * TRACK_LAP_M), _Leg(0.0, duration_s=pause_s)]
    for _ in range(reps):
        legs.append(_Leg(5.0, distance_m=TRACK_LAP_M))
        legs.append(_Leg(2.3, distance_m=TRACK_LAP_M / 2))
    legs.append(_Leg(2.8, distance_m=4 * TRACK_LAP_M))
    return legs, 0.0


def _course_length(legs: Sequence[_Leg], kind: str) -> tuple[float, float]:
    """A course long enough for every leg at any plausible speed, and the distance the plan expects."""
    if kind == "hill_repeats":
        return _HILL_WARMUP_M + _HILL_LENGTH_M, _HILL_WARMUP_M
    expected = 0.0
    for leg in legs:
        if leg.distance_m is not None:
            expected += leg.distance_m
        elif leg.duration_s is not None:
            expected += leg.duration_s * leg.effort_mps * (0.85 if kind == "trail" else 1.0)
    return expected * 1.6 + 500.0, expected


# ---------------------------------------------------------------------------------------------- courses


def _smooth_noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Unit-variance Gaussian-smoothed white noise, correlated over about ``sigma`` samples."""
    if sigma < 0.5:
        return rng.standard_normal(n)
    half = math.ceil(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    kernel /= math.sqrt(float(np.sum(kernel**2)))
    noise: np.ndarray = np.convolve(rng.standard_normal(n + 2 * half), kernel, mode="valid")
    return noise


def _scaled_terrain(
    rng: np.random.Generator, n: int, climb_m_per_km: float, scales: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Smooth random terrain (metres, starting at 0) scaled so its total climb is ``climb_m_per_km``."""
    z = np.zeros(n)
    for sigma, weight in scales:
        z += weight * _smooth_noise(rng, n, sigma)
    z -= z[0]
    climb = float(np.clip(np.diff(z), 0, None).sum()) / (n / 1000.0)
    return z * (climb_m_per_km / climb) if climb > 0 else z


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _route(
    rng: np.random.Generator,
    n: int,
    *,
    style: str,
    loop_m: float | None,
    block_m: tuple[float, float] = (150.0, 600.0),
    junctions_until: float | None = None,
) -> _Course:
    """East/north offsets for ``n`` metres of route: ``street`` (blocks and corners) or ``trail`` (winding).

    The route keeps to a general direction that turns once round over ``loop_m`` metres, so a run of about
    that length comes home; past it the route stays near home. ``loop_m=None``: no loop.
    """
    wobble = _smooth_noise(rng, n, 40.0 if style == "street" else 6.0)
    wobble *= 0.0015 if style == "street" else 0.04  # curvature, rad per metre
    heading = float(rng.uniform(-math.pi, math.pi))
    sense = 1.0 if rng.uniform() < 0.5 else -1.0
    laps = np.clip(np.arange(n) / loop_m, 0.0, 1.0) if loop_m else np.zeros(n)
    general = heading + sense * 2 * math.pi * laps + 0.6 * _smooth_noise(rng, n, 300.0)
    x = np.empty(n)
    y = np.empty(n)
    px = py = 0.0
    pending = 0.0
    next_junction = float(rng.uniform(*block_m))
    limit = junctions_until if junctions_until is not None else float(n)
    for i in range(n):
        aim = math.atan2(-py, -px) if loop_m and i > loop_m else float(general[i])
        if style == "street" and next_junction <= i < limit:
            off = _wrap(aim - heading)
            roll = float(rng.uniform())
            if abs(off) > math.pi / 3:
                pending = math.copysign(min(abs(off), math.pi / 2), off)
            elif roll < 0.35:
                pending = math.copysign(math.pi / 2, float(rng.uniform(-1, 1)))  # round a block
            elif roll < 0.7:
                pending = float(rng.uniform(-0.6, 0.6))
            next_junction = i + float(rng.uniform(*block_m))
        if pending:
            step = math.copysign(min(abs(pending), math.pi / 2 / 12.0), pending)  # corners over ~12 m
            heading += step
            pending -= step
        heading += float(wobble[i])
        if style == "trail":
            heading += 0.03 * math.sin(aim - heading)
        x[i] = px
        y[i] = py
        px += math.cos(heading)
        py += math.sin(heading)
    return _Course(x, y, np.zeros(n))


def _track_xy(n: int, rotation_rad: float) -> tuple[np.ndarray, np.ndarray]:
    """Lane 1 running line of a 400 m track, counter-clockwise, for course positions 0..n-1 metres."""
    u = np.arange(n, dtype=float) % TRACK_LAP_M
    s, r = TRACK_STRAIGHT_M, TRACK_LINE_RADIUS_M
    bend = math.pi * r
    x = np.empty(n)
    y = np.empty(n)
    home = u < s  # home straight, heading east along the south side
    x[home], y[home] = u[home] - s / 2, -r
    b1 = (u >= s) & (u < s + bend)  # east bend
    a = -math.pi / 2 + (u[b1] - s) / r
    x[b1], y[b1] = s / 2 + r * np.cos(a), r * np.sin(a)
    back = (u >= s + bend) & (u < 2 * s + bend)  # back straight, heading west
    x[back], y[back] = s / 2 - (u[back] - s - bend), r
    b2 = u >= 2 * s + bend  # west bend
    a = math.pi / 2 + (u[b2] - 2 * s - bend) / r
    x[b2], y[b2] = -s / 2 + r * np.cos(a), r * np.sin(a)
    c, sn = math.cos(rotation_rad), math.sin(rotation_rad)
    return x * c - y * sn, x * sn + y * c


def _make_course(kind: str, rng: np.random.Generator, length_m: float, expected_m: float) -> _Course:
    """The route and terrain for ``kind``; ``expected_m`` is about how far the runner will go."""
    n = int(length_m) + 2
    if kind == "track_intervals":
        x, y = _track_xy(n, float(rng.uniform(0, math.pi)))
        return _Course(x, y, np.full(n, 448.0))
    if kind == "treadmill":
        return _Course(np.zeros(n), np.zeros(n), np.full(n, 452.0))
    if kind == "trail":
        route = _route(rng, n, style="trail", loop_m=expected_m)
        z = _scaled_terrain(rng, n, 45.0, ((280.0, 1.0), (60.0, 0.3), (18.0, 0.06)))
        return _Course(route.x_m, route.y_m, 520.0 + z)
    if kind == "hill_repeats":
        w = int(_HILL_WARMUP_M)
        route = _route(rng, n, style="street", loop_m=None, junctions_until=w - 50)
        s = np.arange(n, dtype=float)
        # the road to the hill rises gently (25 m over the warm-up) with a little roll
        road = 25.0 * np.minimum(s, w) / w + _scaled_terrain(rng, n, 2.0, ((150.0, 1.0),))
        road[w:] = road[w]
        hill_grade = 0.08 + 0.008 * _smooth_noise(rng, n, 40.0)
        hill = np.concatenate([[0.0], np.cumsum(np.where(s[1:] > w, hill_grade[1:], 0.0))])
        return _Course(route.x_m, route.y_m, 450.0 + road + hill)
    blocks = (150.0, 600.0) if kind == "easy_road" else (200.0, 1000.0)
    route = _route(rng, n, style="street", loop_m=expected_m, block_m=blocks)
    climb = 4.0 if kind == "easy_road" else 5.0
    z = _scaled_terrain(rng, n, climb, ((350.0, 1.0), (120.0, 0.25)))
    return _Course(route.x_m, route.y_m, 450.0 + z)


# ---------------------------------------------------------------------------------------------- simulation


def _grade_factor(grade: float) -> float:
    """Speed relative to flat ground at the same effort."""
    pct = grade * 100.0
    if pct >= 0:
        return 1.0 / (1.0 + 0.045 * pct)
    a = -pct
    return max(0.6, 1.0 + 0.018 * a - 0.0011 * a * a)


def _simulate(
    kind: str, rng: np.random.Generator, legs: Sequence[_Leg], course: _Course, fade: float
) -> dict[str, np.ndarray]:
    """Integrate the pacing plan at 1 s steps: speed, course position, distance and grade per second."""
    grade_course = course.grade()
    n_course = len(grade_course)
    horizon = int(sum(leg.duration_s or (leg.distance_m or 2000.0) / 1.5 for leg in legs)) + 3600
    if kind == "trail":
        effort_noise = 0.07 * _smooth_noise(rng, horizon, 60.0) + 0.08 * _smooth_noise(rng, horizon, 12.0)
    elif kind == "treadmill":
        effort_noise = 0.004 * _smooth_noise(rng, horizon, 30.0)
    else:
        effort_noise = 0.025 * _smooth_noise(rng, horizon, 120.0) + 0.012 * _smooth_noise(rng, horizon, 8.0)
    planned_s = sum(leg.duration_s or 0.0 for leg in legs) or 1.0
    alpha = 1.0 - math.exp(-1.0 / 3.0)  # ~3 s to change pace

    speed, position, distance, grade = [], [], [], []
    v = 0.6 * legs[0].effort_mps
    s = 0.0
    d = 0.0
    i = 0
    for leg in legs:
        t0, d0 = i, d
        while i < horizon - 1:
            if leg.duration_s is not None and i - t0 >= leg.duration_s:
                break
            if leg.distance_m is not None and d - d0 >= leg.distance_m:
                break
            if leg.to_position_m is not None and leg.direction * (s - leg.to_position_m) >= 0:
                break
            g = float(grade_course[min(int(s), n_course - 1)]) * leg.direction
            if kind == "treadmill":
                g = 0.01  # belt incline; the watch sees no altitude change
            if leg.effort_mps > 0:
                drift = 1.0 - fade * min(1.0, i / planned_s)
                target = leg.effort_mps * drift * _grade_factor(g) * (1.0 + float(effort_noise[i]))
                v += (max(target, 0.8) - v) * alpha
            else:
                v = 0.0 if v < 0.4 else v * 0.35
            speed.append(v)
            position.append(s)
            distance.append(d)
            grade.append(g)
            s = min(max(s + leg.direction * v, 0.0), n_course - 1.0)
            d += v
            i += 1
    return {
        "t_s": np.arange(len(speed), dtype=float),
        "speed_mps": np.asarray(speed),
        "position_m": np.asarray(position),
        "distance_m": np.asarray(distance),
        "grade": np.asarray(grade),
    }


def _heart_rate(
    rng: np.random.Generator, power_w: np.ndarray, moving: np.ndarray, t_s: np.ndarray
) -> np.ndarray:
    """First-order heart-rate response to (metabolic) power, with cardiac drift after 15 minutes."""
    drift = 0.1 * np.clip(t_s / 60.0 - 15.0, 0.0, None)
    target = np.where(moving, 60.0 + 0.255 * power_w, 88.0) + drift
    hr = np.empty_like(target)
    h = 88.0
    up, down = 1.0 - math.exp(-1 / 25.0), 1.0 - math.exp(-1 / 50.0)
    for i, goal in enumerate(target):
        h += (goal - h) * (up if goal > h else down)
        hr[i] = h
    return np.clip(hr + 1.2 * _smooth_noise(rng, len(hr), 5.0), 50.0, 195.0)


def _hysteresis(alt: np.ndarray, band_m: float) -> tuple[float, float]:
    """Total climb and descent ignoring reversals smaller than ``band_m``."""
    gain = loss = 0.0
    anchor = float(alt[0])
    for a in alt[1:]:
        if a - anchor >= band_m:
            gain += a - anchor
            anchor = float(a)
        elif anchor - a >= band_m:
            loss += anchor - a
            anchor = float(a)
    return gain, loss


def _gait(
    kind: str,
    rng: np.random.Generator,
    v_mps: np.ndarray,
    grade: np.ndarray,
    *,
    gct_balance_left_pct: float,
    cadence_scale: float,
    fatigue_ramp: np.ndarray,
) -> dict[str, np.ndarray]:
    """Cadence, contact time, oscillation, balance and power per second; gait fields NaN when not running."""
    n = len(v_mps)
    moving = v_mps > 0
    up = np.clip(grade * 100, 0, None)
    down = np.clip(-grade * 100, 0, None)
    # Hiking: steep climbs at hiking speed (smoothed over 5 s so the runner does not flicker between gaits).
    steep = pd.Series((v_mps < 1.6) & (grade > 0.10)).rolling(5, center=True, min_periods=1).mean() > 0.5
    running = moving & ~steep.to_numpy() & (v_mps >= 1.5)  # below a jog (stopping, starting) it is a walk

    cad_noise = 1.0 * _smooth_noise(rng, n, 20.0) + 0.7 * rng.standard_normal(n)
    cadence = 164.0 + 8.5 * (v_mps - _EASY_MPS) + 0.6 * up + 0.25 * down + (2.0 if kind == "treadmill" else 0)
    cadence = np.clip(cadence, 148.0, 200.0) * cadence_scale * (1.0 - 0.05 * fatigue_ramp) + cad_noise
    cadence = np.where(running, cadence, 100.0 + 12.0 * v_mps + cad_noise)
    cadence = np.where(moving, cadence, 0.0)
    cadence = 2.0 * np.round(cadence / 2.0 * 128.0) / 128.0  # FIT: strides/min with a 1/128 fraction
    step_mm = v_mps / np.maximum(cadence, 1.0) * 60.0 * 1000.0

    surface_ms = {"trail": 10.0, "treadmill": -4.0}.get(kind, 0.0)
    gct = 246.0 - 36.0 * (v_mps - _EASY_MPS) + 2.2 * up - 0.6 * down + surface_ms
    gct = np.clip(gct, 150.0, 360.0) * (1.0 + 0.08 * fatigue_ramp)
    gct = gct + 3.5 * _smooth_noise(rng, n, 15.0) + 2.5 * rng.standard_normal(n)
    vo = 90.0 + 5.5 * (v_mps - _EASY_MPS) - 0.9 * up + 0.5 * down - (4.0 if kind == "treadmill" else 0.0)
    vo = vo + 2.0 * _smooth_noise(rng, n, 20.0) + 1.0 * rng.standard_normal(n)
    side = 1.0 if rng.uniform() < 0.5 else -1.0  # which leg takes more of the load on hills
    spread = 0.6 if kind == "trail" else 0.35
    balance = gct_balance_left_pct + 0.07 * grade * 100 * side + spread * _smooth_noise(rng, n, 10.0)
    balance = np.clip(balance + 0.15 * rng.standard_normal(n), 35.0, 65.0)

    flat_w = _MASS_KG * 1.3 * v_mps
    climb_w = _MASS_KG * 9.81 * grade * v_mps
    power = np.maximum(flat_w + climb_w, 0.5 * flat_w) * (1 + 0.02 * rng.standard_normal(n))
    not_running = ~running
    for series in (step_mm, gct, vo, balance):
        series[not_running] = np.nan
    return {
        "cadence": cadence,
        "step_mm": step_mm,
        "gct": gct,
        "vo": vo,
        "balance": balance,
        "power": np.where(moving, power, 0.0),
        "metabolic_w": np.where(moving, np.maximum(power, 0.8 * flat_w), 0.0),  # running downhill still costs
    }


def _barometer(rng: np.random.Generator, true_alt_m: np.ndarray) -> np.ndarray:
    """Barometric altitude: calibrated at the start, slow weather drift, a little sensor noise."""
    drift = 1.2 * _smooth_noise(rng, len(true_alt_m), 900.0)
    baro: np.ndarray = true_alt_m + drift - drift[0] + 0.12 * _smooth_noise(rng, len(true_alt_m), 4.0)
    return baro


def _gps(
    rng: np.random.Generator, x_m: np.ndarray, y_m: np.ndarray, origin: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of the true path plus a slowly wandering error of a few metres."""
    n = len(x_m)
    ex = 2.2 * _smooth_noise(rng, n, 25.0) + 0.15 * rng.standard_normal(n)
    ey = 2.2 * _smooth_noise(rng, n, 25.0) + 0.15 * rng.standard_normal(n)
    lat0, lon0 = origin
    lat = lat0 + np.degrees((y_m + ey) / EARTH_RADIUS_M)
    lon = lon0 + np.degrees((x_m + ex) / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lat, lon


def _derive_samples(
    kind: str,
    rng: np.random.Generator,
    sim: dict[str, np.ndarray],
    course: _Course,
    *,
    start_utc: datetime,
    interval_s: int,
    gct_balance_left_pct: float,
    cadence_scale: float,
    fatigue: float,
    origin: tuple[float, float],
) -> tuple[pd.DataFrame, float, float]:
    """What the watch records of the simulated motion, sampled and rounded as FIT stores it; and the
    ascent and descent the watch totals from its full-rate barometer."""
    t = sim["t_s"]
    n = len(t)
    v = sim["speed_mps"]
    v_rec = np.where(v > 0.3, np.clip(v + 0.03 * rng.standard_normal(n), 0.05, None), 0.0)
    ramp = np.clip((t / max(t[-1], 1.0) - 2.0 / 3.0) * 6.0, 0.0, 1.0) * fatigue
    gait = _gait(
        kind,
        rng,
        v_rec,
        sim["grade"],
        gct_balance_left_pct=gct_balance_left_pct,
        cadence_scale=cadence_scale,
        fatigue_ramp=ramp,
    )
    hr = _heart_rate(rng, gait["metabolic_w"], v_rec > 0, t)

    pos = sim["position_m"]
    idx = np.clip(pos.astype(int), 0, len(course.alt_m) - 1)
    nxt = np.minimum(idx + 1, len(course.alt_m) - 1)
    frac = np.clip(pos - idx, 0.0, 1.0)

    def along(values: np.ndarray) -> np.ndarray:
        result: np.ndarray = values[idx] * (1 - frac) + values[nxt] * frac
        return result

    baro = _barometer(rng, along(course.alt_m))
    ascent_m, descent_m = _hysteresis(baro, 1.0)
    lat, lon = _gps(rng, along(course.x_m), along(course.y_m), origin)
    if kind == "treadmill":
        lat = lon = np.full(n, np.nan)

    keep = np.arange(0, n, interval_s)
    if keep[-1] != n - 1:
        keep = np.append(keep, n - 1)

    def rounded(values: np.ndarray, step: float) -> np.ndarray:
        result: np.ndarray = np.round(values[keep] / step) * step
        return result

    vo, step_mm = rounded(gait["vo"], 0.1), rounded(gait["step_mm"], 0.1)
    samples = pd.DataFrame(
        {
            col.TIMESTAMP: pd.DatetimeIndex(pd.Timestamp(start_utc) + pd.to_timedelta(t[keep], unit="s")),
            col.LAT: rounded(lat, 1 / SEMICIRCLES_PER_DEG),
            col.LON: rounded(lon, 1 / SEMICIRCLES_PER_DEG),
            col.DISTANCE: rounded(sim["distance_m"], 0.01),
            col.SPEED: rounded(v_rec, 0.001),
            col.ALTITUDE: rounded(baro, 0.2),
            col.HEART_RATE: rounded(hr, 1.0),
            col.CADENCE: gait["cadence"][keep],
            col.GCT: rounded(gait["gct"], 0.1),
            col.GCT_BALANCE: rounded(gait["balance"], 0.01),
            col.VERTICAL_OSCILLATION: vo,
            col.VERTICAL_RATIO: np.round(vo / step_mm * 100.0 / 0.01) * 0.01,
            col.STEP_LENGTH: step_mm,
            col.POWER: rounded(gait["power"], 1.0),
        }
    )
    samples[col.TIMESTAMP] = samples[col.TIMESTAMP].astype("datetime64[ns, UTC]")
    return samples, round(ascent_m), round(descent_m)


# ---------------------------------------------------------------------------------------------- FIT


def _product_id(product: str) -> int:
    for number, name in Profile["types"]["garmin_product"].items():
        if name == product:
            return int(number)
    raise ValueError(
        f"unknown Garmin product {product!r} (a garmin_product name of the FIT profile, e.g. fr965)"
    )


def _fit_time(ts: pd.Timestamp | datetime) -> int:
    return int(pd.Timestamp(ts).timestamp()) - FIT_EPOCH_S


def _mesg(mesg: str, /, **fields: object) -> dict[str, object]:
    return {"mesg_num": Profile["mesg_num"][mesg], **{k: v for k, v in fields.items() if v is not None}}


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _semicircles(deg: float) -> int | None:
    return None if not math.isfinite(deg) else round(deg * SEMICIRCLES_PER_DEG)


def _file_header(
    enc: Encoder, start: int, product: int, serial: int, sport: str, sub_sport: str, name: str
) -> None:
    enc.write_mesg(
        _mesg(
            "FILE_ID",
            type="activity",
            manufacturer="garmin",
            product=product,
            serial_number=serial,
            time_created=start,
        )
    )
    enc.write_mesg(
        _mesg(
            "DEVICE_INFO",
            timestamp=start,
            device_index=0,
            manufacturer="garmin",
            product=product,
            serial_number=serial,
            software_version=22.22,
            source_type="local",
        )
    )
    enc.write_mesg(_mesg("EVENT", timestamp=start, event="timer", event_type="start", event_group=0))
    enc.write_mesg(_mesg("SPORT", sport=sport, sub_sport=sub_sport, name=name))


def _summary(df: pd.DataFrame) -> tuple[dict[str, object], float]:
    """Lap/session averages as a Garmin watch writes them (gait over running samples, cadence in strides),
    and the elapsed time."""
    running = df[col.GCT].notna()
    moving = df[col.CADENCE] > 0
    elapsed = float((df[col.TIMESTAMP].iloc[-1] - df[col.TIMESTAMP].iloc[0]).total_seconds())
    out: dict[str, object] = {
        "avg_heart_rate": _int_or_none(df[col.HEART_RATE].mean()),
        "max_heart_rate": _int_or_none(df[col.HEART_RATE].max()),
        "enhanced_max_speed": _num(float(df[col.SPEED].max())),
        "max_speed": _num(float(df[col.SPEED].max())),
        "avg_power": _int_or_none(df.loc[moving, col.POWER].mean()),
        "max_power": _int_or_none(df[col.POWER].max()),
    }
    if moving.any():
        strides = float(df.loc[moving, col.CADENCE].mean()) / 2.0
        strides = round(strides * 128) / 128
        out["avg_cadence"] = math.floor(strides)
        out["avg_fractional_cadence"] = strides - math.floor(strides)
        out["max_cadence"] = math.floor(float(df[col.CADENCE].max()) / 2.0)
        steps_per_s = df.loc[moving, col.CADENCE] / 60.0
        out["total_cycles"] = round(float(steps_per_s.mean()) / 2.0 * _moving_seconds(df))
    if running.any():
        r = df.loc[running]
        out["avg_stance_time"] = _num(round(float(r[col.GCT].mean()), 1))
        out["avg_stance_time_balance"] = _num(round(float(r[col.GCT_BALANCE].mean()), 2))
        stride_ms = 120000.0 / r[col.CADENCE]
        out["avg_stance_time_percent"] = _num(round(float((r[col.GCT] / stride_ms * 100).mean()), 2))
        out["avg_vertical_oscillation"] = _num(round(float(r[col.VERTICAL_OSCILLATION].mean()), 1))
        out["avg_vertical_ratio"] = _num(round(float(r[col.VERTICAL_RATIO].mean()), 2))
        out["avg_step_length"] = _num(round(float(r[col.STEP_LENGTH].mean()), 1))
    return out, elapsed


def _moving_seconds(df: pd.DataFrame) -> float:
    dt = df[col.TIMESTAMP].diff().dt.total_seconds().fillna(0.0)
    return float(dt[df[col.CADENCE] > 0].sum())


def _int_or_none(value: float) -> int | None:
    return None if value is None or not math.isfinite(value) else round(value)


def _lap_ends(distance: np.ndarray) -> list[int]:
    """Index of the last record of each lap: a lap every full kilometre, and the remainder."""
    ends = []
    for km in range(1, int(distance[-1] // 1000) + 1):
        ends.append(int(np.argmax(distance >= km * 1000.0)))
    if not ends or ends[-1] < len(distance) - 1:
        ends.append(len(distance) - 1)
    return ends


def _lap_distance_m(df: pd.DataFrame, index: int, *, last: bool) -> float:
    """A distance-triggered lap is exactly 1 km, as the watch splits it; the last lap has the rest."""
    return float(df[col.DISTANCE].iloc[-1]) - 1000.0 * index if last else 1000.0


def to_fit(run: SyntheticRun, *, product: str = "fr965", utc_offset_s: int = 3600) -> bytes:
    """The run as a FIT activity file like a Garmin watch writes it (``utc_offset_s`` sets local time)."""
    df = run.samples
    product_id = _product_id(product)
    serial = 3_400_000_000 + run.seed % 100_000_000
    ts = [_fit_time(t) for t in df[col.TIMESTAMP]]
    start, end = ts[0], ts[-1]
    enc = Encoder()
    _file_header(enc, start, product_id, serial, run.sport, run.sub_sport, SPORT_NAMES.get(run.kind, "Run"))
    enc.write_mesg(
        _mesg(
            "DEVICE_INFO",
            timestamp=start,
            device_index=1,
            device_type=120,
            manufacturer="garmin",
            product=_product_id("hrm_pro_plus"),
            source_type="antplus",
        )
    )
    lap_ends = _lap_ends(df[col.DISTANCE].to_numpy())
    arrays = {c: df[c].to_numpy(dtype=float) for c in col.NUMERIC if c in df}
    lap_start = 0
    laps = 0
    for i, t in enumerate(ts):
        strides = arrays[col.CADENCE][i] / 2.0
        enc.write_mesg(
            _mesg(
                "RECORD",
                timestamp=t,
                position_lat=_semicircles(arrays[col.LAT][i]),
                position_long=_semicircles(arrays[col.LON][i]),
                distance=_num(arrays[col.DISTANCE][i]),
                enhanced_speed=_num(arrays[col.SPEED][i]),
                enhanced_altitude=_num(arrays[col.ALTITUDE][i]),
                heart_rate=_int_or_none(arrays[col.HEART_RATE][i]),
                cadence=math.floor(strides),
                fractional_cadence=strides - math.floor(strides),
                stance_time=_num(arrays[col.GCT][i]),
                stance_time_balance=_num(arrays[col.GCT_BALANCE][i]),
                stance_time_percent=_num(
                    round(arrays[col.GCT][i] * arrays[col.CADENCE][i] / 1200.0, 2) if strides else math.nan
                ),
                vertical_oscillation=_num(arrays[col.VERTICAL_OSCILLATION][i]),
                vertical_ratio=_num(arrays[col.VERTICAL_RATIO][i]),
                step_length=_num(arrays[col.STEP_LENGTH][i]),
                power=_int_or_none(arrays[col.POWER][i]),
                activity_type="running",
            )
        )
        if i == lap_ends[laps]:
            _write_lap(enc, run, df, lap_start, i, ts, laps, last=laps == len(lap_ends) - 1)
            laps += 1
            lap_start = i
    enc.write_mesg(_mesg("EVENT", timestamp=end, event="timer", event_type="stop_all", event_group=0))
    summary, elapsed = _summary(df)
    distance = float(df[col.DISTANCE].iloc[-1])
    avg_speed = round(distance / elapsed, 3) if elapsed else 0.0
    enc.write_mesg(
        _mesg(
            "SESSION",
            message_index=0,
            timestamp=end,
            start_time=start,
            start_position_lat=_semicircles(arrays[col.LAT][0]),
            start_position_long=_semicircles(arrays[col.LON][0]),
            total_elapsed_time=elapsed,
            total_timer_time=elapsed,
            total_distance=distance,
            total_ascent=int(run.device_ascent_m),
            total_descent=int(run.device_descent_m),
            total_calories=round(distance / 1000.0 * _MASS_KG),
            avg_speed=avg_speed,
            enhanced_avg_speed=avg_speed,
            first_lap_index=0,
            num_laps=laps,
            event="session",
            event_type="stop",
            trigger="activity_end",
            sport=run.sport,
            sub_sport=run.sub_sport,
            **summary,
        )
    )
    return _finish(enc, end, elapsed, utc_offset_s)


def _finish(enc: Encoder, end: int, elapsed: float, utc_offset_s: int) -> bytes:
    """The closing activity message (with the watch's local time), then the file's bytes."""
    enc.write_mesg(
        _mesg(
            "ACTIVITY",
            timestamp=end,
            total_timer_time=elapsed,
            num_sessions=1,
            type="manual",
            event="activity",
            event_type="stop",
            local_timestamp=end + utc_offset_s,
        )
    )
    return bytes(enc.close())


def _write_lap(
    enc: Encoder,
    run: SyntheticRun,
    df: pd.DataFrame,
    first: int,
    end: int,
    ts: list[int],
    index: int,
    *,
    last: bool,
) -> None:
    """A lap from record ``first`` (the previous lap's last record) to record ``end``."""
    part = df.iloc[first : end + 1]
    summary, elapsed = _summary(part)
    distance = _lap_distance_m(df, index, last=last)
    gain, loss = _hysteresis(part[col.ALTITUDE].to_numpy(), 1.0)
    avg_speed = round(distance / elapsed, 3) if elapsed else 0.0
    enc.write_mesg(
        _mesg(
            "LAP",
            message_index=index,
            timestamp=ts[end],
            start_time=ts[first],
            start_position_lat=_semicircles(float(part[col.LAT].iloc[0])),
            start_position_long=_semicircles(float(part[col.LON].iloc[0])),
            end_position_lat=_semicircles(float(part[col.LAT].iloc[-1])),
            end_position_long=_semicircles(float(part[col.LON].iloc[-1])),
            total_elapsed_time=elapsed,
            total_timer_time=elapsed,
            total_distance=round(distance, 2),  # the split distance; its records end just past it
            total_ascent=round(gain),
            total_descent=round(loss),
            avg_speed=avg_speed,
            enhanced_avg_speed=avg_speed,
            event="lap",
            event_type="stop",
            lap_trigger="session_end" if last else "distance",
            sport=run.sport,
            sub_sport=run.sub_sport,
            **summary,
        )
    )


# ---------------------------------------------------------------------------------------------- GPX

GPX_NS = "http://www.topografix.com/GPX/1/1"
TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def _gpx_time(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%dT%H:%M:%S}.000Z"


def to_gpx(run: SyntheticRun, *, creator: str = "stridelink synthetic") -> bytes:
    """The run as GPX 1.1, the way Garmin Connect exports it: time, elevation, heart rate and cadence.

    Cadence convention: ``gpxtpx:cad`` holds the FIT record's cadence field, whole **strides** per minute (one
    foot), as Garmin Connect's GPX export does; readers must double it for steps per minute. GPX carries no
    sub-sport and no running dynamics.
    """
    df = run.samples
    if df[col.LAT].isna().all():
        raise ValueError("a run without positions (treadmill) cannot be written as GPX")
    name = f"{SPORT_NAMES.get(run.kind, 'Run')} {run.start_utc:%Y-%m-%d}"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            f'<gpx creator={quoteattr(creator)} version="1.1" xmlns="{GPX_NS}" xmlns:gpxtpx="{TPX_NS}"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="'
            f"{GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd {TPX_NS}"
            ' http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd">'
        ),
        f" <metadata><time>{_gpx_time(df[col.TIMESTAMP].iloc[0])}</time></metadata>",
        f" <trk><name>{escape(name)}</name><type>running</type><trkseg>",
    ]
    for row in df.itertuples(index=False):
        values = row._asdict()
        lat, lon = values[col.LAT], values[col.LON]
        if not (math.isfinite(lat) and math.isfinite(lon)):
            continue
        ext = []
        if math.isfinite(values[col.HEART_RATE]):
            ext.append(f"<gpxtpx:hr>{int(values[col.HEART_RATE])}</gpxtpx:hr>")
        if math.isfinite(values[col.CADENCE]):
            ext.append(f"<gpxtpx:cad>{int(values[col.CADENCE] // 2)}</gpxtpx:cad>")
        ele = f"<ele>{values[col.ALTITUDE]:.1f}</ele>" if math.isfinite(values[col.ALTITUDE]) else ""
        extensions = (
            f"<extensions><gpxtpx:TrackPointExtension>{''.join(ext)}</gpxtpx:TrackPointExtension></extensions>"
            if ext
            else ""
        )
        lines.append(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">{ele}<time>{_gpx_time(values[col.TIMESTAMP])}</time>'
            f"{extensions}</trkpt>"
        )
    lines.append(" </trkseg></trk>")
    lines.append("</gpx>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------- training


def make_strength_session(
    start_utc: datetime,
    *,
    kind: str = "mobility",
    duration_s: float = 1200,
    seed: int = 0,
    product: str = "fr965",
    utc_offset_s: int = 3600,
) -> bytes:
    """A watch-recorded ankle mobility or strength session as a FIT activity: heart rate only.

    Sport ``training`` (10) with sub-sport ``flexibility_training`` (19) for ``mobility`` or
    ``strength_training`` (20) for ``strength``. (The profile's newer sport ``mobility`` (86) is not used:
    older decoders such as fitparse 1.2 do not know it.)
    """
    sub_sport = {"mobility": "flexibility_training", "strength": "strength_training"}.get(kind)
    if sub_sport is None:
        raise ValueError("kind must be 'mobility' or 'strength'")
    if start_utc.tzinfo is None:
        raise ValueError("start_utc must be timezone-aware")
    if duration_s < 60:
        raise ValueError("duration_s must be at least 60 s")
    rng = np.random.default_rng([seed, 100 + len(kind)])
    start = _fit_time(start_utc.astimezone(UTC).replace(microsecond=0))
    t = np.arange(0.0, duration_s + 1, 10.0)
    # sets of ~45 s work and ~45 s rest; strength work lifts heart rate more than mobility work
    work = (t % 90.0) < 45.0
    lift = 30.0 if kind == "strength" else 15.0
    target = 78.0 + lift * work
    hr = np.empty_like(t)
    h = 80.0
    for i, goal in enumerate(target):
        h += (goal - h) * 0.45
        hr[i] = h
    hr = np.round(np.clip(hr + 2.0 * rng.standard_normal(len(t)), 55.0, 180.0))
    product_id = _product_id(product)
    serial = 3_400_000_000 + seed % 100_000_000
    enc = Encoder()
    name = "Mobility" if kind == "mobility" else "Strength"
    _file_header(enc, start, product_id, serial, "training", sub_sport, name)
    for ti, h_bpm in zip(t, hr, strict=True):
        enc.write_mesg(_mesg("RECORD", timestamp=start + int(ti), heart_rate=int(h_bpm)))
    end = start + int(t[-1])
    elapsed = float(t[-1])
    calories = round(elapsed / 60.0 * (6.0 if kind == "strength" else 3.5))
    common: dict[str, object] = {
        "timestamp": end,
        "start_time": start,
        "total_elapsed_time": elapsed,
        "total_timer_time": elapsed,
        "total_calories": calories,
        "avg_heart_rate": round(float(hr.mean())),
        "max_heart_rate": int(hr.max()),
        "sport": "training",
        "sub_sport": sub_sport,
    }
    enc.write_mesg(_mesg("EVENT", timestamp=end, event="timer", event_type="stop_all", event_group=0))
    enc.write_mesg(
        _mesg("LAP", message_index=0, event="lap", event_type="stop", lap_trigger="session_end", **common)
    )
    enc.write_mesg(
        _mesg(
            "SESSION",
            message_index=0,
            first_lap_index=0,
            num_laps=1,
            event="session",
            event_type="stop",
            trigger="activity_end",
            **common,
        )
    )
    return _finish(enc, end, elapsed, utc_offset_s)
