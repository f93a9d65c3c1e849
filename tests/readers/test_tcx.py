from __future__ import annotations

import csv
import re
import warnings
from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stridelink import columns as col
from stridelink.errors import NotARunError, UnreadableFileError
from stridelink.models import Activity, Reader
from stridelink.readers import tcx
from stridelink.readers.gpx import read_gpx
from stridelink.readers.tcx import read_tcx
from tests.conftest import CORPUS, needs_corpus

TCX_FILES = sorted(CORPUS.glob("*/*.tcx")) if CORPUS.is_dir() else []
MANIFEST_SPORTS = (
    {row["path"]: row["sport"] for row in csv.DictReader((CORPUS / "MANIFEST.csv").open(newline=""))}
    if CORPUS.is_dir()
    else {}
)
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
)


def trackpoint(second: int, *, lat: float | None = 48.0, dist: float | None = None, extra: str = "") -> str:
    position = (
        ""
        if lat is None
        else f"<Position><LatitudeDegrees>{lat}</LatitudeDegrees><LongitudeDegrees>7.0</LongitudeDegrees></Position>"
    )
    distance = "" if dist is None else f"<DistanceMeters>{dist}</DistanceMeters>"
    return f"<Trackpoint><Time>2024-05-01T08:{second // 60:02d}:{second % 60:02d}Z</Time>{position}{distance}{extra}</Trackpoint>"


def activity(sport: str, points: list[str], *, lap: str = "", creator: str = "") -> str:
    maker = f"<Creator><Name>{creator}</Name></Creator>" if creator else ""
    return (
        f'<Activity Sport="{sport}"><Id>2024-05-01T08:00:00Z</Id><Lap StartTime="2024-05-01T08:00:00Z">{lap}'
        f"<Track>{''.join(points)}</Track></Lap>{maker}</Activity>"
    )


def make_tcx(*activities: str) -> bytes:
    return (HEAD + "<Activities>" + "".join(activities) + "</Activities></TrainingCenterDatabase>").encode()


def jog(n: int = 6, *, t0: int = 0, step_m: float = 3.0, extra: str = "") -> list[str]:
    return [
        trackpoint(t0 + i, lat=48.0 + i * step_m / 111_195, dist=i * step_m, extra=extra) for i in range(n)
    ]


def read_corpus(name: str) -> list[Activity]:
    return read_tcx((CORPUS / name).read_bytes(), name)


@needs_corpus
@pytest.mark.parametrize("path", TCX_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_tcx_reads_as_its_sport_or_is_refused_with_a_reason(path: Path) -> None:
    """Running files are read as runs; rides, courses and broken files are refused with a one-line reason."""
    sport = MANIFEST_SPORTS[str(path.relative_to(CORPUS))]
    if sport != "Running":
        with pytest.raises((NotARunError, UnreadableFileError)) as refused:
            read_tcx(path.read_bytes(), path.name)
        assert str(refused.value) and "\n" not in str(refused.value)
        return
    activities = read_tcx(path.read_bytes(), path.name)
    assert activities
    for found in activities:
        samples = found.samples
        assert found.source_format == "tcx" and found.sport in ("running", "walking", "hiking")
        assert str(samples[col.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
        assert samples[col.TIMESTAMP].is_monotonic_increasing and samples[col.TIMESTAMP].is_unique
        assert found.start_utc == samples[col.TIMESTAMP].iloc[0]
        assert (np.diff(samples[col.DISTANCE]) >= 0).all()
        if col.CADENCE in samples:
            moving = samples[col.CADENCE][samples[col.CADENCE] > 0]
            assert 100 < moving.median() < 200  # steps per minute, both feet


@needs_corpus
@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("togeojson/tcx-courses.tcx", NotARunError, "course"),
        ("sweatpy/activity_5039744860.tcx", NotARunError, "'Biking'"),
        ("togeojson/tour_hr.tcx", NotARunError, "'Biking'"),
        ("runpandas/malformed.tcx", UnreadableFileError, "not a TCX file"),
    ],
)
def test_courses_rides_and_broken_files(name: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        read_corpus(name)


@needs_corpus
def test_the_same_run_as_tcx_and_gpx_agrees() -> None:
    (from_tcx,) = read_corpus("runpandas/run.tcx")
    (from_gpx,) = read_gpx((CORPUS / "runpandas/run.gpx").read_bytes())
    a, b = from_tcx.samples, from_gpx.samples
    assert len(a) == len(b) == 1424
    assert (a[col.TIMESTAMP].to_numpy() == b[col.TIMESTAMP].to_numpy()).all()
    np.testing.assert_allclose(a[col.LAT], b[col.LAT], atol=1e-6)
    np.testing.assert_allclose(a[col.LON], b[col.LON], atol=1e-6)
    np.testing.assert_allclose(a[col.ALTITUDE], b[col.ALTITUDE], atol=0.05)
    # The watch's own distance against the haversine sum of the same positions.
    assert a[col.DISTANCE].iloc[-1] == pytest.approx(b[col.DISTANCE].iloc[-1], rel=0.01)
    assert from_tcx.device_totals["distance_m"] == pytest.approx(a[col.DISTANCE].iloc[-1], rel=1e-3)
    assert (from_tcx.manufacturer, from_tcx.product) == ("tomtom", "TomTom GPS Sport Watch")


@needs_corpus
def test_run_cadence_is_doubled_and_agrees_with_the_fit_and_gpx_twins() -> None:
    fitparse = pytest.importorskip("fitparse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fitparse.FitFile(str(CORPUS / "heartandsole/testdata.fit"))
        rows = [(m.get_value("timestamp"), m.get_value("cadence"), m.get_value("fractional_cadence") or 0.0)
                for m in fit.get_messages("record")]  # fmt: skip
    fit_spm = pd.Series({t.replace(tzinfo=UTC): 2 * (c + f) for t, c, f in rows if c})
    (found,) = read_corpus("heartandsole/testdata.tcx")
    samples = found.samples.set_index(col.TIMESTAMP)
    tcx_spm = samples[col.CADENCE][samples[col.CADENCE] > 0]
    both = fit_spm.index.intersection(tcx_spm.index)
    assert len(both) > 15
    assert tcx_spm[both].mean() == pytest.approx(fit_spm[both].mean(), rel=0.03)
    (twin,) = read_gpx((CORPUS / "heartandsole/testdata.gpx").read_bytes())
    gpx_samples = twin.samples.set_index(col.TIMESTAMP)
    common = gpx_samples.index.intersection(samples.index)
    assert len(common) >= 40
    np.testing.assert_array_equal(
        samples.loc[common, col.HEART_RATE], gpx_samples.loc[common, col.HEART_RATE]
    )
    np.testing.assert_array_equal(samples.loc[common, col.CADENCE], gpx_samples.loc[common, col.CADENCE])


@needs_corpus
def test_laps_and_device_totals() -> None:
    (found,) = read_corpus("heartandsole/testdata.tcx")
    assert len(found.laps) == 4
    assert found.laps[0]["timer_time_s"] == pytest.approx(44.526)
    assert found.laps[0]["avg_heart_rate_bpm"] == 83
    assert found.device_totals["distance_m"] == pytest.approx(sum(lap["distance_m"] for lap in found.laps))
    assert found.device_totals["distance_m"] == pytest.approx(found.samples[col.DISTANCE].iloc[-1], abs=0.1)


@needs_corpus
def test_polar_running_cadence_in_the_plain_cadence_element_is_doubled() -> None:
    (found,) = read_corpus("sweatpy/3173437224.tcx")
    assert (found.manufacturer, found.product) == ("polar", "Polar M400")
    raw = 63  # the file's median non-zero <Cadence>
    moving = found.samples[col.CADENCE][found.samples[col.CADENCE] > 0]
    assert moving.median() == 2 * raw


def test_several_activities_yield_the_foot_ones() -> None:
    data = make_tcx(activity("Biking", jog(t0=0)), activity("Running", jog(t0=30), creator="Forerunner 965"))
    (found,) = read_tcx(data)
    assert found.sport == "running" and len(found.samples) == 6
    assert (found.manufacturer, found.product) == ("garmin", "Forerunner 965")


def test_multisport_session_contributes_its_run() -> None:
    body = (
        "<MultiSportSession><Id>2024-05-01T08:00:00Z</Id>"
        f"<FirstSport>{activity('Biking', jog(t0=0))}</FirstSport>"
        f"<NextSport><Transition/>{activity('Running', jog(t0=40))}</NextSport></MultiSportSession>"
    )
    (found,) = read_tcx(make_tcx(body))
    assert found.start_utc.second == 40


def test_other_sport_is_judged_by_speed() -> None:
    (walk,) = read_tcx(make_tcx(activity("Other", jog(step_m=1.2))))
    assert walk.sport == "walking"
    with pytest.raises(NotARunError, match="m/s"):
        read_tcx(make_tcx(activity("Other", jog(step_m=9.0))))


def test_treadmill_distance_comes_from_the_foot_pod_and_run_cadence_is_doubled() -> None:
    cadence = "<Extensions><ns3:TPX><ns3:RunCadence>86</ns3:RunCadence><ns3:Speed>3.0</ns3:Speed></ns3:TPX></Extensions>"
    points = [trackpoint(i, lat=None, dist=3.0 * i, extra=cadence) for i in range(10)]
    (found,) = read_tcx(make_tcx(activity("Running", points)))
    samples = found.samples
    assert col.LAT not in samples and col.ALTITUDE not in samples
    assert samples[col.DISTANCE].iloc[-1] == 27.0
    assert (samples[col.CADENCE] == 172).all() and (samples[col.SPEED] == 3.0).all()


def test_tracks_of_a_lap_are_segments_and_device_distance_carries_over_the_pause() -> None:
    lap = "<TotalTimeSeconds>10</TotalTimeSeconds><DistanceMeters>30</DistanceMeters>"
    first = "".join(trackpoint(i, dist=3.0 * i) for i in range(5))
    second = "".join(trackpoint(60 + i, dist=15.0 + 3.0 * i) for i in range(5))
    body = (
        f'<Activity Sport="Running"><Id>x</Id><Lap StartTime="2024-05-01T08:00:00Z">{lap}'
        f"<Track>{first}</Track><Track>{second}</Track></Lap></Activity>"
    )
    (found,) = read_tcx(make_tcx(body))
    samples = found.samples
    assert len(samples) == 10 and samples[col.DISTANCE].iloc[-1] == 27.0
    assert (samples[col.TIMESTAMP].iloc[5] - samples[col.TIMESTAMP].iloc[4]).total_seconds() == 56
    assert found.device_totals == {"distance_m": 30.0, "timer_time_s": 10.0, "avg_speed_mps": 3.0}


EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<TrainingCenterDatabase>&e;</TrainingCenterDatabase>"
)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (make_tcx(activity("Running", jog()))[:300], "not well-formed"),
        (EXTERNAL_ENTITY, "document type"),
        (b"<gpx/>", "not a TCX file"),
    ],
    ids=["empty", "truncated", "external-entity", "gpx"],
)
def test_unreadable_files(data: bytes, words: str) -> None:
    with pytest.raises(UnreadableFileError, match=words):
        read_tcx(data)


def test_no_activities_is_not_a_run() -> None:
    with pytest.raises(NotARunError, match="no activities"):
        read_tcx(make_tcx())


def test_the_plugin_registers_a_tcx_reader() -> None:
    found: list[Reader] = []
    tcx.register_readers(found.append)
    assert [(r.name, r.suffixes, r.read) for r in found] == [("tcx", (".tcx",), read_tcx)]


@needs_corpus
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("togeojson/garmin_connect.tcx", "pedalling"),  # Edge 520 with the creator removed too
        ("sweatpy/activity_5039744860.tcx", "median moving speed"),
    ],
)
def test_a_ride_labelled_other_is_judged_by_its_evidence(name: str, words: str) -> None:
    data = (CORPUS / name).read_bytes().replace(b'Sport="Biking"', b'Sport="Other"')
    with pytest.raises(NotARunError, match="Edge"):
        read_tcx(data, name)
    anonymous = re.sub(rb"<Name>[^<]*</Name>", b"<Name>Watch</Name>", data)
    with pytest.raises(NotARunError, match=words):
        read_tcx(anonymous, name)


def test_an_open_water_swim_labelled_other_is_not_a_walk() -> None:
    strokes = "<Cadence>26</Cadence>"  # strokes per minute, 1 m/s
    points = [trackpoint(i, lat=48.0 + i / 111_195, dist=float(i), extra=strokes) for i in range(0, 1200, 2)]
    with pytest.raises(NotARunError, match="below any walk's step rate"):
        read_tcx(make_tcx(activity("Other", points)), "swim.tcx")
