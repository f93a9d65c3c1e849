"""The sport of a recording that does not name one (GPX without a type, TCX ``Sport="Other"``), by evidence.

Each rule below is a thing no foot activity does; the first that holds skips the recording with its reason
(``NotARunError``). A recording none of them rules out is running, or walking when it moves slower than 6 km/h.

- **Creator.** Written by a bike computer or a cycling or swimming app (Garmin Edge, Wahoo ELEMNT, Zwift, ...).
- **Speed.** A median moving speed above 6.5 m/s (23 km/h), or a 30-second speed above 7 m/s (25 km/h, a
  2:23/km pace) for a quarter of the moving time: only ever seen on wheels. (A walk with a short drive in it
  stays a walk.)
- **Cadence against speed.** Bike computers write pedal revolutions where runners' files write strides: both
  read 60-100 per minute. Taken as strides, pedalling at road speeds means steps over 2 m long (a runner's are
  0.8-1.6 m): a median above ``MAX_STEP_M`` is wheels, not feet.
- **Cadence alone.** A non-zero median below 70 steps per minute is no walk's or run's step rate (walkers step
  90-120 times a minute): it is a swimmer's or paddler's stroke rate.
- **Track shape.** More than 60 km at a median above 4.5 m/s (16 km/h) is a ride: runs that long are ultras,
  far slower.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from stridelink.errors import NotARunError
from stridelink.units import MPS_TO_KMH

MAX_FOOT_SPEED_MPS = 6.5  # 23 km/h median while moving: faster than any foot activity
MAX_SUSTAINED_SPEED_MPS = 7.0  # a 30 s speed above this for a quarter of the moving time is not on foot
SUSTAINED_WINDOW_S = 30.0
SUSTAINED_SHARE = 0.25
WALK_SPEED_MPS = 1.7  # 6 km/h: slower than this while moving is walking
MOVING_SPEED_MPS = 0.5
MAX_STEP_M = 2.0  # median distance per step (cadence taken as strides); runners' steps are 0.8-1.6 m
MIN_FOOT_CADENCE_SPM = 70.0  # steps per minute: below any walk's
LONG_RIDE_M, LONG_RIDE_SPEED_MPS = 60_000.0, 4.5

NOT_FOOT_CREATORS = (
    (re.compile(r"\bedge\b|elemnt|wahoo|bryton|lezyne|hammerhead|karoo|cateye|sigma ?sport|\bbike|cycl|\bride"),
     "cycling"),
    (re.compile(r"zwift|rouvy|trainerroad|tacx|bkool|fulgaz|ride ?with ?gps|bikemap|komoot.*bike"), "cycling"),
    (re.compile(r"swim"), "swimming"),
    (re.compile(r"paddl|kayak|rowing|\bcanoe"), "paddling"),
)  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    """What a recording shows about how it moved."""

    distance_m: np.ndarray  # cumulative, per point
    ns: np.ndarray  # int64 nanoseconds, per point
    segment: np.ndarray  # per point: no speed is taken across segments
    cadence_raw: np.ndarray | None = None  # as written in the file (strides, steps or revolutions per minute)
    creator: str | None = None


def median_moving_speed_mps(distance_m: np.ndarray, ns: np.ndarray, segment: np.ndarray) -> float:
    speed = _point_speeds(distance_m, ns, segment)
    speed = speed[speed > MOVING_SPEED_MPS]
    return float(np.median(speed)) if speed.size else math.nan


def _point_speeds(distance_m: np.ndarray, ns: np.ndarray, segment: np.ndarray) -> np.ndarray:
    dt_s = np.diff(ns) / 1e9
    ok = (dt_s > 0) & (segment[1:] == segment[:-1])
    speed: np.ndarray = np.diff(distance_m)[ok] / dt_s[ok]
    return speed


def sustained_speeds_mps(distance_m: np.ndarray, ns: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Speed over each stretch of about 30 s that starts at a point (within one segment, without a long gap)."""
    t = (ns - ns[0]) / 1e9
    end = np.searchsorted(t, t + SUSTAINED_WINDOW_S)
    start = np.flatnonzero(end < t.size)
    end = end[start]
    seconds = t[end] - t[start]
    ok = (segment[end] == segment[start]) & (seconds > 0) & (seconds <= 2 * SUSTAINED_WINDOW_S)
    speeds: np.ndarray = (distance_m[end] - distance_m[start])[ok] / seconds[ok]
    return speeds


def not_foot_reason(evidence: Evidence) -> str | None:
    """Why the recording cannot have been on foot, or None when nothing rules it out (module notes)."""
    creator = (evidence.creator or "").lower()
    for pattern, sport in NOT_FOOT_CREATORS:
        if pattern.search(creator):
            return f"written by {evidence.creator!r}, a {sport} device or app"
    distance, ns, segment = evidence.distance_m, evidence.ns, evidence.segment
    median = median_moving_speed_mps(distance, ns, segment)
    if median > MAX_FOOT_SPEED_MPS:
        return f"median moving speed {median:.1f} m/s ({median * MPS_TO_KMH:.0f} km/h) is above {MAX_FOOT_SPEED_MPS} m/s"
    sustained = sustained_speeds_mps(distance, ns, segment)
    sustained = sustained[sustained > MOVING_SPEED_MPS]
    if sustained.size and np.mean(sustained > MAX_SUSTAINED_SPEED_MPS) > SUSTAINED_SHARE:
        fast = float(np.quantile(sustained, 1 - SUSTAINED_SHARE))
        return f"holds {fast * MPS_TO_KMH:.0f} km/h for a quarter of its moving time: faster than any foot activity"
    total = float(distance[-1] - distance[0]) if distance.size else 0.0
    if total > LONG_RIDE_M and median > LONG_RIDE_SPEED_MPS:
        return f"{total / 1000:.0f} km at a median {median * MPS_TO_KMH:.0f} km/h: a ride, not a foot activity"
    cadence = evidence.cadence_raw
    if cadence is not None and np.isfinite(median):
        moving = np.isfinite(cadence) & (cadence > 0)
        if moving.sum() >= 10:
            per_minute = float(np.median(cadence[moving]))
            steps = per_minute * 2.0 if per_minute < 120.0 else per_minute  # strides (or revolutions) as steps
            if steps < MIN_FOOT_CADENCE_SPM:
                return f"{steps:.0f} strokes or steps per minute is below any walk's step rate (a swim or paddle?)"
            step_m = median / (steps / 60.0)
            if step_m > MAX_STEP_M:
                return (
                    f"{median * MPS_TO_KMH:.0f} km/h at a cadence of {per_minute:.0f} per minute means {step_m:.1f} m "
                    "per step: pedalling, not running"
                )
    return None


def foot_sport_from_evidence(evidence: Evidence) -> tuple[str, str | None]:
    """Running or walking for a recording without a sport label; NotARunError with the reason otherwise."""
    reason = not_foot_reason(evidence)
    if reason is not None:
        raise NotARunError(f"not a foot activity: {reason}")
    median = median_moving_speed_mps(evidence.distance_m, evidence.ns, evidence.segment)
    return ("walking" if median < WALK_SPEED_MPS else "running"), None
