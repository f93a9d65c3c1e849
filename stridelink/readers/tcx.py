"""TCX activities (Garmin Training Center XML): one Activity per foot ``<Activity>``, canonical units.

Read the same way as GPX (``stridelink.readers.gpx`` documents the shared rules: time order, cadence, sport from
speed): a streaming, defused parse of the ``Trackpoint`` records.

- **Sport.** The ``Sport`` attribute: ``Running`` is running, ``Biking`` is skipped, ``Other`` is judged by the
  evidence (``stridelink.readers.sport``: creator, speed, cadence). A file that holds only ``Courses`` is a planned route and is skipped. Each ``<Activity>`` (several per
  file, or the legs of a ``MultiSportSession``) becomes its own activity.
- **Distance** is the device's own ``DistanceMeters`` where the file has it (a foot pod on a treadmill has no
  position), else the haversine distance along the positions.
- **Cadence.** ``TPX/RunCadence`` is strides per minute in every file seen (the heartandsole twin carries the same
  value as its FIT); the trackpoint ``Cadence`` is what bike computers write, and Polar writes running cadence
  there. Both go through the GPX reader's rule: a non-zero median below the sport's stride limit is doubled.
  ``RunCadence`` wins where a point has both.
- **Laps.** Each ``<Lap>``'s own figures go into ``Activity.laps``, their sums into ``device_totals``. Each
  ``<Track>`` is a segment: the gap between tracks is a pause.
- **Altitude** is treated as GPS (TCX does not say whether a barometer measured it).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from typing import Any

import numpy as np

from stridelink import columns as col
from stridelink.errors import NotARunError, UnreadableFileError
from stridelink.hookspecs import hookimpl
from stridelink.models import Activity, Reader
from stridelink.readers.gpx import (
    cadence_spm,
    foot_sport,
    has_elevation,
    in_time_order,
    manufacturer_from,
    parse_times,
    path_distance_m,
    refuse_not_foot,
    canonical_samples,
)
from stridelink.readers.sport import Evidence
from stridelink.readers.xmlsafe import iterparse, local_name, tolerant
from stridelink.samples import datetime_of, forward_filled

_RECORDS = frozenset(("Trackpoint", "Creator", "Author"))
_STARTS = frozenset(("Activity", "Lap", "Track", "Course"))

# One float row per trackpoint; the trackpoint's elements by lower-case local name.
_SEGMENT, _LAT, _LON, _ALT, _DIST, _HR, _CAD, _RUN_CAD, _SPEED, _POWER = range(10)
_ROW_WIDTH = 10
_TIME, _IGNORED = -2, -1
_SLOT_OF = {
    "latitudedegrees": _LAT,
    "longitudedegrees": _LON,
    "altitudemeters": _ALT,
    "distancemeters": _DIST,
    "value": _HR,  # HeartRateBpm/Value
    "cadence": _CAD,
    "runcadence": _RUN_CAD,
    "speed": _SPEED,
    "watts": _POWER,
    "time": _TIME,
}
_SIGNED = (_LAT, _LON, _ALT)

# Lap figures: (element, parent) -> key, with a unit factor.
_LAP_FIELDS: dict[tuple[str, str], tuple[str, float]] = {
    ("TotalTimeSeconds", "Lap"): ("timer_time_s", 1.0),
    ("DistanceMeters", "Lap"): ("distance_m", 1.0),
    ("Value", "AverageHeartRateBpm"): ("avg_heart_rate_bpm", 1.0),
    ("AvgSpeed", "LX"): ("avg_speed_mps", 1.0),
    ("AvgRunCadence", "LX"): ("avg_cadence_spm", 2.0),  # strides/min, as RunCadence
    ("AvgWatts", "LX"): ("avg_power_w", 1.0),
}


_HR_KEYS = {"timer_time_s", "avg_heart_rate_bpm"}


class _TagSlots(dict[str, int]):
    def __missing__(self, tag: str) -> int:
        self[tag] = slot = _SLOT_OF.get(local_name(tag).lower(), _IGNORED)
        return slot


class _Recording:
    """One ``<Activity>`` as the parse collects it: plain lists."""

    def __init__(self, sport: str | None) -> None:
        self.sport = sport
        self.rows = array("d")  # flat, _ROW_WIDTH values per trackpoint
        self.times: list[str | None] = []
        self.laps: list[dict[str, float]] = []
        self.creator: str | None = None


def _collect(data: bytes) -> tuple[list[_Recording], int]:
    recordings: list[_Recording] = []
    courses = 0
    segment = 0
    slots = _TagSlots()
    nan, inf = math.nan, math.inf
    for event, name, elem, parent in iterparse(data, records=_RECORDS, starts=_STARTS):
        if event == "start":
            if not parent and name != "TrainingCenterDatabase":
                raise UnreadableFileError(f"not a TCX file (the root element is <{name}>)")
            if name == "Activity":
                recordings.append(_Recording(elem.get("Sport")))
            elif name == "Course":
                courses += 1
            elif recordings and name == "Lap":
                recordings[-1].laps.append({})
            elif name == "Track":
                segment += 1
            continue
        if name == "Trackpoint":
            if not recordings:
                continue  # a course's point
            row = [segment, nan, nan, nan, nan, nan, nan, nan, nan, nan]
            when = None
            for node in elem.iter():  # the first valid value wins
                slot = slots[node.tag]
                if slot > 0:
                    if row[slot] != row[slot]:
                        try:
                            value = float(node.text)  # type: ignore[arg-type]
                        except (TypeError, ValueError):
                            continue
                        if -inf < value < inf and (value >= 0 or slot in _SIGNED):
                            row[slot] = value
                elif slot == _TIME and when is None:
                    when = node.text
            recordings[-1].rows.extend(row)
            recordings[-1].times.append(when)
        elif name == "Creator" and recordings:
            names = [node.text for node in elem.iter() if local_name(node.tag) == "Name" and node.text]
            recordings[-1].creator = names[0].strip() if names else None
        elif recordings and recordings[-1].laps and (name, parent) in _LAP_FIELDS:
            key, factor = _LAP_FIELDS[name, parent]
            try:
                recordings[-1].laps[-1].setdefault(key, float(elem.text or "") * factor)
            except ValueError:
                pass
    return recordings, courses


def read_tcx(data: bytes, name: str = "") -> list[Activity]:
    """The foot activities of a TCX file; raises UnreadableFileError or NotARunError with the reason."""
    recordings, courses = tolerant(_collect, data)
    if not recordings:
        raise NotARunError(
            "a course (a planned route), not a recorded activity" if courses else "no activities"
        )
    activities = []
    reasons = []
    for recording in recordings:
        try:
            activities.append(_activity(recording))
        except NotARunError as exc:
            reasons.append(str(exc))
    if not activities:
        raise NotARunError("; ".join(dict.fromkeys(reasons)))
    return activities


def _activity(recording: _Recording) -> Activity:
    refuse_not_foot(recording.sport)  # Biking: skipped before looking at the points
    table = np.frombuffer(recording.rows, dtype=np.float64).reshape(-1, _ROW_WIDTH)
    ns = parse_times(recording.times)
    keep = np.flatnonzero(ns >= 0)
    keep = keep[in_time_order(ns[keep])]
    if keep.size < 2:
        raise NotARunError("fewer than 2 trackpoints with a time")
    table, ns = table[keep], ns[keep]
    segment = table[:, _SEGMENT].astype(np.int64)
    values = {
        col.LAT: table[:, _LAT],
        col.LON: table[:, _LON],
        col.HEART_RATE: table[:, _HR],
        col.SPEED: table[:, _SPEED],
        col.POWER: table[:, _POWER],
    }
    elevation = has_elevation(table[:, _ALT])
    if elevation:
        values[col.ALTITUDE] = table[:, _ALT]
    device_distance = table[:, _DIST]
    if np.isfinite(device_distance).any():
        filled = forward_filled(device_distance, before_first=0.0)
        values[col.DISTANCE] = np.fmax.accumulate(filled)
    else:
        values[col.DISTANCE] = path_distance_m(values[col.LAT], values[col.LON], segment)
    raw_cadence = np.where(np.isfinite(table[:, _RUN_CAD]), table[:, _RUN_CAD], table[:, _CAD])
    # "Other" names no sport, so the evidence decides.
    evidence = Evidence(values[col.DISTANCE], ns, segment, raw_cadence, recording.creator)
    sport, sub_sport = foot_sport(recording.sport, evidence)
    values[col.CADENCE] = cadence_spm(raw_cadence, sport)
    samples = canonical_samples(ns, values)
    return Activity(
        sport=sport,
        sub_sport=sub_sport,
        start_utc=datetime_of(samples.time_ns()[0]),
        source_format="tcx",
        samples=samples,
        manufacturer=manufacturer_from(recording.creator),
        product=recording.creator,
        altitude_source="gps" if elevation else None,
        device_totals=_totals(recording.laps),
        laps=tuple(recording.laps),
    )


def _totals(laps: list[dict[str, float]]) -> Mapping[str, float]:
    """The activity's figures from its laps: sums, and a time-weighted mean heart rate."""
    totals: dict[str, float] = {}
    for key in ("distance_m", "timer_time_s"):
        if laps and all(key in lap for lap in laps):
            totals[key] = sum(lap[key] for lap in laps)
    if totals.get("timer_time_s") and "distance_m" in totals:
        totals["avg_speed_mps"] = totals["distance_m"] / totals["timer_time_s"]
    timed_hr = [(lap["timer_time_s"], lap["avg_heart_rate_bpm"]) for lap in laps if _HR_KEYS <= lap.keys()]
    seconds = sum(t for t, _ in timed_hr)
    if seconds > 0:
        totals["avg_heart_rate_bpm"] = sum(t * hr for t, hr in timed_hr) / seconds
    return totals


@hookimpl
def register_readers(register: Any) -> None:
    register(
        Reader(
            name="tcx",
            suffixes=(".tcx",),
            read=read_tcx,
            description="TCX activities (Garmin Training Center)",
        )
    )
