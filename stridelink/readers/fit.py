"""FIT activities: decoded messages -> one Activity per foot-sport session, canonical units.

Decoding is the fast numpy decoder's job where it accepts the file, fitparse's otherwise (the reference).
This module only normalises: units (running cadence in FIT is strides/min), developer fields (Stryd and other
Connect IQ apps) for a metric the watch itself did not record, multisport legs, relative and non-monotonic
timestamps, and clock jumps (checked against the sessions' own elapsed time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from stridelink import columns as col
from stridelink.errors import NotARunError, TrainingSessionFile, UnreadableFileError
from stridelink.hookspecs import hookimpl
from stridelink.medians import median
from stridelink.models import Activity, Reader
from stridelink.readers import fitfast
from stridelink.readers.fitmessages import FIT_EPOCH_S, FastPathDeclined, FitMessages
from stridelink.readers.fitprofile import enum_values
from stridelink.samples import NAT_NS, Samples, datetime_of, ns_of, times_ns_from_seconds
from stridelink.units import SEMICIRCLE_DEG

FOOT_SPORTS = {"running", "walking", "hiking"}
TRAINING = {("training", "strength_training"), ("training", "flexibility_training"), ("training", "yoga")}
RELATIVE_LIMIT = 0x10000000  # timestamps below this count seconds from device power-on
CLOCK_SLACK = 1.02  # records may span the sessions' elapsed time by this factor (rounding, a closing record)
CLOCK_SLACK_S = 60.0  # ... plus this
MIN_JUMP_S = 300.0  # a shorter silence is never taken for a clock jump
MAX_SILENCE_S = 86400.0  # without a session to check against, a longer silence in one recording is a clock jump
# Phone apps record GPS altitude; watches with a barometer are the rule otherwise.
GPS_ALTITUDE_MAKERS = {"strava", "development", "zwift", "runtastic", "nike", "strava_app"}

# Developer (Connect IQ) fields by lower-case name: canonical column, unit factors by lower-case units.
DEV_FIELDS: dict[str, tuple[str, dict[str, float]]] = {
    "ground time": (col.GCT, {"": 1.0, "ms": 1.0, "milliseconds": 1.0}),
    "vertical oscillation": (col.VERTICAL_OSCILLATION, {"cm": 10.0, "centimeters": 10.0, "mm": 1.0}),
    "cadence": (col.CADENCE, {"rpm": 2.0, "strides/min": 2.0, "spm": 1.0, "steps/min": 1.0}),
    "power": (col.POWER, {"": 1.0, "w": 1.0, "watts": 1.0}),
    "form power": (col.FORM_POWER, {"": 1.0, "w": 1.0, "watts": 1.0}),
    "leg spring stiffness": (col.LEG_SPRING_STIFFNESS, {"": 1.0, "kn/m": 1.0}),
}

# Native record fields -> canonical columns (first listed wins where both exist).
NATIVE: dict[str, tuple[str, ...]] = {
    col.DISTANCE: ("distance",),
    col.SPEED: ("enhanced_speed", "speed"),
    col.ALTITUDE: ("enhanced_altitude", "altitude"),
    col.HEART_RATE: ("heart_rate",),
    col.GCT: ("stance_time",),
    col.GCT_BALANCE: ("stance_time_balance",),
    col.VERTICAL_OSCILLATION: ("vertical_oscillation",),
    col.VERTICAL_RATIO: ("vertical_ratio",),
    col.STEP_LENGTH: ("step_length",),
    col.POWER: ("power",),
}
ZERO_MEANS_MISSING = (col.GCT, col.GCT_BALANCE, col.VERTICAL_OSCILLATION, col.VERTICAL_RATIO, col.STEP_LENGTH)


def decode(data: bytes) -> FitMessages:
    """Fast path first; the reference decoder judges whatever the fast path declines."""
    try:
        return fitfast.decode(data)
    except FastPathDeclined:
        pass
    from stridelink.readers.fitref import decode_fitparse

    return decode_fitparse(data)


def read_fit(data: bytes, name: str = "") -> list[Activity]:
    """The foot activities of a FIT file; raises UnreadableFileError or NotARunError with the reason."""
    if len(data) < 12:
        raise UnreadableFileError("too short to be a FIT file" if data else "the file is empty")
    return activities_from_messages(decode(data))


def activities_from_messages(msgs: FitMessages) -> list[Activity]:
    if msgs.file_type not in (None, "activity"):
        raise NotARunError(f"{_file_kind(msgs.file_type)}, not an activity")
    offset = _relative_offset(msgs)
    sessions = [_named_sport(_shifted(s, offset)) for s in msgs.sessions] or [_fallback_session(msgs)]
    msgs.laps = [_shifted(lap, offset) for lap in msgs.laps]
    foot = [s for s in sessions if s.get("sport") in FOOT_SPORTS]
    if not foot:
        _raise_not_foot(sessions, msgs)
    timestamps = _absolute_timestamps(msgs, offset)
    keep = _monotonic(timestamps)
    timestamps = _without_clock_jumps(timestamps, keep, sessions if msgs.sessions else [])
    frame = _samples(msgs, timestamps, keep)
    activities = []
    for session in foot:
        samples = frame if len(sessions) == 1 else _leg(frame, session)
        if len(samples) == 0:
            continue
        activities.append(_activity(msgs, session, samples))
    if not activities:
        raise NotARunError("the file has a running session but no recorded samples")
    return activities


def _named_sport(session: Mapping[str, Any]) -> dict[str, Any]:
    """Sport names from the current profile where the decoder only knew a number."""
    out = dict(session)
    for key, table in (("sport", "sport"), ("sub_sport", "sub_sport")):
        value = out.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = (enum_values(table) or {}).get(int(value), str(int(value)))
    return out


def _fallback_session(msgs: FitMessages) -> dict[str, Any]:
    """No session message (e.g. a recording the watch never closed): the sport message or lap says what it was."""
    for source in (*msgs.sports, *msgs.laps):
        if source.get("sport") is not None:
            return _named_sport({"sport": source.get("sport"), "sub_sport": source.get("sub_sport")})
    if msgs.n_records == 0:
        raise NotARunError("the file holds no recorded samples")
    raise NotARunError("the file does not say which sport it recorded")


def _raise_not_foot(sessions: list[dict[str, Any]], msgs: FitMessages) -> None:
    first = sessions[0]
    sport, sub_sport = str(first.get("sport")), str(first.get("sub_sport"))
    if (sport, sub_sport) in TRAINING or sport == "mobility":
        start = _time(first.get("start_time")) or _time(msgs.time_created)
        duration = _number(first, "total_timer_time", "total_elapsed_time") or 0.0
        label = sub_sport.replace("_", " ") if sport == "training" else sport
        raise TrainingSessionFile(f"a {label} session, not a run (counted as an ankle session done)",
                                  start_utc=start, duration_s=duration, label=label)
    names = sorted({_words(s.get("sport"), "sport") for s in sessions if s.get("sport") is not None})
    if not names:
        raise NotARunError("the file does not say which sport it recorded")
    raise NotARunError(f"{_article(', '.join(names))} activity, not a foot activity")


def _words(value: Any, table: str) -> str:
    """A profile name for people: ``stand_up_paddleboarding`` -> "stand up paddleboarding"; a number the
    profile does not name -> "sport 254"."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        named = (enum_values(table) or {}).get(int(value))
        return named.replace("_", " ") if named else f"{table} {int(value)}"
    return str(value).replace("_", " ")


def _article(words: str) -> str:
    return f"{'an' if words[:1].lower() in 'aeiou' else 'a'} {words}"


def _file_kind(file_type: Any) -> str:
    """What a FIT file that is no activity holds: "a FIT settings file", "a FIT file of unknown type 8"."""
    words = _words(file_type, "file")
    if words.startswith("file "):
        return f"a FIT file of unknown type {words.removeprefix('file ')}"
    return f"a FIT {words} file"


def _time(value: Any) -> datetime | None:
    if not isinstance(value, (int, float)) or value < RELATIVE_LIMIT:
        return None
    return datetime.fromtimestamp(FIT_EPOCH_S + float(value), UTC)


def _relative_offset(msgs: FitMessages) -> float:
    """Seconds to add to device-relative times (old watches count from power-on).

    The activity message pairs a relative ``timestamp`` with the clock's ``local_timestamp``; the watch's time
    zone is not in such files, so the local clock is taken as UTC (at most a few hours off).
    """
    ts = msgs.records.get("timestamp", np.array([], dtype=np.float64))
    finite = ts[~np.isnan(ts)]
    if finite.size == 0 or (finite >= RELATIVE_LIMIT).any():
        return 0.0
    relative, local = msgs.activity.get("timestamp"), msgs.activity.get("local_timestamp")
    if isinstance(relative, (int, float)) and isinstance(local, (int, float)) and local >= RELATIVE_LIMIT:
        return float(local) - float(relative)
    if msgs.time_created and msgs.time_created >= RELATIVE_LIMIT:
        return float(msgs.time_created) - float(finite[0])
    raise UnreadableFileError("timestamps count from device power-on and the file holds no clock time")


def _shifted(summary: Mapping[str, Any], offset: float) -> dict[str, Any]:
    out = dict(summary)
    if offset:
        for key in ("start_time", "timestamp"):
            value = out.get(key)
            if isinstance(value, (int, float)) and value < RELATIVE_LIMIT:
                out[key] = value + offset
    return out


def _absolute_timestamps(msgs: FitMessages, offset: float) -> np.ndarray:
    """Record times in seconds since the FIT epoch; stray relative values among absolute ones are dropped."""
    ts = msgs.records.get("timestamp", np.array([], dtype=np.float64)).copy()
    if offset:
        return ts + offset
    ts[ts < RELATIVE_LIMIT] = np.nan
    return ts


def _monotonic(ts: np.ndarray) -> np.ndarray:
    """Keep records whose time moves forward; backward jumps and repeats are dropped."""
    if ts.size == 0:
        return np.zeros(0, dtype=bool)
    filled = np.where(np.isnan(ts), -np.inf, ts)
    previous_max = np.maximum.accumulate(np.concatenate(([-np.inf], filled[:-1])))
    return ~np.isnan(ts) & (filled > previous_max)


def _without_clock_jumps(ts: np.ndarray, keep: np.ndarray, sessions: list[dict[str, Any]]) -> np.ndarray:
    """Record times with forward clock jumps cut out at the gap where they happened.

    A watch whose clock jumps forward (a GPS time fix, a damaged record) leaves a silence of days or years between
    two records. The sessions' own elapsed times say how long the recording really was: while the records span
    more than that (beyond a 2 % + 60 s slack), the largest silence (of 5 minutes or more) is shortened by the
    excess, down to the file's usual recording interval, and every later record moves back with it (or, when the
    session's start time says the clock was right after the jump, every earlier record moves on). Genuine pauses
    are part of the elapsed time, so they stay. Without a session, a silence longer than a day is cut.
    """
    t = ts[keep]
    if t.size < 2:
        return ts
    steps = np.diff(t)
    ordinary = steps[steps < MIN_JUMP_S]  # the jump itself must not set the recording interval
    typical = max(median(ordinary), 1.0) if ordinary.size else 1.0
    elapsed = [_number(s, "total_elapsed_time") for s in sessions]
    known = [e for e in elapsed if e is not None and e > 0]
    if known and len(known) == len(sessions):
        expected = float(sum(known))
        excess = float(t[-1] - t[0]) - expected
        if excess <= expected * (CLOCK_SLACK - 1.0) + CLOCK_SLACK_S:
            return ts
        for i in np.argsort(steps)[::-1]:
            if excess <= 0 or steps[i] < MIN_JUMP_S:
                break
            cut = min(float(steps[i]) - typical, excess)
            steps[i] -= cut
            excess -= cut
    else:
        long = steps > MAX_SILENCE_S
        if not long.any():
            return ts
        steps[long] = typical
    shifted = np.concatenate(([0.0], np.cumsum(steps)))
    out = ts.copy()
    out[keep] = t[0] + shifted
    starts = [_number(s, "start_time") for s in sessions]
    start = min((x for x in starts if x is not None and x >= RELATIVE_LIMIT), default=None)
    if start is not None and abs(t[-1] - shifted[-1] - start) < abs(t[0] - start):
        out[keep] = t[-1] - shifted[-1] + shifted  # the clock was right after the jump: earlier records move on
    return out


def _samples(msgs: FitMessages, ts: np.ndarray, keep: np.ndarray) -> Samples:
    records = msgs.records
    data: dict[str, Any] = {col.TIMESTAMP: times_ns_from_seconds(FIT_EPOCH_S + ts[keep])}
    if "position_lat" in records and "position_long" in records:
        lat = records["position_lat"][keep] * SEMICIRCLE_DEG
        lon = records["position_long"][keep] * SEMICIRCLE_DEG
        bad = (np.abs(lat) > 90) | (np.abs(lon) > 180) | ((lat == 0) & (lon == 0))
        data[col.LAT] = np.where(bad, np.nan, lat)
        data[col.LON] = np.where(bad, np.nan, lon)
    for column, names in NATIVE.items():
        series = None
        for field_name in names:
            if field_name in records:
                values = records[field_name][keep]
                series = values if series is None else np.where(np.isnan(series), values, series)
        if series is not None:
            data[column] = series
    if "cadence" in records:
        fraction = records.get("fractional_cadence")
        whole = records["cadence"][keep]
        extra = np.nan_to_num(fraction[keep]) if fraction is not None else 0.0
        data[col.CADENCE] = 2.0 * (whole + extra)
    _developer_fields(msgs, keep, data)
    for column in ZERO_MEANS_MISSING:
        if column in data:
            data[column] = np.where(data[column] == 0, np.nan, data[column])
    return Samples(data)


def _developer_fields(msgs: FitMessages, keep: np.ndarray, data: dict[str, Any]) -> None:
    """Connect IQ fields (a Stryd foot pod, ...) fill a canonical column only when the watch recorded no value
    of that metric at all, units converted: one source per column, never two mixed sample by sample (a foot
    pod's ground time is not the watch's stance time; filling the watch's gaps with it skews the mean and drift).
    """
    if not any(key.startswith("dev:") for key in msgs.records):
        return
    native_metrics = {column for column, values in data.items() if column != col.TIMESTAMP and _recorded(values)}
    for key, values in msgs.records.items():
        if not key.startswith("dev:"):
            continue
        name = key[4:].strip().lower()
        if name not in DEV_FIELDS:
            continue
        column, factors = DEV_FIELDS[name]
        units = msgs.dev_units.get(key, "").strip().lower()
        factor = factors.get(units)
        if factor is None:
            continue
        if column in native_metrics:
            continue
        converted = values[keep] * factor
        filled = data.get(column)
        data[column] = converted if filled is None else np.where(np.isnan(filled), converted, filled)


def _recorded(values: Any) -> bool:
    """Whether a record column holds any real value (the watch writes 0 for "no value" in running dynamics)."""
    array = np.asarray(values, dtype=np.float64)
    return bool((np.isfinite(array) & (array != 0)).any())


def _leg(samples: Samples, session: Mapping[str, Any]) -> Samples:
    start = _time(session.get("start_time"))
    times = samples.time_ns()
    if start is None:
        return samples.where(np.zeros(len(times), dtype=bool))
    elapsed = _number(session, "total_elapsed_time") or 0.0
    end = _time(session.get("timestamp"))
    start_ns = ns_of(start)
    stop_ns = start_ns + int(elapsed * 1_000_000_000)
    if end is not None:
        stop_ns = max(stop_ns, ns_of(end))
    valid = times != NAT_NS
    return samples.where(valid & (times >= start_ns) & (times <= stop_ns))


def _number(values: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = values.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def device_totals(summary: Mapping[str, Any]) -> dict[str, float]:
    """A session's or lap's own totals and averages in canonical units."""
    totals = {
        "distance_m": _number(summary, "total_distance"),
        "timer_time_s": _number(summary, "total_timer_time"),
        "elapsed_time_s": _number(summary, "total_elapsed_time"),
        "ascent_m": _number(summary, "total_ascent"),
        "descent_m": _number(summary, "total_descent"),
        "avg_speed_mps": _number(summary, "enhanced_avg_speed", "avg_speed"),
        "avg_heart_rate_bpm": _number(summary, "avg_heart_rate"),
        "avg_gct_ms": _number(summary, "avg_stance_time"),
        "avg_gct_balance_left_pct": _number(summary, "avg_stance_time_balance"),
        "avg_vertical_oscillation_mm": _number(summary, "avg_vertical_oscillation"),
        "avg_vertical_ratio_pct": _number(summary, "avg_vertical_ratio"),
        "avg_step_length_mm": _number(summary, "avg_step_length"),
        "avg_power_w": _number(summary, "avg_power"),
    }
    cadence = _number(summary, "avg_running_cadence", "avg_cadence")
    if cadence is not None:
        totals["avg_cadence_spm"] = 2.0 * (cadence + (_number(summary, "avg_fractional_cadence") or 0.0))
    for key, fraction in (("ascent_m", "total_fractional_ascent"), ("descent_m", "total_fractional_descent")):
        extra = _number(summary, fraction)
        if totals[key] is not None and extra is not None:
            totals[key] = totals[key] + extra  # type: ignore[operator]
    return {key: value for key, value in totals.items() if value is not None}


def _product(msgs: FitMessages) -> str | None:
    product = msgs.product
    if product is not None and product.isdigit() and msgs.manufacturer == "garmin":
        return str((enum_values("garmin_product") or {}).get(int(product), product))
    return product


def _activity(msgs: FitMessages, session: Mapping[str, Any], samples: Samples) -> Activity:
    start = _time(session.get("start_time")) or datetime_of(samples.time_ns()[0])
    has_altitude = col.ALTITUDE in samples and bool((~np.isnan(samples[col.ALTITUDE])).any())
    gps_maker = (msgs.manufacturer or "").lower() in GPS_ALTITUDE_MAKERS
    sub_sport = session.get("sub_sport")
    start_s = start.timestamp() - FIT_EPOCH_S
    stop_s = start_s + (_number(session, "total_elapsed_time") or 1e12)
    laps = tuple(
        device_totals(lap)
        for lap in msgs.laps
        if start_s - 1 <= (_number(lap, "start_time") or -1.0) <= stop_s
    )
    return Activity(
        sport=str(session["sport"]),
        sub_sport=None if sub_sport is None else str(sub_sport),
        start_utc=start,
        source_format="fit",
        samples=samples,
        manufacturer=msgs.manufacturer,
        product=_product(msgs),
        altitude_source=("gps" if gps_maker else "barometric") if has_altitude else None,
        device_totals=device_totals(session) if msgs.sessions else {},
        laps=laps,
    )


@hookimpl
def register_readers(register: Any) -> None:
    register(Reader(name="fit", suffixes=(".fit",), read=read_fit, description="Garmin FIT activity files"))
