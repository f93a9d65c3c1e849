"""GPX activities: a streaming, defused parse of the track points into one Activity per foot activity.

What the reader decides, and why:

- **Extensions.** Heart rate, cadence, power and speed are read by local name inside any namespace, from every
  extension block of a point (Garmin TrackPointExtension v1 and v2 under any prefix, gpxdata, Apple's plain
  ``<speed>``, Strava's plain ``<power>``, ``PowerExtension/PowerInWatts``); the first valid value wins.
  GPX 1.0's ``<speed>`` child counts as well.
- **Cadence.** Garmin Connect and Strava write ``gpxtpx:cad`` in strides per minute (one foot), as in FIT: the
  corpus twins agree (heartandsole ``testdata.gpx`` and ``testdata.fit`` carry the same 62 for the same second;
  Strava's run export has a median of 87). Other exporters may write steps. So the rule is by evidence in the
  file: when the median of the non-zero cadence values is below ``STRIDE_CADENCE_LIMIT_SPM`` for the sport
  (120 for running, 70 for walking and hiking), the values are strides and are doubled to steps per minute.
- **Sport.** From ``<trk><type>`` (Garmin and Apple words, Strava's numbers ``9`` run and ``1`` ride, Locus's
  ``<activity>`` track extension). Without a type the speed decides: a median moving speed above
  ``MAX_FOOT_SPEED_MPS`` is not a foot activity (skipped), below ``WALK_SPEED_MPS`` it is walking, else running.
  Tracks of different foot/non-foot types in one file yield one activity per foot track.
- **Time.** Any offset is converted to UTC, times without one are UTC (the GPX rule), times before the GPS epoch
  are placeholders (GPSBabel writes 1901 for "no time") and count as missing. Points out of time order are
  dropped (the fewest needed). Several segments and tracks are joined; the gap between them is a pause and adds
  no distance. A track that is mostly untimed is a drawn route, not a recording.
- **Elevation** is GPS or map data, never barometric (``altitude_source="gps"``); all-zero elevation means none.
- ``distance_m`` is the cumulative haversine distance within segments.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from stridelink import columns as col
from stridelink.errors import NotARunError, UnreadableFileError
from stridelink.hookspecs import hookimpl
from stridelink.models import Activity, Reader
from stridelink.readers.xmlsafe import iterparse, local_name

FOOT_SPORTS = ("running", "walking", "hiking")
MAX_FOOT_SPEED_MPS = 6.5  # 23 km/h median while moving: faster than any foot activity
WALK_SPEED_MPS = 1.7  # 6 km/h: slower than this while moving is walking
MOVING_SPEED_MPS = 0.5
STRIDE_CADENCE_LIMIT_SPM = {"running": 120.0, "walking": 70.0, "hiking": 70.0}
MIN_TIMED_SHARE = 0.5  # below this share of timed points a track is a drawn route
EARTH_RADIUS_M = 6_371_008.8  # mean radius
GPS_EPOCH = pd.Timestamp("1980-01-06", tz="UTC")
LAST_TIME = pd.Timestamp.max.tz_localize("UTC")  # the last time int64 nanoseconds hold

# Point extension values by lower-case local name, any namespace.
EXTENSION_COLUMNS = {
    "hr": col.HEART_RATE,
    "heartrate": col.HEART_RATE,
    "cad": col.CADENCE,
    "cadence": col.CADENCE,
    "runcadence": col.CADENCE,
    "power": col.POWER,
    "powerinwatts": col.POWER,
    "watts": col.POWER,
    "speed": col.SPEED,
}
_VALUE_COLUMNS = (col.HEART_RATE, col.CADENCE, col.POWER, col.SPEED)

# <trk><type>, and Locus's <trk><extensions><activity>
_TRACK_TYPES = {("type", "trk"), ("activity", "extensions")}
STRAVA_TYPES = {"9": ("running", None), "1": ("cycling", None)}
RUN_SUB_SPORTS = (
    ("trail", "trail"),
    ("treadmill", "treadmill"),
    ("indoor", "indoor_running"),
    ("track", "track"),
)
NOT_FOOT_WORDS = {
    "bik": "cycling", "cycl": "cycling", "ride": "cycling", "swim": "swimming", "ski": "skiing",
    "snowboard": "snowboarding", "skat": "skating", "row": "rowing", "paddl": "paddling", "kayak": "paddling",
    "canoe": "paddling", "surf": "surfing", "sail": "sailing", "driv": "driving", "motor": "driving",
}  # fmt: skip
MAKERS = (
    (re.compile(r"garmin|forerunner|\b(edge|f[eē]nix|epix|vivoactive|venu|instinct|enduro|oregon|etrex|gpsmap)\b"),
     "garmin"),
    (re.compile(r"suunto"), "suunto"),
    (re.compile(r"polar"), "polar"),
    (re.compile(r"coros"), "coros"),
    (re.compile(r"wahoo"), "wahoo_fitness"),
    (re.compile(r"apple"), "apple"),
    (re.compile(r"tomtom"), "tomtom"),
    (re.compile(r"nike"), "nike"),
    (re.compile(r"fitbit"), "fitbit"),
)  # fmt: skip


# --- shared with the other XML readers -------------------------------------------------------------------------


def classify_sport(label: str | None) -> tuple[str, str | None] | None:
    """(sport, sub_sport) a file's activity type names, FIT names for foot sports; None when unknown."""
    if not label or not label.strip():
        return None
    key = re.sub(r"[\s\-]+", "_", label.strip().lower())
    if key in STRAVA_TYPES:
        return STRAVA_TYPES[key]
    if "run" in key or "jog" in key:
        return "running", next((sub for word, sub in RUN_SUB_SPORTS if word in key), None)
    if "walk" in key:
        return "walking", None
    if "hik" in key or "trek" in key:
        return "hiking", None
    return next(((sport, None) for word, sport in NOT_FOOT_WORDS.items() if word in key), None)


def refuse_not_foot(label: str | None) -> tuple[str, str | None] | None:
    """(sport, sub_sport) when the label names a foot sport, None when unknown; NotARunError for other sports."""
    known = classify_sport(label)
    if known is not None and known[0] not in FOOT_SPORTS:
        family = "" if known[0] in str(label).lower() else f" ({known[0]})"
        raise NotARunError(f"not a foot activity: the file's type is {label!r}{family}")
    return known


def foot_sport(label: str | None, median_speed_mps: float) -> tuple[str, str | None]:
    """The sport of a recording from its type, else from its speed; NotARunError when it is not on foot."""
    known = refuse_not_foot(label)
    if known is not None:
        return known
    if median_speed_mps > MAX_FOOT_SPEED_MPS:
        raise NotARunError(
            f"not a foot activity: median moving speed {median_speed_mps:.1f} m/s "
            f"({median_speed_mps * 3.6:.0f} km/h) is above {MAX_FOOT_SPEED_MPS} m/s"
        )
    return ("walking" if median_speed_mps < WALK_SPEED_MPS else "running"), None


def manufacturer_from(creator: str | None) -> str | None:
    """The device maker a creator string names (FIT manufacturer names), None for apps and unknown makers."""
    text = (creator or "").lower()
    return next((maker for pattern, maker in MAKERS if pattern.search(text)), None)


def parse_times(texts: Sequence[str | None]) -> np.ndarray:
    """ISO 8601 texts -> int64 ns since the Unix epoch, UTC; -1 where missing, unreadable, before GPS time or
    after what int64 nanoseconds hold (year 2262)."""
    times = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601", errors="coerce")
    missing = (times.isna() | (times < GPS_EPOCH) | (times > LAST_TIME)).to_numpy()
    if missing.any():
        times = times.where(~missing, GPS_EPOCH)  # far-future dates do not fit in nanoseconds: drop them first
    ns = times.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    ns[missing] = -1
    return ns


def in_time_order(ns: np.ndarray) -> np.ndarray:
    """Indices of the points to keep so times strictly increase, dropping as few as possible (first wins)."""
    steps = np.diff(ns)
    if (steps > 0).all():
        return np.arange(ns.size)
    kept = np.flatnonzero(np.r_[True, steps != 0])  # repeated times: the first point stays
    values = ns[kept]
    if (np.diff(values) > 0).all():
        return kept
    # Longest strictly increasing subsequence (patience sorting), for clocks that jump back.
    tails: list[int] = []
    tail_at: list[int] = []
    previous = [-1] * values.size
    for i, value in enumerate(values.tolist()):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        previous[i] = tail_at[k - 1] if k else -1
    chain = []
    i = tail_at[-1]
    while i >= 0:
        chain.append(i)
        i = previous[i]
    return kept[np.array(chain[::-1], dtype=np.int64)]


def path_distance_m(lat: np.ndarray, lon: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Cumulative haversine distance; nothing is added across segments or from points without a position."""
    phi = np.radians(lat)
    half_dphi = np.diff(phi) / 2
    half_dlambda = np.diff(np.radians(lon)) / 2
    a = np.sin(half_dphi) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(half_dlambda) ** 2
    step = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    step[segment[1:] != segment[:-1]] = 0.0
    return np.r_[0.0, np.cumsum(np.nan_to_num(step))]


def median_moving_speed_mps(distance_m: np.ndarray, ns: np.ndarray, segment: np.ndarray) -> float:
    dt_s = np.diff(ns) / 1e9
    ok = (dt_s > 0) & (segment[1:] == segment[:-1])
    speed = np.diff(distance_m)[ok] / dt_s[ok]
    speed = speed[speed > MOVING_SPEED_MPS]
    return float(np.median(speed)) if speed.size else math.nan


def cadence_spm(raw: np.ndarray, sport: str) -> np.ndarray:
    """Steps per minute: values whose non-zero median is stride-like for the sport are doubled (see above)."""
    moving = raw[np.isfinite(raw) & (raw > 0)]
    if moving.size and np.median(moving) < STRIDE_CADENCE_LIMIT_SPM.get(sport, 120.0):
        return raw * 2.0
    return raw


def samples_frame(ns: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """The canonical DataFrame: UTC timestamps, then the columns that hold at least one value."""
    data: dict[str, Any] = {col.TIMESTAMP: pd.to_datetime(ns, unit="ns", utc=True)}
    for name in col.NUMERIC:
        column = values.get(name)
        if column is not None and np.isfinite(column).any():
            data[name] = column.astype(np.float64)
    return pd.DataFrame(data)


def has_elevation(altitude_m: np.ndarray) -> bool:
    known = altitude_m[np.isfinite(altitude_m)]
    return bool(known.size) and bool((known != 0).any())


# --- GPX ---------------------------------------------------------------------------------------------------------


_ELE, _TIME, _IGNORED = 4, -2, -1
_ROW = ("track", "segment", col.LAT, col.LON, col.ALTITUDE, *_VALUE_COLUMNS)  # one float row per track point


class _PointSlots(dict[str, int]):
    """Tag -> where its value goes in a point's row (``_TIME``, ``_IGNORED``), computed once per tag."""

    def __missing__(self, tag: str) -> int:
        name = local_name(tag).lower()
        if name == "ele":
            slot = _ELE
        elif name == "time":
            slot = _TIME
        elif name in EXTENSION_COLUMNS:
            slot = _ROW.index(EXTENSION_COLUMNS[name])
        else:
            slot = _IGNORED
        self[tag] = slot
        return slot


_RECORDS = frozenset(("trkpt", "rtept", "wpt"))
_STARTS = frozenset(("trk", "trkseg"))


class _Parsed:
    """What the parse collects, as plain lists: one row and one time text per track point."""

    def __init__(self) -> None:
        self.rows = array("d")  # flat: len(_ROW) values per point
        self.times: list[str | None] = []
        self.types: list[str | None] = []  # per <trk>
        self.creator: str | None = None
        self.other_points = 0  # route points and waypoints


def _collect(data: bytes) -> _Parsed:
    out = _Parsed()
    track, segment = -1, 0  # <trk> index (types[track] is its type), segment number
    in_track = False
    slots = _PointSlots()
    nan, inf = math.nan, math.inf
    for event, name, elem, parent in iterparse(data, records=_RECORDS, starts=_STARTS):
        if event == "start":
            if not parent:
                if name != "gpx":
                    raise UnreadableFileError(f"not a GPX file (the root element is <{name}>)")
                out.creator = (elem.get("creator") or "").strip() or None
            elif name == "trk":
                track += 1
                segment += 1
                in_track = True
                out.types.append(None)
            elif name == "trkseg" and in_track:
                segment += 1
            continue
        if name == "trkpt":
            try:
                lat, lon = float(elem.get("lat")), float(elem.get("lon"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                lat = lon = nan
            row = [track, segment, lat, lon, nan, nan, nan, nan, nan]
            when = None
            for node in elem.iter():  # children and every extension block: the first valid value wins
                slot = slots[node.tag]
                if slot > 0:
                    if row[slot] != row[slot]:
                        try:
                            value = float(node.text)  # type: ignore[arg-type]
                        except (TypeError, ValueError):
                            continue
                        if value < inf and (value >= 0 or slot == _ELE and value > -inf):
                            row[slot] = value
                elif slot == _TIME and when is None:
                    when = node.text
            out.rows.extend(row)
            out.times.append(when)
        elif name in ("rtept", "wpt"):
            out.other_points += 1
        elif name == "trk":
            in_track = False
        elif in_track and out.types[-1] is None and (name, parent) in _TRACK_TYPES:
            out.types[-1] = (elem.text or "").strip() or None
    return out


def read_gpx(data: bytes, name: str = "") -> list[Activity]:
    """The foot activities of a GPX file; raises UnreadableFileError or NotARunError with the reason."""
    found = _collect(data)
    if not found.rows:
        what = "only routes or waypoints" if found.other_points else "no track points"
        raise NotARunError(f"the file holds {what}, not a recorded activity")
    table = np.frombuffer(found.rows, dtype=np.float64).reshape(-1, len(_ROW))
    lat, lon = table[:, 2], table[:, 3]
    placed = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    if not placed.any():
        raise UnreadableFileError("no track point has a valid latitude and longitude")
    ns = parse_times(found.times)
    timed = ns >= 0
    if timed.sum() < 2:
        raise NotARunError(
            f"fewer than 2 track points have a time ({timed.sum()} of {timed.size}): not a recording"
        )
    if timed.mean() < MIN_TIMED_SHARE:
        raise NotARunError(f"only {timed.sum()} of {timed.size} track points have a time: a drawn route")
    keep = np.flatnonzero(placed & timed)
    keep = keep[in_time_order(ns[keep])]
    if keep.size < 2:
        raise NotARunError("fewer than 2 track points in time order")

    table, ns = table[keep], ns[keep]
    track, segment = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    values = {column: table[:, i] for i, column in enumerate(_ROW) if i >= 2}
    elevation = has_elevation(values[col.ALTITUDE])
    if not elevation:
        del values[col.ALTITUDE]

    activities = []
    reasons = []
    for rows, label in _legs(track, found.types):
        leg_ns, leg_segment = ns[rows], segment[rows]
        leg = {column: v[rows] for column, v in values.items()}
        leg[col.DISTANCE] = path_distance_m(leg[col.LAT], leg[col.LON], leg_segment)
        try:
            sport, sub_sport = foot_sport(
                label, median_moving_speed_mps(leg[col.DISTANCE], leg_ns, leg_segment)
            )
        except NotARunError as exc:
            reasons.append(str(exc))
            continue
        leg[col.CADENCE] = cadence_spm(leg[col.CADENCE], sport)
        samples = samples_frame(leg_ns, leg)
        activities.append(
            Activity(
                sport=sport,
                sub_sport=sub_sport,
                start_utc=samples[col.TIMESTAMP].iloc[0].to_pydatetime(),
                source_format="gpx",
                samples=samples,
                manufacturer=manufacturer_from(found.creator),
                product=found.creator,
                altitude_source="gps" if elevation else None,
            )
        )
    if not activities:
        raise NotARunError("; ".join(dict.fromkeys(reasons)))
    return activities


def _legs(track: np.ndarray, types: list[str | None]) -> list[tuple[np.ndarray, str | None]]:
    """Rows per activity: the whole file, unless its tracks name foot and non-foot types (then one per track)."""
    kinds = [classify_sport(label) for label in types]
    foot = {i for i, kind in enumerate(kinds) if kind is not None and kind[0] in FOOT_SPORTS}
    other = {i for i, kind in enumerate(kinds) if kind is not None and kind[0] not in FOOT_SPORTS}
    if not (foot and other):
        label = next((label for label, kind in zip(types, kinds) if kind is not None), None)
        return [(np.arange(track.size), label)]
    legs = [(np.flatnonzero(track == i), types[i]) for i in sorted(foot)]
    return [(rows, label) for rows, label in legs if rows.size >= 2]


@hookimpl
def register_readers(register: Any) -> None:
    register(
        Reader(name="gpx", suffixes=(".gpx",), read=read_gpx, description="GPX tracks (GPS exchange format)")
    )
