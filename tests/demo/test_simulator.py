from __future__ import annotations

import importlib.util
import io
import math
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import fitparse
import gpxpy
import numpy as np
import pandas as pd
import pytest
from garmin_fit_sdk import Decoder, Stream

from stridelink import columns as col
from stridelink.demo.simulator import (
    KINDS,
    TRACK_LAP_M,
    make_run,
    make_strength_session,
    to_fit,
    to_gpx,
)
from tests.conftest import SAMPLE_RUNS

START = datetime(2026, 11, 16, 17, 30, tzinfo=UTC)
TPX = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}"


@pytest.fixture(scope="module")
def runs():
    """One run of each kind, recorded every 2 s (long run shortened to 90 minutes to keep tests quick)."""
    return {
        kind: make_run(
            kind, START, seed=7, record_interval_s=2, duration_s=5400 if kind == "long_run" else None
        )
        for kind in KINDS
    }


@pytest.fixture(scope="module")
def fit_files(runs):
    """Each run written as FIT once; decoded with fitparse once."""
    data = {kind: to_fit(run) for kind, run in runs.items()}
    return {kind: (raw, fit_messages(raw)) for kind, raw in data.items()}


def fit_messages(data: bytes) -> fitparse.FitFile:
    fit = fitparse.FitFile(io.BytesIO(data))
    fit.parse()
    return fit


def moving(df: pd.DataFrame) -> pd.DataFrame:
    return df[df[col.CADENCE] > 0]


def climb_m_per_km(df: pd.DataFrame, band_m: float = 3.0) -> float:
    gain, anchor = 0.0, df[col.ALTITUDE].iloc[0]
    for alt in df[col.ALTITUDE].iloc[1:]:
        if alt - anchor >= band_m:
            gain, anchor = gain + alt - anchor, alt
        elif anchor - alt >= band_m:
            anchor = alt
    return gain / (df[col.DISTANCE].iloc[-1] / 1000.0)


def local_xy(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lat0 = math.radians(df[col.LAT].iloc[0])
    x = np.radians(df[col.LON].to_numpy()) * math.cos(lat0) * 6371008.8
    y = np.radians(df[col.LAT].to_numpy()) * 6371008.8
    return x - x[0], y - y[0]


def turning_deg_per_km(df: pd.DataFrame, spacing_m: float = 25.0) -> float:
    """Total heading change per km along the track, resampled every ``spacing_m`` of distance."""
    x, y = local_xy(df)
    d = df[col.DISTANCE].to_numpy()
    grid = np.arange(0.0, d[-1], spacing_m)
    gx, gy = np.interp(grid, d, x), np.interp(grid, d, y)
    heading = np.arctan2(np.diff(gy), np.diff(gx))
    turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
    return float(np.degrees(turn).sum() / (d[-1] / 1000.0))


# ---------------------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_run_and_files():
    a = make_run("trail", START, seed=3, duration_s=900)
    b = make_run("trail", START, seed=3, duration_s=900)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert to_fit(a) == to_fit(b)
    assert to_gpx(a) == to_gpx(b)


def test_different_seed_gives_a_different_run():
    a = make_run("easy_road", START, seed=1, duration_s=900)
    b = make_run("easy_road", START, seed=2, duration_s=900)
    n = min(len(a.samples), len(b.samples))
    assert not np.allclose(a.samples[col.LAT].iloc[:n], b.samples[col.LAT].iloc[:n])


def test_samples_use_the_canonical_columns(runs):
    df = runs["easy_road"].samples
    assert list(df.columns) == [c for c in col.ALL if c in df.columns]
    assert set(df.columns) >= set(col.ALL) - {col.FORM_POWER, col.LEG_SPRING_STIFFNESS}
    assert str(df[col.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert df[col.TIMESTAMP].iloc[0] == pd.Timestamp(START)
    assert (df[col.TIMESTAMP].diff().dt.total_seconds().iloc[1:-1] == 2).all()
    assert (df[col.DISTANCE].diff().iloc[1:] >= 0).all()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        make_run("swim", START)
    with pytest.raises(ValueError, match="timezone-aware"):
        make_run("easy_road", datetime(2026, 11, 16, 17, 30))
    with pytest.raises(ValueError, match="whole number"):
        make_run("easy_road", START, record_interval_s=1.5)


# ---------------------------------------------------------------------------------------------- FIT


@pytest.mark.slow  # every kind of run through the reference decoder
@pytest.mark.parametrize("kind", KINDS)
def test_fit_decodes_with_fitparse_and_carries_what_was_written(runs, fit_files, kind):
    run = runs[kind]
    df = run.samples
    fit = fit_files[kind][1]
    records = list(fit.get_messages("record"))
    assert len(records) == len(df)
    (session,) = [m.get_values() for m in fit.get_messages("session")]
    assert session["sport"] == "running"
    assert session["sub_sport"] == run.sub_sport
    assert session["total_distance"] == pytest.approx(df[col.DISTANCE].iloc[-1], abs=0.01)
    assert session["total_elapsed_time"] == pytest.approx(run.duration_s)
    strides = session["avg_running_cadence"] + session["avg_fractional_cadence"]
    assert 2 * strides == pytest.approx(moving(df)[col.CADENCE].mean(), abs=2 / 128)
    running = df[df[col.GCT].notna()]
    assert session["avg_stance_time"] == pytest.approx(running[col.GCT].mean(), abs=0.05)
    assert session["avg_step_length"] == pytest.approx(running[col.STEP_LENGTH].mean(), abs=0.05)
    assert session["avg_vertical_ratio"] == pytest.approx(running[col.VERTICAL_RATIO].mean(), abs=0.005)
    assert session["avg_stance_time_balance"] == pytest.approx(running[col.GCT_BALANCE].mean(), abs=0.005)
    assert session["avg_heart_rate"] == round(df[col.HEART_RATE].mean())
    laps = [m.get_values() for m in fit.get_messages("lap")]
    assert session["num_laps"] == len(laps) == math.ceil(df[col.DISTANCE].iloc[-1] / 1000.0)
    for lap in laps[:-1]:  # a lap every kilometre
        assert lap["total_distance"] == 1000.0
        assert lap["lap_trigger"] == "distance"
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(session["total_distance"], abs=0.02)
    assert sum(lap["total_elapsed_time"] for lap in laps) == pytest.approx(session["total_elapsed_time"])
    (activity,) = [m.get_values() for m in fit.get_messages("activity")]
    assert activity["local_timestamp"] - activity["timestamp"] == pd.Timedelta(hours=1)


@pytest.mark.parametrize("kind", ["trail", "treadmill"])
def test_fit_decodes_with_the_garmin_sdk(runs, fit_files, kind):
    data = fit_files[kind][0]
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert len(messages["record_mesgs"]) == len(runs[kind].samples)
    assert messages["file_id_mesgs"][0]["product"] == 4315  # fr965
    assert messages["session_mesgs"][0]["sub_sport"] == runs[kind].sub_sport


def test_fit_records_decode_to_exactly_the_samples(runs, fit_files):
    df = runs["hill_repeats"].samples
    records = pd.DataFrame(m.get_values() for m in fit_files["hill_repeats"][1].get_messages("record"))
    semicircle_deg = 180.0 / 2**31
    np.testing.assert_allclose(records["position_lat"] * semicircle_deg, df[col.LAT], rtol=0, atol=1e-12)
    np.testing.assert_allclose(2 * (records["cadence"] + records["fractional_cadence"]), df[col.CADENCE])
    pairs = {
        "distance": col.DISTANCE,
        "enhanced_speed": col.SPEED,
        "enhanced_altitude": col.ALTITUDE,
        "heart_rate": col.HEART_RATE,
        "stance_time": col.GCT,
        "stance_time_balance": col.GCT_BALANCE,
        "vertical_oscillation": col.VERTICAL_OSCILLATION,
        "vertical_ratio": col.VERTICAL_RATIO,
        "step_length": col.STEP_LENGTH,
        "power": col.POWER,
    }
    for field, column in pairs.items():
        np.testing.assert_allclose(records[field].astype(float), df[column], atol=1e-6, err_msg=field)


def test_treadmill_fit_has_no_position(fit_files):
    fit = fit_files["treadmill"][1]
    assert not any(r.get_value("position_lat") is not None for r in fit.get_messages("record"))


@pytest.mark.parametrize(
    ("kind", "sub_sport"), [("mobility", "flexibility_training"), ("strength", "strength_training")]
)
def test_strength_session_is_a_training_activity_with_heart_rate(kind, sub_sport):
    data = make_strength_session(datetime(2026, 11, 17, 18, 30, tzinfo=UTC), kind=kind, duration_s=1200)
    fit = fit_messages(data)
    (session,) = [m.get_values() for m in fit.get_messages("session")]
    assert (session["sport"], session["sub_sport"]) == ("training", sub_sport)
    assert session["total_timer_time"] == 1200
    records = [m.get_values() for m in fit.get_messages("record")]
    assert len(records) > 20
    assert all(set(r) == {"timestamp", "heart_rate"} for r in records)
    assert 60 < session["avg_heart_rate"] < session["max_heart_rate"] < 140


# ---------------------------------------------------------------------------------------------- GPX


def test_gpx_is_gpx_1_1_with_strides_per_minute_in_cad(runs):
    run = runs["trail"]
    data = to_gpx(run)
    gpx = gpxpy.parse(data.decode("utf-8"))
    (track,) = gpx.tracks
    assert track.type == "running"
    points = track.segments[0].points
    assert len(points) == len(run.samples)
    assert points[10].time == run.samples[col.TIMESTAMP].iloc[10].to_pydatetime()
    assert points[10].elevation == pytest.approx(run.samples[col.ALTITUDE].iloc[10], abs=0.05)
    root = ET.fromstring(data)
    assert root.get("version") == "1.1"
    cad = np.array([float(e.text) for e in root.iter(f"{TPX}cad")])
    hr = np.array([float(e.text) for e in root.iter(f"{TPX}hr")])
    np.testing.assert_allclose(hr, run.samples[col.HEART_RATE])
    assert np.all(np.abs(2 * cad - run.samples[col.CADENCE]) < 2.0)  # whole strides: readers double it
    extension_fields = {child.tag for ext in root.iter(f"{TPX}TrackPointExtension") for child in ext}
    assert extension_fields == {f"{TPX}hr", f"{TPX}cad"}  # no running dynamics in GPX


def test_treadmill_cannot_be_written_as_gpx(runs):
    with pytest.raises(ValueError, match="without positions"):
        to_gpx(runs["treadmill"])


# ---------------------------------------------------------------------------------------------- physical sanity


@pytest.mark.parametrize("kind", KINDS)
def test_gait_numbers_hang_together(runs, kind):
    df = runs[kind].samples
    r = df[df[col.GCT].notna()]
    speed_from_gait = r[col.CADENCE] / 60.0 * r[col.STEP_LENGTH] / 1000.0
    np.testing.assert_allclose(speed_from_gait, r[col.SPEED], rtol=0.003)
    np.testing.assert_allclose(
        r[col.VERTICAL_RATIO], r[col.VERTICAL_OSCILLATION] / r[col.STEP_LENGTH] * 100, atol=0.02
    )
    assert r[col.CADENCE].between(140, 205).all()
    assert r[col.GCT].between(140, 380).all()
    assert r[col.VERTICAL_OSCILLATION].between(50, 130).all()
    assert df[col.HEART_RATE].between(50, 200).all()


@pytest.mark.parametrize("kind", KINDS)
def test_every_run_stands_still_for_30_to_60_seconds(runs, kind):
    df = runs[kind].samples
    still = (df[col.SPEED] == 0).to_numpy()
    spells = np.diff(np.flatnonzero(np.diff(np.r_[0, still.astype(int), 0])))[::2] * 2  # seconds
    assert 26 <= spells.max() <= 62
    assert df.loc[still, col.CADENCE].eq(0).all() and df.loc[still, col.GCT].isna().all()


def test_easy_run_is_steady_and_flat(runs):
    df = moving(runs["easy_road"].samples)
    speed = df[col.SPEED]
    assert 2.7 < speed.median() < 3.1
    assert speed.std() / speed.mean() < 0.1
    assert climb_m_per_km(runs["easy_road"].samples) < 8
    assert climb_m_per_km(runs["long_run"].samples) < 8


def test_trail_is_slower_hillier_more_variable_and_more_winding(runs):
    trail, road = runs["trail"].samples, runs["easy_road"].samples
    assert moving(trail)[col.SPEED].median() < moving(road)[col.SPEED].median() - 0.3
    cv = {
        name: moving(df)[col.SPEED].std() / moving(df)[col.SPEED].mean()
        for name, df in (("t", trail), ("r", road))
    }
    assert cv["t"] > 2 * cv["r"]
    assert 30 <= climb_m_per_km(trail) <= 60
    assert turning_deg_per_km(trail) > 3 * turning_deg_per_km(road)
    assert trail[col.GCT].mean() > road[col.GCT].mean()


def test_uphill_running_has_shorter_steps_and_longer_contact(runs):
    hill, flat = runs["hill_repeats"].samples, runs["easy_road"].samples
    grade = hill[col.ALTITUDE].diff(10) / hill[col.DISTANCE].diff(10).replace(0, np.nan)
    up = hill[hill[col.GCT].notna() & (grade.shift(-5) > 0.06)]
    flat = flat[flat[col.GCT].notna()]
    assert len(up) > 100

    def versus_flat(column: str) -> float:
        """Mean difference of uphill samples from what flat running gives at the same speed."""
        slope, intercept = np.polyfit(flat[col.SPEED], flat[column], 1)
        return float((up[column] - (slope * up[col.SPEED] + intercept)).mean())

    assert versus_flat(col.STEP_LENGTH) < -15
    assert versus_flat(col.CADENCE) > 2
    assert versus_flat(col.GCT) > 8


def test_hill_repeats_climb_the_hill_again_and_again(runs):
    df = runs["hill_repeats"].samples
    climbs, low, high, rising = 0, df[col.ALTITUDE].iloc[0], df[col.ALTITUDE].iloc[0], False
    for alt in df[col.ALTITUDE]:  # count rises of 10 m or more, each followed by a drop of 10 m or more
        if not rising and alt - low >= 10:
            climbs, rising, high = climbs + 1, True, alt
        elif rising and high - alt >= 10:
            rising, low = False, alt
        low, high = min(low, alt), max(high, alt)
        if rising:
            low = alt
        else:
            high = alt
    assert climbs == 8
    assert climb_m_per_km(df) > 20


def test_track_laps_are_a_closed_400_m_oval(runs):
    df = runs["track_intervals"].samples
    x, y = local_xy(df)
    d = df[col.DISTANCE].to_numpy()
    later = np.searchsorted(d, d + TRACK_LAP_M)
    ok = later < len(d)
    gap = np.hypot(x[later[ok]] - x[ok], y[later[ok]] - y[ok])
    assert np.median(gap) < 8 and np.percentile(gap, 95) < 15  # one lap on, the runner is back at the spot
    # Averaged over the laps, the GPS noise goes and the lane 1 line of a standard track remains.
    spot = (d % TRACK_LAP_M // 5).astype(int)
    loop = pd.DataFrame({"spot": spot, "x": x, "y": y}).groupby("spot").mean()
    assert len(loop) == 80
    closed = np.r_[loop[["x", "y"]].to_numpy(), loop[["x", "y"]].to_numpy()[:1]]
    assert np.hypot(*np.diff(closed, axis=0).T).sum() == pytest.approx(TRACK_LAP_M, abs=8)
    centred = closed[:-1] - closed[:-1].mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    along, across = centred @ axes[0], centred @ axes[1]
    assert np.ptp(along) == pytest.approx(84.39 + 2 * 36.8, abs=4)
    assert np.ptp(across) == pytest.approx(2 * 36.8, abs=4)


def test_track_reps_are_fast_with_quicker_shorter_contacts(runs):
    df = moving(runs["track_intervals"].samples)
    fast, jog = df[df[col.SPEED] > 4.6], df[df[col.SPEED].between(2.0, 3.0)]
    assert len(fast) > 200 and len(jog) > 200
    assert fast[col.CADENCE].mean() > jog[col.CADENCE].mean() + 8
    assert fast[col.GCT].mean() < jog[col.GCT].mean() - 40
    assert fast[col.STEP_LENGTH].mean() > jog[col.STEP_LENGTH].mean()


def test_long_run_lasts_90_minutes_and_drifts(runs):
    run = make_run("long_run", START, seed=7, record_interval_s=4)
    assert run.duration_s >= 90 * 60
    df = moving(run.samples)
    third = len(df) // 3
    first, last = df.iloc[:third], df.iloc[-third:]
    assert last[col.SPEED].mean() < first[col.SPEED].mean()
    assert last[col.HEART_RATE].mean() > first[col.HEART_RATE].mean()


def test_fatigue_lowers_cadence_and_lengthens_contact_over_the_last_third():
    fresh = moving(make_run("easy_road", START, seed=5, fatigue=0.0).samples)
    tired = moving(make_run("easy_road", START, seed=5, fatigue=1.0).samples)
    third = len(fresh) // 3
    for df in (fresh, tired):
        assert len(df) == len(fresh)
    first = slice(0, third)
    last = slice(-third, None)
    assert tired[col.CADENCE].iloc[first].mean() == pytest.approx(fresh[col.CADENCE].iloc[first].mean())
    assert tired[col.CADENCE].iloc[last].mean() < 0.975 * fresh[col.CADENCE].iloc[last].mean()
    assert tired[col.GCT].iloc[last].mean() > 1.04 * fresh[col.GCT].iloc[last].mean()


def test_cadence_scale_and_gct_balance_follow_the_request():
    base = moving(make_run("easy_road", START, seed=4, duration_s=1200).samples)
    low = moving(make_run("easy_road", START, seed=4, duration_s=1200, cadence_scale=0.9).samples)
    assert low[col.CADENCE].mean() == pytest.approx(0.9 * base[col.CADENCE].mean(), rel=0.01)
    skewed = make_run("easy_road", START, seed=4, duration_s=1200, gct_balance_left_pct=53.0).samples
    assert skewed[col.GCT_BALANCE].mean() == pytest.approx(53.0, abs=0.3)
    assert skewed[col.GCT_BALANCE].std() > 0.1


def test_treadmill_has_no_position_and_no_climb(runs):
    df = runs["treadmill"].samples
    assert df[col.LAT].isna().all() and df[col.LON].isna().all()
    assert runs["treadmill"].sub_sport == "treadmill"
    assert df[col.ALTITUDE].max() - df[col.ALTITUDE].min() < 4
    assert 2.6 < moving(df)[col.SPEED].median() < 3.3


# ---------------------------------------------------------------------------------------------- sample_runs


def test_sample_runs_are_what_generate_py_writes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("generate_samples", SAMPLE_RUNS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "generate_samples", module)
    spec.loader.exec_module(module)
    written = module.generate(tmp_path)
    names = {p.name for p in written}
    assert names == {
        "easy_road.fit",
        "easy_road.gpx",
        "trail.fit",
        "trail.gpx",
        "hill_repeats.fit",
        "track_intervals.fit",
        "long_run.fit",
        "ankle_mobility.fit",
    }
    for path in written:
        assert path.stat().st_size < 150_000, path.name
        assert path.read_bytes() == (SAMPLE_RUNS / path.name).read_bytes(), (
            f"{path.name} is stale: regenerate"
        )
