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
  ``<activity>`` track extension). Without a type the evidence decides (``stridelink.readers.sport``: the creator,
  speed, cadence against speed, track length): what no foot activity does is skipped with the reason; a median
  moving speed below 6 km/h is walking, anything else running. Tracks of different foot/non-foot types in one
  file yield one activity per foot track.
- **Time.** Any offset is converted to UTC, times without one are UTC (the GPX rule), times before the GPS epoch
  are placeholders (GPSBabel writes 1901 for "no time") and count as missing. Points out of time order are
  dropped (the fewest needed). Several segments and tracks are joined; the gap between them is a pause and adds
  no distance. A track that is mostly untimed is a drawn route, not a recording.
- **Elevation** is GPS or map data, never barometric (``altitude_source="gps"``); all-zero elevation means none.
- ``distance_m`` is the cumulative haversine distance within segments.
- **Speed.** Ordinary files (points written alike, plain UTF-8 text) are collected by compiled patterns and checked
  whole by expat; anything else, and every file the patterns decline, goes through the streaming parse. Both hand
  the same lists to the same code, and tests compare the two on the corpus.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any
from xml.parsers import expat

import numpy as np

from stridelink import columns as col
from stridelink.errors import NotARunError, UnreadableFileError
from stridelink.hookspecs import hookimpl
from stridelink.models import Activity, Reader
from stridelink.readers.sport import Evidence, foot_sport_from_evidence
from stridelink.samples import Samples, datetime_of
from stridelink.readers.xmlsafe import (
    _BOM,
    _WHITESPACE,
    MAX_DEPTH,
    check_prolog,
    iterparse,
    local_name,
    tolerant,
)
from stridelink.units import haversine_steps_m

FOOT_SPORTS = ("running", "walking", "hiking")
STRIDE_CADENCE_LIMIT_SPM = {"running": 120.0, "walking": 70.0, "hiking": 70.0}
MIN_TIMED_SHARE = 0.5  # below this share of timed points a track is a drawn route

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


def foot_sport(label: str | None, evidence: Evidence) -> tuple[str, str | None]:
    """The sport of a recording from its type, else from the evidence; NotARunError when it is not on foot."""
    known = refuse_not_foot(label)
    if known is not None:
        return known
    return foot_sport_from_evidence(evidence)


def manufacturer_from(creator: str | None) -> str | None:
    """The device maker a creator string names (FIT manufacturer names), None for apps and unknown makers."""
    text = (creator or "").lower()
    return next((maker for pattern, maker in MAKERS if pattern.search(text)), None)


def parse_times(texts: Sequence[str | None]) -> np.ndarray:
    """ISO 8601 texts -> int64 ns since the Unix epoch, UTC; -1 where missing, unreadable, before GPS time or
    after what int64 nanoseconds hold (year 2262)."""
    import pandas as pd  # its ISO 8601 parser; loaded by the first GPX or TCX file a process reads

    gps_epoch = pd.Timestamp("1980-01-06", tz="UTC")
    last_time = pd.Timestamp.max.tz_localize("UTC")  # the last time int64 nanoseconds hold
    times = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601", errors="coerce")
    missing = (times.isna() | (times < gps_epoch) | (times > last_time)).to_numpy()
    if missing.any():
        times = times.where(~missing, gps_epoch)  # far-future dates do not fit in nanoseconds: drop them first
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
    step = haversine_steps_m(lat, lon)
    step[segment[1:] != segment[:-1]] = 0.0
    return np.r_[0.0, np.cumsum(np.nan_to_num(step))]


def cadence_spm(raw: np.ndarray, sport: str) -> np.ndarray:
    """Steps per minute: values whose non-zero median is stride-like for the sport are doubled (see above)."""
    moving = raw[np.isfinite(raw) & (raw > 0)]
    if moving.size and np.median(moving) < STRIDE_CADENCE_LIMIT_SPM.get(sport, 120.0):
        return raw * 2.0
    return raw


def canonical_samples(ns: np.ndarray, values: dict[str, np.ndarray]) -> Samples:
    """The canonical samples: UTC timestamps, then the columns that hold at least one value."""
    data: dict[str, Any] = {col.TIMESTAMP: np.asarray(ns, dtype=np.int64).view("datetime64[ns]")}
    for name in col.NUMERIC:
        column = values.get(name)
        if column is not None and np.isfinite(column).any():
            data[name] = column.astype(np.float64)
    return Samples(data)


def has_elevation(altitude_m: np.ndarray) -> bool:
    known = altitude_m[np.isfinite(altitude_m)]
    return bool(known.size) and bool((known != 0).any())


# --- GPX ---------------------------------------------------------------------------------------------------------


_ELE, _TIME, _IGNORED = 4, -2, -1
_ROW = ("track", "segment", col.LAT, col.LON, col.ALTITUDE, *_VALUE_COLUMNS)  # one float row per track point


def _slot(name: str) -> int:
    """Where a point child's value goes in the point's row, by its lower-case local name."""
    if name == "ele":
        return _ELE
    if name == "time":
        return _TIME
    if name in EXTENSION_COLUMNS:
        return _ROW.index(EXTENSION_COLUMNS[name])
    return _IGNORED


class _PointSlots(dict[str, int]):
    """ElementTree tag (``{namespace}name``) -> slot, computed once per tag."""

    def __missing__(self, tag: str) -> int:
        self[tag] = slot = _slot(local_name(tag).lower())
        return slot


class _PrefixedSlots(dict[bytes, int]):
    """Raw tag name (``prefix:name``) -> slot, computed once per name."""

    def __missing__(self, tag: bytes) -> int:
        self[tag] = slot = _slot(tag.rpartition(b":")[2].decode().lower())
        return slot


def _position(lat: Any, lon: Any) -> tuple[float, float]:
    """A point's latitude and longitude from its attribute texts (str or bytes); NaN for both when either fails."""
    try:
        return float(lat), float(lon)
    except (TypeError, ValueError):
        return math.nan, math.nan


def _valid(value: Any, elevation: Any) -> Any:
    """Whether values (floats or arrays) count: finite, and not negative unless an elevation."""
    return (value < math.inf) & ((value >= 0) | (elevation & (value > -math.inf)))


def _fill_point(row: list[float], nodes: Iterable[tuple[Any, Any]], slots: dict[Any, int]) -> Any:
    """Put the values of a point's elements ``(tag, text)``, in document order, into its row: the first valid
    value of each column wins. Returns the text of its first non-empty ``<time>``."""
    when = None
    for tag, text in nodes:
        slot = slots[tag]
        if slot > 0:
            if row[slot] != row[slot]:
                try:
                    value = float(text)
                except (TypeError, ValueError):
                    continue
                if _valid(value, slot == _ELE):
                    row[slot] = value
        elif slot == _TIME and when is None:
            when = text or None
    return when


_RECORDS = frozenset(("trkpt", "rtept", "wpt"))
_STARTS = frozenset(("trk", "trkseg"))


class _Times:
    """Track point times as int64 ns since the epoch (-1 where missing), parsed a block of texts at a time: a
    long track's time texts would take ten times the memory of their numbers."""

    BLOCK = 1 << 16

    def __init__(self) -> None:
        self._ns = array("q")
        self._texts: list[str | None] = []

    def append(self, text: str | None) -> None:
        self._texts.append(text)
        if len(self._texts) >= self.BLOCK:
            self._flush()

    def extend(self, texts: _Times | Sequence[str | None]) -> None:
        if isinstance(texts, _Times):
            self._flush()
            texts._flush()
            self._ns.extend(texts._ns)
            return
        self._texts.extend(texts)
        if len(self._texts) >= self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._texts:
            self._ns.frombytes(parse_times(self._texts).tobytes())
            self._texts = []

    def __len__(self) -> int:
        return len(self._ns) + len(self._texts)

    def truncate(self, size: int) -> None:
        self._flush()
        del self._ns[size:]

    def ns(self) -> np.ndarray:
        self._flush()
        return np.frombuffer(self._ns, dtype=np.int64) if self._ns else np.zeros(0, dtype=np.int64)


class _Parsed:
    """What the parse collects: one row and one time per track point."""

    def __init__(self) -> None:
        self.rows = array("d")  # flat: len(_ROW) values per point
        self.times = _Times()
        self.types: list[str | None] = []  # per <trk>
        self.creator: str | None = None
        self.other_points = 0  # route points and waypoints


def _collect(data: bytes) -> _Parsed:
    out = _Parsed()
    track, segment = -1, 0  # <trk> index (types[track] is its type), segment number
    in_track = False
    slots = _PointSlots()
    nan = math.nan
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
            row = [track, segment, *_position(elem.get("lat"), elem.get("lon")), nan, nan, nan, nan, nan]
            # the point and every element inside it, extension blocks included
            when = _fill_point(row, ((node.tag, node.text) for node in elem.iter()), slots)
            out.rows.extend(row)
            out.times.append(when)
        elif name in ("rtept", "wpt"):
            out.other_points += 1
        elif name == "trk":
            in_track = False
        elif in_track and out.types[-1] is None and (name, parent) in _TRACK_TYPES:
            out.types[-1] = (elem.text or "").strip() or None
    return out


# --- the fast path for ordinary files ----------------------------------------------------------------------------
#
# Most GPX files are plain: an XML declaration, the root, a few elements around the tracks, and thousands of small
# <trkpt> elements holding only elements with text. For those, compiled patterns over the bytes collect the same
# _Parsed as the streaming parse at a fraction of its cost. They collect only what they fully understand and
# decline (the streaming parse then reads the file, and says what is wrong with it) on anything else: comments,
# CDATA, processing instructions or entity references where values are read, another encoding, non-ASCII point
# text, points nested deeper than their patterns, route points and waypoints. expat then checks that the whole
# file is well-formed XML with the same refusals as the streaming parse; nothing is used unless it is.

_ATTRS = rb"""(?:\s(?:[^<>"'/]++|"[^"]*+"|'[^']*+')*+)?"""  # a start tag's attributes, quotes respected
_NAME = rb"""[^\s<>/!?="']++"""
_POINT_START = re.compile(rb"<trkpt(" + _ATTRS + rb")(/?)>")
_POINT_END = re.compile(rb"</trkpt\s*+>")
_MAX_POINT_BYTES = 8192  # far more than any ordinary point, far fewer elements than xmlsafe allows in one
# A point's elements that hold only text (tag, text) or nothing (tag, None), split from the rest (its outline).
_LEAF = re.compile(rb"(<(" + _NAME + rb")" + _ATTRS + rb")(?:>[^<]*+(</[^>]*+>)|/>)")  # (open, tag, close)
_LEAF_TEXT = rb"([^<&\r\x80-\xff]*+)"  # plain ASCII text: what a shape captures
_LAT_LON_SHAPE = rb'<trkpt\s++lat="([^"]*+)"\s++lon="([^"]*+)"\s*+>'
_LON_LAT_SHAPE = rb'<trkpt\s++lon="([^"]*+)"\s++lat="([^"]*+)"\s*+>'
_POINT_DEPTH = 5  # a point and up to four levels inside it
_LAT_LON = re.compile(rb'\s++lat="([^"]*+)"\s++lon="([^"]*+)"\s*+')
_LON_LAT = re.compile(rb'\s++lon="([^"]*+)"\s++lat="([^"]*+)"\s*+')
_TAG = re.compile(rb"<(/?)(" + _NAME + rb")" + _ATTRS + rb"(/?)>")
_DECLARATION = re.compile(rb"<\?xml\s[^<>]*?\?>")
_ENCODING = re.compile(rb"""\sencoding\s*+=\s*+["']([^"']*+)["']""")
_PLAIN_ENCODINGS = {b"utf-8", b"us-ascii"}
_PARSE_BYTES = 1 << 16  # what expat reads at a time
_BLOCK_BYTES = 1 << 18  # the points read at a time


class _Outline:
    """The elements between the points, tag by tag, with the state the streaming parse keeps (_collect)."""

    def __init__(self, out: _Parsed) -> None:
        self.out = out
        self.track, self.segment = -1, 0
        self.in_track = False
        self.names: list[str] = []  # open elements' local names
        self.texts: list[bytes | None] = []  # their text up to their first child

    def read(self, data: bytes, at: int, end: int) -> bool:
        """Follow the tags of ``data[at:end]``; False when it holds anything the fast path does not handle."""
        at = data.find(b"<", at, end)
        while at >= 0:
            tag = _TAG.match(data, at, end)
            if tag is None:
                return False  # comment, CDATA, processing instruction, or not XML
            closing, raw, empty = tag.groups()
            name = raw.rpartition(b":")[2].decode()
            at = data.find(b"<", tag.end(), end)
            if not closing:
                if name in _RECORDS or len(self.names) + _POINT_DEPTH > MAX_DEPTH:
                    return False
                self._start(name)
                self.names.append(name)
                self.texts.append(data[tag.end() : at if at >= 0 else end] or None)
                if not empty:
                    continue
            if not self.names:
                return False
            self.names.pop()
            if not self._end(name, self.texts.pop()):
                return False
        return True

    def _start(self, name: str) -> None:
        if not self.names:
            if name != "gpx":
                raise ValueError("not a GPX root")  # the streaming parse says so
        elif name == "trk":
            self.track += 1
            self.segment += 1
            self.in_track = True
            self.out.types.append(None)
        elif name == "trkseg" and self.in_track:
            self.segment += 1

    def _end(self, name: str, text: bytes | None) -> bool:
        parent = self.names[-1] if self.names else ""
        if name == "trk":
            self.in_track = False
        elif self.in_track and self.out.types[-1] is None and (name, parent) in _TRACK_TYPES:
            if text is not None and b"&" in text:
                return False
            self.out.types[-1] = _xml_text(text).strip() or None
        return True


class _PointOutlines(dict[bytes, bool]):
    """A point's elements other than text-only ones (what _LEAF leaves) -> whether the fast path handles it:
    only tags and white space, nested at most ``_POINT_DEPTH - 2`` deep, no ``<time>`` holding elements (its
    text would be the point's time, white space). Points of a file share a few outlines: each is checked once."""

    def __missing__(self, outline: bytes) -> bool:
        self[outline] = plain = self._plain(outline)
        return plain

    @staticmethod
    def _plain(outline: bytes) -> bool:
        depth = 0
        at = 0
        for tag in _TAG.finditer(outline):
            if outline[at : tag.start()].strip():
                return False  # text beside elements, a comment, CDATA or a processing instruction
            at = tag.end()
            closing, raw, empty = tag.groups()
            if closing:
                depth -= 1
            elif not empty:
                depth += 1
                if depth > _POINT_DEPTH - 2 or raw.rpartition(b":")[2].lower() == b"time":
                    return False
        return not outline[at:].strip()


def _xml_text(text: bytes | None) -> str:
    """Element text as XML reports it: UTF-8, line ends as ``\\n``."""
    if not text:
        return ""
    decoded = text.decode()
    return decoded.replace("\r\n", "\n").replace("\r", "\n") if "\r" in decoded else decoded


def _collect_ordinary(data: bytes) -> _Parsed | None:
    """What _collect finds, for an ordinary file; None when the file is not one (or not well-formed)."""
    try:
        return _collect_points(data)
    except (UnreadableFileError, expat.ExpatError, ValueError):  # ValueError: UnicodeDecodeError among them
        return None


class _Shape:
    """The points written exactly like one point, tag for tag, with other values: a pattern that captures each
    point's latitude, longitude and the text of each of its text-only elements, and the slots of those."""

    def __init__(self, pattern: re.Pattern[bytes], tags: int, lon_first: bool, slots: list[int]) -> None:
        self.point = pattern
        self.tags = tags  # "<" in a point of this shape
        self.run = re.compile(rb"(?:" + pattern.pattern + rb"\s*+)++")
        self.lon_first = lon_first
        self.slots = slots

    @classmethod
    def of(cls, data: bytes, at: int, slots: _PrefixedSlots, plain: _PointOutlines) -> _Shape | None:
        """The shape of the point starting at ``at``; None when the fast path does not handle it."""
        start = _POINT_START.match(data, at)
        if start is None or start.group(2):
            return None  # <trkpt/>
        end = data.find(b"</trkpt", start.end(), start.end() + _MAX_POINT_BYTES)
        if end < 0 or _POINT_END.match(data, end) is None:
            return None
        body = data[start.end() : end]
        if b"<trkpt" in body or b"&" in body or not body.isascii():
            return None
        lon_first = _LAT_LON.fullmatch(start.group(1)) is None
        if lon_first and _LON_LAT.fullmatch(start.group(1)) is None:
            return None  # other attributes or quotes: the streaming parse reads those
        parts = _LEAF.split(body)  # outline, (open, tag, close), outline, ...
        if not plain[b"".join(parts[0::4])]:
            return None
        pattern = [_LON_LAT_SHAPE if lon_first else _LAT_LON_SHAPE]
        leaf_slots = []
        for i in range(0, len(parts), 4):
            pattern.append(rb"\s*+" + rb"\s*+".join(map(re.escape, parts[i].split())) + rb"\s*+")
            if i + 1 < len(parts):
                opening, tag, closing = parts[i + 1 : i + 4]
                if closing is None:
                    pattern.append(re.escape(opening) + rb"/>")
                else:
                    pattern.append(re.escape(opening) + rb">" + _LEAF_TEXT + re.escape(closing))
                    leaf_slots.append(slots[tag])
        pattern.append(rb"</trkpt\s*+>")
        tags = data.count(b"<", at, _POINT_END.match(data, end).end())  # type: ignore[union-attr]
        return cls(re.compile(b"".join(pattern)), tags, lon_first, leaf_slots)

    def read(self, data: bytes, at: int, outline: _Outline, out: _Parsed) -> int:
        """Collect the run of points of this shape from ``at``; where the run ends (``at`` when none)."""
        # Usually the rest of the segment is points of this shape: then every tag there is in one of them.
        end = data.find(b"</trkseg", at)
        end = len(data) if end < 0 else end
        if data.count(b"<", at, end) == data.count(b"<trkpt", at, end) * self.tags:
            if self._read_range(data, at, end, outline, out):
                return end
        run = self.run.match(data, at)  # the points of this shape up to the first other thing
        if run is None or not self._read_range(data, at, run.end(), outline, out):
            return at
        return run.end()

    def _read_range(self, data: bytes, at: int, end: int, outline: _Outline, out: _Parsed) -> bool:
        """Add the rows and times of the points in ``data[at:end]`` to ``out`` (straight into it: no second copy
        of a long track); False, with ``out`` as it was, unless all of them are of this shape."""
        count = data.count(b"<trkpt", at, end)
        rows_before, times_before = len(out.rows), len(out.times)
        # A block at a time, so that the matched texts never take much more memory than the rows they make.
        while at < end:
            block = data.find(b"<trkpt", at + _BLOCK_BYTES, end)
            block = end if block < 0 else block
            self._read_block(self.point.findall(data, at, block), outline, out.rows, out.times)
            at = block
        if len(out.times) - times_before == count:
            return True
        del out.rows[rows_before:]
        out.times.truncate(times_before)
        return False

    def _read_block(self, points: list[tuple[bytes, ...]], outline: _Outline, rows: array, times: _Times) -> None:
        if not points:
            return
        columns = list(zip(*points))
        del points
        table = np.full((len(columns[0]), len(_ROW)), math.nan)
        table[:, 0], table[:, 1] = outline.track, outline.segment
        lat, lon = (columns[1], columns[0]) if self.lon_first else (columns[0], columns[1])
        try:
            table[:, 2], table[:, 3] = list(map(float, lat)), list(map(float, lon))
        except ValueError:
            table[:, 2:4] = [_position(*pair) for pair in zip(lat, lon)]
        when: list[str | None] = [None] * len(table)
        for slot, texts in zip(self.slots, columns[2:]):
            if slot > 0:
                values = _floats(texts)
                take = np.isnan(table[:, slot]) & _valid(values, slot == _ELE)
                table[take, slot] = values[take]
            elif slot == _TIME:
                when = [
                    text.decode() if text and first is None else first for text, first in zip(texts, when)
                ]
        rows.frombytes(table.tobytes())
        times.extend(when)


def _floats(texts: Sequence[bytes]) -> np.ndarray:
    """float() of each text, NaN where it fails."""
    try:
        return np.array(list(map(float, texts)), dtype=np.float64)
    except ValueError:
        pass
    values = np.full(len(texts), math.nan)
    for i, text in enumerate(texts):
        try:
            values[i] = float(text)
        except ValueError:
            continue
    return values


def _collect_points(data: bytes) -> _Parsed | None:
    data = data.removeprefix(_BOM).lstrip(_WHITESPACE)  # as iterparse does
    declaration = _DECLARATION.match(data)
    start = 0
    if declaration is not None:
        encoding = _ENCODING.search(declaration.group())
        if encoding is not None and encoding.group(1).lower() not in _PLAIN_ENCODINGS:
            return None
        start = declaration.end()
    while start < len(data) and data[start] in _WHITESPACE:
        start += 1
    if data[start : start + 1] != b"<" or data[start + 1 : start + 2] in (b"!", b"?"):
        return None  # a comment or document type before the root
    check_prolog(data)

    out = _Parsed()
    outline = _Outline(out)
    slots = _PrefixedSlots()
    plain = _PointOutlines()
    shape: _Shape | None = None
    done = start
    while (point := _POINT_START.search(data, done)) is not None:
        if not outline.read(data, done, point.start()):
            return None
        if len(outline.names) + _POINT_DEPTH > MAX_DEPTH:
            return None
        done = point.start()
        end = shape.read(data, done, outline, out) if shape is not None else done
        if end == done:  # a point of another shape: learn it (points of a file come in a few shapes)
            shape = _Shape.of(data, done, slots, plain)
            if shape is None:
                return None
            end = shape.read(data, done, outline, out)
            if end == done:
                return None
        done = end
    if not outline.read(data, done, len(data)) or outline.names or not out.rows:
        return None
    out.creator = (_well_formed_root_creator(data) or "").strip() or None
    return out


def _refuse(*_: object) -> None:
    raise UnreadableFileError("a document type or an entity")


def _well_formed_root_creator(data: bytes) -> str | None:
    """The root's creator attribute; ExpatError unless the whole file is well-formed XML without a document type,
    entity declarations or external references."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = lambda *_: 0  # an error in expat
    root: dict[str, str] = {}

    def first_start(name: str, attrs: dict[str, str]) -> None:
        root.update(attrs)
        parser.StartElementHandler = None

    parser.StartElementHandler = first_start
    view = memoryview(data)
    for offset in range(0, len(data), _PARSE_BYTES):
        parser.Parse(view[offset : offset + _PARSE_BYTES], False)
    parser.Parse(b"", True)
    return root.get("creator")


def read_gpx(data: bytes, name: str = "") -> list[Activity]:
    """The foot activities of a GPX file; raises UnreadableFileError or NotARunError with the reason."""
    found = _collect_ordinary(data)
    return _activities(found if found is not None else tolerant(_collect, data))


def _activities(found: _Parsed) -> list[Activity]:
    """What either parse collected -> the foot activities (times, order, legs, sport, cadence, samples)."""
    if not found.rows:
        what = "only routes or waypoints" if found.other_points else "no track points"
        raise NotARunError(f"the file holds {what}, not a recorded activity")
    table = np.frombuffer(found.rows, dtype=np.float64).reshape(-1, len(_ROW))
    lat, lon = table[:, 2], table[:, 3]
    placed = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    if not placed.any():
        raise UnreadableFileError("no track point has a valid latitude and longitude")
    ns = found.times.ns()
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

    if keep.size < len(table) or not np.array_equal(keep, np.arange(keep.size)):  # a copy only when needed
        table, ns = table[keep], ns[keep]
    track, segment = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    values = _columns(table)
    del table, lat, lon
    found.rows = array("d")  # the flat rows (9 numbers a point) are spent: a long track's largest block
    elevation = has_elevation(values[col.ALTITUDE])
    if not elevation:
        del values[col.ALTITUDE]

    activities = []
    reasons = []
    for rows, label in _legs(track, found.types):
        leg_ns, leg_segment = ns[rows], segment[rows]
        leg = {column: v[rows] for column, v in values.items()}
        leg[col.DISTANCE] = path_distance_m(leg[col.LAT], leg[col.LON], leg_segment)
        evidence = Evidence(leg[col.DISTANCE], leg_ns, leg_segment, leg[col.CADENCE], found.creator)
        try:
            sport, sub_sport = foot_sport(label, evidence)
        except NotARunError as exc:
            reasons.append(str(exc))
            continue
        leg[col.CADENCE] = cadence_spm(leg[col.CADENCE], sport)
        samples = canonical_samples(leg_ns, leg)
        activities.append(
            Activity(
                sport=sport,
                sub_sport=sub_sport,
                start_utc=datetime_of(samples.time_ns()[0]),
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


def _columns(table: np.ndarray) -> dict[str, np.ndarray]:
    """The value columns of the rows as arrays of their own; columns without a value share one array of NaN."""
    values: dict[str, np.ndarray] = {}
    empty: np.ndarray | None = None
    for i, column in enumerate(_ROW):
        if i < 2:
            continue
        if np.isfinite(table[:, i]).any():
            values[column] = table[:, i].copy()
        else:
            empty = np.full(len(table), math.nan) if empty is None else empty
            values[column] = empty
    return values


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
