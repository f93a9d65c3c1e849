from __future__ import annotations

import dataclasses
import itertools
import math
import re
import tracemalloc
import warnings
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import gpxpy
import numpy as np
import pandas as pd
import pytest

from stridelink import columns as col
from stridelink.errors import NotARunError, UnreadableFileError
from stridelink.models import Activity, Reader
from stridelink.readers import gpx
from stridelink.readers.gpx import read_gpx
from tests.conftest import CORPUS, SAMPLE_RUNS, needs_corpus

GPX_FILES = sorted(CORPUS.glob("*/*.gpx")) if CORPUS.is_dir() else []
NS = 'xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'


def make_gpx(points: str, *, type_: str = "running", creator: str = "Test") -> bytes:
    kind = f"<type>{type_}</type>" if type_ else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="{creator}" {NS}><trk>{kind}{points}</trk></gpx>'.encode()


def point(lat: float, lon: float, time: str, extra: str = "") -> str:
    return f'<trkpt lat="{lat}" lon="{lon}"><time>{time}</time>{extra}</trkpt>'


def seg(*points: str) -> str:
    return "<trkseg>" + "".join(points) + "</trkseg>"


def jog(
    n: int = 5, *, start_lat: float = 48.0, step_deg: float = 0.00003, t0: int = 0, extra: str = ""
) -> list[str]:
    """n points 1 s apart moving north at about 3.3 m/s."""
    return [point(start_lat + i * step_deg, 7.0, f"2024-05-01T08:00:{t0 + i:02d}Z", extra) for i in range(n)]


def read_corpus(path: Path) -> list[Activity]:
    return read_gpx(path.read_bytes(), path.name)


def gpxpy_points(path: Path) -> list[tuple[int, gpxpy.gpx.GPXTrackPoint]]:
    """gpxpy's timed track points with their segment's number, first of repeated times, as the reader keeps them."""
    parsed = gpxpy.parse(path.read_text(encoding="utf-8-sig"))
    kept, last = [], None
    segments = (segment for track in parsed.tracks for segment in track.segments)
    for number, segment in enumerate(segments):
        for p in segment.points:
            if p.time is not None and (last is None or p.time > last):
                kept.append((number, p))
                last = p.time
    return kept


def extension_value(p: gpxpy.gpx.GPXTrackPoint, name: str) -> float:
    for block in p.extensions:
        for node in block.iter():
            if node.tag.rpartition("}")[2] == name and node.text:
                return float(node.text)
    return math.nan


# --- the corpus ---------------------------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", GPX_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_gpx_reads_or_fails_with_a_reason(path: Path) -> None:
    try:
        activities = read_corpus(path)
    except (NotARunError, UnreadableFileError) as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert activities
    for activity in activities:
        samples = activity.samples
        assert activity.sport in ("running", "walking", "hiking")
        assert activity.source_format == "gpx"
        assert str(samples[col.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
        assert samples[col.TIMESTAMP].is_monotonic_increasing and samples[col.TIMESTAMP].is_unique
        assert activity.start_utc == samples[col.TIMESTAMP].iloc[0]
        assert activity.start_utc.utcoffset().total_seconds() == 0
        assert set(samples.columns) <= set(col.ALL)
        assert (np.diff(samples[col.DISTANCE]) >= 0).all()


AGREEING = [
    "runpandas/strava_export.gpx",
    "runpandas/nike_run.gpx",
    "runpandas/run.gpx",
    "workoutizer/garmin_example.gpx",
    "heartandsole/testdata.gpx",
    "togeojson/run.gpx",
    "togeojson/missing_hr.gpx",
    "gpxpy/cerknicko-jezero.gpx",
    "gpxpy/korita-zbevnica.gpx",
    "gpxpy/track-with-less-sec-time.gpx",
]


@needs_corpus
@pytest.mark.parametrize("name", AGREEING)
def test_values_agree_with_gpxpy(name: str) -> None:
    path = CORPUS / name
    (activity,) = read_corpus(path)
    samples = activity.samples
    numbered = gpxpy_points(path)
    expected = [p for _, p in numbered]
    assert len(samples) == len(expected)
    times = pd.to_datetime([p.time.astimezone(UTC) for p in expected], utc=True)
    assert (samples[col.TIMESTAMP].dt.as_unit("us").to_numpy() == times.as_unit("us").to_numpy()).all()
    np.testing.assert_allclose(samples[col.LAT], [p.latitude for p in expected], atol=1e-9)
    np.testing.assert_allclose(samples[col.LON], [p.longitude for p in expected], atol=1e-9)
    elevation = np.array([math.nan if p.elevation is None else p.elevation for p in expected])
    if col.ALTITUDE in samples:
        np.testing.assert_allclose(samples[col.ALTITUDE], elevation, atol=1e-6)
    else:
        assert np.nan_to_num(elevation).max() == 0
    hr = np.array([extension_value(p, "hr") for p in expected])
    if np.isfinite(hr).any():
        np.testing.assert_allclose(samples[col.HEART_RATE], hr)
    else:
        assert col.HEART_RATE not in samples
    # gpxpy's 2-D distance is a flat-earth formula; the two agree within half a percent.
    pairs = itertools.pairwise(numbered)
    length = sum(a.distance_2d(b) for (i, a), (j, b) in pairs if i == j)
    assert samples[col.DISTANCE].iloc[-1] == pytest.approx(length, rel=5e-3, abs=1.0)


@needs_corpus
def test_garmin_connect_cadence_is_doubled_and_agrees_with_the_fit_twin() -> None:
    fitparse = pytest.importorskip("fitparse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fitparse.FitFile(str(CORPUS / "heartandsole/testdata.fit"))
        rows = [(m.get_value("timestamp"), m.get_value("cadence"), m.get_value("fractional_cadence") or 0.0)
                for m in fit.get_messages("record")]  # fmt: skip
    fit_spm = pd.Series({t.replace(tzinfo=UTC): 2 * (c + f) for t, c, f in rows if c})
    (activity,) = read_corpus(CORPUS / "heartandsole/testdata.gpx")
    samples = activity.samples.set_index(col.TIMESTAMP)
    gpx_spm = samples[col.CADENCE][samples[col.CADENCE] > 0]
    both = fit_spm.index.intersection(gpx_spm.index)
    assert len(both) > 15
    assert gpx_spm[both].mean() == pytest.approx(fit_spm[both].mean(), rel=0.03)
    assert activity.manufacturer == "garmin" and activity.product == "Garmin Connect"


@needs_corpus
def test_strava_run_type_9_is_a_run_with_steps_per_minute() -> None:
    (activity,) = read_corpus(CORPUS / "runpandas/strava_export.gpx")
    assert activity.sport == "running"
    cadence = activity.samples[col.CADENCE]
    assert 160 < cadence[cadence > 0].median() < 190


@needs_corpus
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("sweatpy/4801048867_strava.gpx", "'1' (cycling)"),
        ("sweatpy/activity_4801048867.gpx", "'cycling'"),
        ("workoutizer/cycling_walchensee.gpx", "'cycling'"),  # Locus writes the type in a track extension
        ("gpxpy/around-visnjan-with-car.gpx", "m/s"),  # no type: its speed gives it away
        ("gpxpy/route.gpx", "route"),
        ("heartandsole/testcourse.gpx", "route"),
        ("gpxpy/cerknicko-without-times.gpx", "drawn route"),
        ("gpxpy/Mojstrovka.gpx", "0 of 184"),  # GPSBabel's 1901 placeholder times
    ],
)
def test_not_a_foot_recording_is_skipped_with_the_reason(name: str, words: str) -> None:
    with pytest.raises(NotARunError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_corpus(CORPUS / name)


@needs_corpus
def test_all_zero_and_missing_elevation_mean_no_altitude() -> None:
    (zero,) = read_corpus(CORPUS / "gpxpy/cerknicko-jezero-with-elevations-zero.gpx")
    (none,) = read_corpus(CORPUS / "gpxpy/cerknicko-jezero-without-elevations.gpx")
    (real,) = read_corpus(CORPUS / "gpxpy/cerknicko-jezero.gpx")
    assert col.ALTITUDE not in zero.samples and zero.altitude_source is None
    assert col.ALTITUDE not in none.samples and none.altitude_source is None
    assert real.altitude_source == "gps" and real.samples[col.ALTITUDE].between(500, 580).all()


@needs_corpus
def test_several_extension_blocks_per_point_are_all_read() -> None:
    (apple,) = read_corpus(CORPUS / "togeojson/Friday-Evening-Run.gpx")  # cad in one block, power in the next
    assert {col.CADENCE, col.POWER} <= set(apple.samples.columns)
    (strava,) = read_corpus(CORPUS / "togeojson/strava.gpx")  # gpxtpx block plus a plain <power>
    assert strava.samples[col.POWER].iloc[0] == 75
    (watch,) = read_corpus(CORPUS / "togeojson/apple_watch_route.gpx")  # plain <speed>
    assert watch.samples[col.SPEED].iloc[0] == pytest.approx(1.310662)


# --- rules on small files ------------------------------------------------------------------------------------------


def test_first_valid_extension_value_wins() -> None:
    blocks = (
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>n/a</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
        "<extensions><hr>150</hr><hr>99</hr><cadence>172</cadence></extensions>"
    )
    (activity,) = read_gpx(make_gpx(seg(*jog(extra=blocks))))
    assert (activity.samples[col.HEART_RATE] == 150).all()
    assert (activity.samples[col.CADENCE] == 172).all()  # already steps: not doubled


def test_stride_cadence_is_doubled_for_running_only_below_the_limit() -> None:
    strides = "<extensions><gpxtpx:TrackPointExtension><gpxtpx:cad>85</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>"
    (activity,) = read_gpx(make_gpx(seg(*jog(extra=strides))))
    assert (activity.samples[col.CADENCE] == 170).all()


def test_time_zones_become_utc_and_times_without_offset_are_utc() -> None:
    points = [
        point(48.0, 7.0, "2024-05-01T10:00:00+02:00"),
        point(48.00003, 7.0, "2024-05-01T08:00:01"),
        point(48.00006, 7.0, "2024-05-01T03:00:02.500-05:00"),
    ]
    (activity,) = read_gpx(make_gpx(seg(*points)))
    assert activity.start_utc == datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
    assert list(activity.samples[col.TIMESTAMP]) == [
        pd.Timestamp("2024-05-01T08:00:00Z"),
        pd.Timestamp("2024-05-01T08:00:01Z"),
        pd.Timestamp("2024-05-01T08:00:02.5Z"),
    ]


def test_points_going_back_in_time_are_dropped() -> None:
    points = jog(6)
    points.insert(3, point(48.5, 7.5, "2024-05-01T07:59:00Z"))  # a glitched timestamp (and position)
    points.insert(5, points[4])  # a repeated point
    (activity,) = read_gpx(make_gpx(seg(*points)))
    assert len(activity.samples) == 6
    assert activity.samples[col.LAT].max() < 48.1


def test_segments_join_and_the_gap_is_a_pause_without_distance() -> None:
    first = jog(5)
    second = jog(5, start_lat=48.1, t0=30)  # 11 km further north, 25 s later
    (activity,) = read_gpx(make_gpx(seg(*first) + seg(*second)))
    samples = activity.samples
    assert len(samples) == 10
    assert samples[col.DISTANCE].iloc[-1] == pytest.approx(2 * 4 * 3.336, rel=0.01)
    assert (samples[col.TIMESTAMP].iloc[5] - samples[col.TIMESTAMP].iloc[4]).total_seconds() == 26


def test_sport_from_type_and_from_speed() -> None:
    (trail,) = read_gpx(make_gpx(seg(*jog()), type_="trail_running"))
    assert (trail.sport, trail.sub_sport) == ("running", "trail")
    (hike,) = read_gpx(make_gpx(seg(*jog()), type_="hiking"))
    assert hike.sport == "hiking"
    (untyped,) = read_gpx(make_gpx(seg(*jog()), type_=""))
    assert untyped.sport == "running"
    (slow,) = read_gpx(make_gpx(seg(*jog(step_deg=0.00001)), type_=""))
    assert slow.sport == "walking"
    with pytest.raises(NotARunError, match=r"median moving speed 11\.1 m/s"):
        read_gpx(make_gpx(seg(*jog(step_deg=0.0001)), type_=""))
    with pytest.raises(NotARunError, match="'Ride'"):
        read_gpx(make_gpx(seg(*jog()), type_="Ride"))


def test_a_file_with_a_run_track_and_a_ride_track_yields_the_run() -> None:
    ride = "<trk><type>cycling</type>" + seg(*jog(t0=20)) + "</trk>"
    data = make_gpx(seg(*jog())).replace(b"</gpx>", ride.encode() + b"</gpx>")
    (activity,) = read_gpx(data)
    assert len(activity.samples) == 5 and activity.sport == "running"


def test_manufacturer_and_product_come_from_the_creator() -> None:
    (activity,) = read_gpx(make_gpx(seg(*jog()), creator="Garmin Connect"))
    assert (activity.manufacturer, activity.product) == ("garmin", "Garmin Connect")
    (app,) = read_gpx(make_gpx(seg(*jog()), creator="StravaGPX"))
    assert (app.manufacturer, app.product) == (None, "StravaGPX")


def test_gpx_1_0_with_speed_and_a_bom() -> None:
    body = "".join(p.replace("</time>", "</time><speed>3.3</speed>") for p in jog())
    data = (
        b"\xef\xbb\xbf\n  "
        + b'<?xml version="1.0"?><gpx version="1.0" creator="x" xmlns="http://www.topografix.com/GPX/1/0"><trk>'
        + seg(body).encode()
        + b"</trk></gpx>"
    )
    (activity,) = read_gpx(data)
    assert (activity.samples[col.SPEED] == 3.3).all()
    assert col.ALTITUDE not in activity.samples and activity.altitude_source is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"not xml at all", "not well-formed"),
        (b'<?xml version="1.0"?><kml><Document/></kml>', "not a GPX file"),
    ],
)
def test_unreadable_files(data: bytes, words: str) -> None:
    with pytest.raises(UnreadableFileError, match=words):
        read_gpx(data)


def test_a_truncated_file_is_unreadable() -> None:
    data = make_gpx(seg(*jog(40)))
    with pytest.raises(UnreadableFileError, match="not well-formed"):
        read_gpx(data[: len(data) * 2 // 3])


def test_a_track_without_points_or_times_is_not_a_run() -> None:
    with pytest.raises(NotARunError, match="no track points"):
        read_gpx(make_gpx(seg()))
    untimed = "".join(f'<trkpt lat="48.{i}" lon="7.0"><ele>100</ele></trkpt>' for i in range(5))
    with pytest.raises(NotARunError, match="0 of 5"):
        read_gpx(make_gpx(seg(untimed)))


# --- hostile XML -------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<gpx version="1.1" creator="x"><trk><name>&lol9;</name></trk></gpx>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" creator="x"><trk><name>&secret;</name></trk></gpx>"""

UNDECLARED_ENTITY = (
    b'<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><name>&secret;</name></trk></gpx>'
)


def deep(levels: int) -> bytes:
    return b'<?xml version="1.0"?><gpx version="1.1">' + b"<a>" * levels + b"</a>" * levels + b"</gpx>"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (BILLION_LAUGHS, "document type"),
        (EXTERNAL_ENTITY, "document type"),
        (UNDECLARED_ENTITY, "undefined entity"),
        (deep(10_000), "nested deeper than 64"),
        (deep(1_000_000), "nested deeper than 64"),
    ],
    ids=["billion-laughs", "external-entity", "undeclared-entity", "10k-deep", "1M-deep"],
)
def test_hostile_xml_is_refused_with_one_line_and_little_memory(data: bytes, words: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFileError, match=words) as info:
            read_gpx(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in str(info.value)
    assert peak < 4_000_000  # one parser chunk, not the document


def peak_bytes(read: object, data: bytes) -> int:
    tracemalloc.start()
    try:
        read(data)  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_bounded_by_a_point_not_by_the_file() -> None:
    times = (f"2024-05-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z" for i in range(20_000))
    many = make_gpx(seg(*(point(48.0 + i * 1e-5, 7.0, t) for i, t in enumerate(times))))
    assert len(read_gpx(many)[0].samples) == 20_000
    # Points are dropped as they are read: the whole reader, DataFrame included, peaks well below the bare tree.
    assert peak_bytes(read_gpx, many) < 0.75 * peak_bytes(ElementTree.fromstring, many)


def test_the_plugin_registers_a_gpx_reader() -> None:
    found: list[Reader] = []
    gpx.register_readers(found.append)
    assert [(r.name, r.suffixes, r.read) for r in found] == [("gpx", (".gpx",), read_gpx)]


# --- the fast path for ordinary files agrees with the streaming parse ----------------------------------------------

SAMPLE_RUNS = sorted(SAMPLE_RUNS.glob("*.gpx"))
ORDINARY = ["runpandas/strava_export.gpx", "runpandas/run.gpx", "workoutizer/garmin_example.gpx"]


def outcome(found: object) -> list[Activity] | tuple[str, str]:
    try:
        return gpx._activities(found)  # type: ignore[arg-type]
    except (NotARunError, UnreadableFileError) as exc:
        return type(exc).__name__, str(exc)


def assert_same_outcome(data: bytes) -> bool:
    """The fast path yields what the streaming parse yields, or declines; whether it read the file."""
    fast = gpx._collect_ordinary(data)
    if fast is None:
        return False
    expected, got = outcome(gpx._collect(data)), outcome(fast)
    if isinstance(expected, tuple) or isinstance(got, tuple):
        assert got == expected
        return True
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(mine.samples, theirs.samples, check_exact=True)
        for field in dataclasses.fields(Activity):
            if field.name != "samples":
                assert getattr(mine, field.name) == getattr(theirs, field.name), field.name
    return True


def synthetic_gpx(kind: str, seed: int) -> bytes:
    from stridelink.demo.simulator import make_run, to_gpx

    return to_gpx(make_run(kind, datetime(2025, 4, 6, 7, 0, tzinfo=UTC), seed=seed, duration_s=600))


@needs_corpus
@pytest.mark.parametrize("path", GPX_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_path_agrees_with_the_streaming_parse_on_the_corpus(path: Path) -> None:
    data = path.read_bytes()
    read = assert_same_outcome(data)
    if str(path.relative_to(CORPUS)) in ORDINARY:
        assert read, "an ordinary file was left to the streaming parse"
    if not read:  # left to the streaming parse, which reads it or refuses it with a one-line reason
        try:
            got = outcome(gpx.tolerant(gpx._collect, data))
        except UnreadableFileError as exc:
            got = ("UnreadableFileError", str(exc))
        assert isinstance(got, list) or (got[1] and "\n" not in got[1])


@pytest.mark.parametrize("path", SAMPLE_RUNS, ids=lambda p: p.name)
def test_the_fast_path_reads_the_sample_runs_as_the_streaming_parse_does(path: Path) -> None:
    assert assert_same_outcome(path.read_bytes())


@pytest.mark.parametrize(("kind", "seed"), [("easy_road", 1), ("trail", 2), ("track_intervals", 3)])
def test_the_fast_path_reads_synthetic_runs_as_the_streaming_parse_does(kind: str, seed: int) -> None:
    assert assert_same_outcome(synthetic_gpx(kind, seed))


MIXED = [
    point(48.0, 7.0, "2024-05-01T08:00:00Z", "<ele>250</ele>"),
    '<trkpt lon="7.0" lat="48.00003"><time>2024-05-01T08:00:01Z</time></trkpt>',  # lon first
    point(48.00006, 7.0, "2024-05-01T08:00:02Z", '<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>150</gpxtpx:hr>'
          '<gpxtpx:cad>85</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>'),
    point(48.00009, 7.0, "2024-05-01T10:00:03+02:00", "<ele>-3.5</ele><extensions><power>-1</power><speed>3.1"
          "</speed><speed>9</speed></extensions>"),
    point(48.00012, 7.0, "2024-05-01T08:00:02Z"),  # back in time
    point(48.00015, 7.0, "2024-05-01T08:00:05Z", "<extensions><gpxtpx:hr>abc</gpxtpx:hr><hr>151</hr></extensions>"),
    point(48.00018, 7.0, "2024-05-01T08:00:06Z", "<extensions><gpxtpx:hr/><hr></hr></extensions>"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "ordinary"),
    [
        (make_gpx(seg(*MIXED)), True),
        (
            make_gpx(
                seg(*MIXED[:3]) + seg(*MIXED[3:]), type_="Trail Running", creator=" Garmin Forerunner 965 "
            ),
            True,
        ),
        (make_gpx(seg(*jog(5))).replace(b"<trk>", b"<trk><type>ride</type></trk><trk>"), True),
        (make_gpx(seg(*jog(5)), type_="") + b"\n", True),
        (make_gpx(seg(*jog(5)), creator="Polar &amp; co"), True),
        (make_gpx(seg(*jog(5))).replace(b"<trkseg>", b"<trkseg><!-- c -->"), False),
        (make_gpx(seg(*jog(5))).replace(b"</time>", b"</time><name><![CDATA[x]]></name>", 1), False),
        (make_gpx(seg(*jog(5))).replace(b"<time>", b"<time>&#50;", 1), False),
        (make_gpx(seg(*jog(5))).replace(b"<time>", b"<time><x/>", 1), False),  # its time is not its text
        (make_gpx(seg(*jog(5))).replace(b"<trkseg>", b"<trkseg><gpxtpx:trkpt lat='1' lon='1'/>"), False),
        (
            make_gpx(seg(*jog(5))).replace(b"</trkseg>", b"</trkseg><rte><rtept lat='1' lon='1'/></rte>"),
            False,
        ),
        (make_gpx(seg(*jog(5))).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), False),
        (make_gpx(seg(*jog(5))).replace(b"</trkpt>", b"</trkpt", 1), False),  # not well-formed
        (make_gpx(seg(*jog(5, extra="<extensions><undeclared:hr>1</undeclared:hr></extensions>"))), False),
        (make_gpx(seg(*jog(5))).replace(b"</trkseg>", b"</trkseg>" + b"<a>" * 70 + b"</a>" * 70), False),
        (make_gpx(seg(*jog(5, extra="<a><b><c><d><e>1</e></d></c></b></a>"))), False),
    ],
)
def test_the_fast_path_reads_ordinary_files_and_leaves_the_rest(data: bytes, ordinary: bool) -> None:
    assert assert_same_outcome(data) == ordinary


# --- sport by evidence when the file names none -----------------------------------------------------------------


def strip_sport_label(data: bytes) -> bytes:
    data = re.sub(rb"<type>[^<]*</type>", b"", data)
    return re.sub(rb"<(\w+:)?activity>[^<]*</(\w+:)?activity>", b"", data)


@needs_corpus
@pytest.mark.parametrize(
    "name", ["sweatpy/4801048867_strava.gpx", "sweatpy/activity_4801048867.gpx", "workoutizer/cycling_walchensee.gpx"]
)
def test_a_ride_without_its_type_is_still_skipped_with_the_reason(name: str) -> None:
    data = strip_sport_label((CORPUS / name).read_bytes())
    assert b"<type>" not in data
    with pytest.raises(NotARunError, match="not a foot activity: median moving speed"):
        read_gpx(data, name)


def ride(n: int, speed_mps: float, cadence: float, *, creator: str = "Test") -> bytes:
    step = speed_mps / 111_195
    points = [
        point(48.0 + i * step, 7.0, f"2024-05-01T08:{i // 60:02d}:{i % 60:02d}Z",
              f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:cad>{cadence}</gpxtpx:cad>"
              "</gpxtpx:TrackPointExtension></extensions>")
        for i in range(n)
    ]  # fmt: skip
    return make_gpx(seg(*points), type_="", creator=creator)


def test_pedalling_at_road_speed_is_not_taken_for_running() -> None:
    # 20 km/h at 74 rpm: as strides it would be 148 spm and 2.3 m steps
    with pytest.raises(NotARunError, match="pedalling"):
        read_gpx(ride(600, 5.6, 74), "ride.gpx")
    (run,) = read_gpx(ride(600, 3.0, 85), "run.gpx")  # the same cadence at a runner's speed is a run
    assert run.sport == "running" and run.samples[col.CADENCE].median() == 170


def test_a_cycling_app_or_bike_computer_is_not_a_foot_activity() -> None:
    for creator in ("Garmin Edge 530", "Wahoo ELEMNT BOLT", "Zwift", "Cyclemeter"):
        with pytest.raises(NotARunError, match=re.escape(creator)):
            read_gpx(ride(300, 3.0, 85, creator=creator), "app.gpx")


def test_a_stroke_rate_is_not_a_step_rate() -> None:
    with pytest.raises(NotARunError, match="below any walk's step rate"):
        read_gpx(ride(900, 1.0, 26), "swim.gpx")
    (walk,) = read_gpx(ride(900, 1.3, 55), "walk.gpx")  # 110 steps a minute at 4.7 km/h: a walk
    assert walk.sport == "walking"


# --- undeclared namespace prefixes ------------------------------------------------------------------------------


@needs_corpus
def test_a_strava_gpx_with_an_undeclared_prefix_reads_like_the_declared_one() -> None:
    data = (CORPUS / "runpandas/strava_export.gpx").read_bytes()
    undeclared = re.sub(rb'\s+xmlns:gpxtpx="[^"]*"', b"", data, count=1)
    assert b"xmlns:gpxtpx" not in undeclared and b"<gpxtpx:" in undeclared
    (expected,) = read_gpx(data, "strava_export.gpx")
    (got,) = read_gpx(undeclared, "strava_export.gpx")
    pd.testing.assert_frame_equal(got.samples, expected.samples)
    assert (got.sport, got.product) == (expected.sport, expected.product)


def test_undeclared_prefixes_are_declared_on_the_root_after_the_prolog() -> None:
    data = make_gpx(seg(*jog(5, extra="<extensions><ns3:hr>150</ns3:hr></extensions>")), type_="running")
    data = data.replace(b"<gpx ", b"<!-- x --><?pi y?><gpx ")
    (activity,) = read_gpx(data, "prefixed.gpx")
    assert (activity.samples[col.HEART_RATE] == 150).all()


def test_declaring_prefixes_lets_no_entity_through() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY lol "lol">]><gpx creator="x"><trk><trkseg>'
        b'<trkpt lat="1" lon="1"><time>2024-05-01T08:00:00Z</time><ns3:hr>&lol;</ns3:hr></trkpt>'
        b"</trkseg></trk></gpx>"
    )
    with pytest.raises(UnreadableFileError, match="document type"):
        read_gpx(data, "hostile.gpx")
