"""FIT normalisation: clock jumps cut at the gap, one source per running-dynamics column."""

from __future__ import annotations

import numpy as np
import pytest

from stridelink import columns as col
from stridelink.readers.fit import activities_from_messages, decode
from stridelink.readers.fitmessages import FitMessages
from stridelink.signals.compute import compute_signals
from tests.conftest import CORPUS, needs_corpus

T0 = 1_000_000_000.0  # seconds since the FIT epoch (2021)


def messages(ts: np.ndarray, *, elapsed_s: float | None, **fields: np.ndarray) -> FitMessages:
    n = len(ts)
    records = {"timestamp": ts, "distance": 3.0 * np.arange(n), "speed": np.full(n, 3.0)}
    records.update(fields)
    session = {"sport": "running", "sub_sport": "generic", "start_time": ts[0], "timestamp": ts[-1]}
    if elapsed_s is not None:
        session["total_elapsed_time"] = elapsed_s
        session["total_timer_time"] = elapsed_s
    return FitMessages(file_type="activity", manufacturer="garmin", records=records, sessions=[session])


def span_s(msgs: FitMessages) -> float:
    (activity,) = activities_from_messages(msgs)
    times = activity.samples[col.TIMESTAMP]
    return (times.iloc[-1] - times.iloc[0]).total_seconds()


def test_a_forward_clock_jump_is_cut_at_the_gap() -> None:
    ts = T0 + np.arange(3400.0)
    ts[1700:] += 1_750_000.0  # the clock jumped 20 days forward half way through a 3,399 s run
    assert span_s(messages(ts, elapsed_s=3400.0)) == pytest.approx(3400.0, abs=2.0)
    (activity,) = activities_from_messages(messages(ts, elapsed_s=3400.0))
    signals = compute_signals(activity)
    assert signals.duration_s == pytest.approx(3400.0, abs=2.0)
    assert signals.distance_m == pytest.approx(3.0 * 3399)


def test_a_genuine_pause_within_the_elapsed_time_stays() -> None:
    ts = T0 + np.concatenate((np.arange(1000.0), 1600.0 + np.arange(1000.0)))  # a 10-minute pause
    assert span_s(messages(ts, elapsed_s=2600.0)) == 2599.0


def test_a_jump_is_cut_only_by_what_the_session_does_not_account_for() -> None:
    # a 10-minute pause and, in the same silence, a 2-day clock jump: the pause stays
    ts = T0 + np.concatenate((np.arange(1000.0), 172_800.0 + 1600.0 + np.arange(1000.0)))
    assert span_s(messages(ts, elapsed_s=2600.0)) == pytest.approx(2600.0, abs=1.0)


def test_without_a_session_a_silence_of_more_than_a_day_is_a_clock_jump() -> None:
    ts = T0 + np.concatenate((np.arange(600.0), 5e7 + np.arange(600.0)))
    msgs = messages(ts, elapsed_s=None)
    msgs.sessions = []
    msgs.sports = [{"sport": "running"}]
    assert span_s(msgs) == pytest.approx(1199.0, abs=1.0)


def test_the_watch_running_dynamics_win_and_a_developer_field_only_fills_a_metric_the_watch_lacks() -> None:
    n = 600
    ts = T0 + np.arange(float(n))
    stance = np.full(n, 300.0)
    stance[::3] = np.nan  # the watch's own stance time, missing on a third of the records
    msgs = messages(
        ts,
        elapsed_s=float(n),
        stance_time=stance,
        **{"dev:Ground Time": np.full(n, 480.0), "dev:Vertical Oscillation": np.full(n, 8.0)},
    )
    msgs.dev_units = {"dev:Ground Time": "ms", "dev:Vertical Oscillation": "cm"}
    (activity,) = activities_from_messages(msgs)
    gct = activity.samples[col.GCT].to_numpy()
    assert np.isnan(gct[::3]).all() and (gct[1::3] == 300.0).all()  # never the pod's value in the watch's gaps
    assert (activity.samples[col.VERTICAL_OSCILLATION] == 80.0).all()  # the watch has none: the pod's, in mm
    signals = compute_signals(activity)
    assert signals.gct_ms == 300.0 and signals.vertical_oscillation_mm == 80.0


def test_a_clock_set_right_during_the_run_keeps_the_later_times() -> None:
    ts = T0 + np.arange(3400.0)
    ts[:600] -= 1_750_000.0  # the first ten minutes were recorded on a clock 20 days behind
    msgs = messages(ts, elapsed_s=3400.0)
    msgs.sessions[0]["start_time"] = T0  # the session's start is on the corrected clock
    (activity,) = activities_from_messages(msgs)
    times = activity.samples[col.TIMESTAMP]
    assert (times.iloc[-1] - times.iloc[0]).total_seconds() == pytest.approx(3400.0, abs=2.0)
    assert abs((times.iloc[-1] - activity.start_utc).total_seconds() - 3400.0) <= 2.0


@needs_corpus
def test_a_real_run_whose_clock_jumps_keeps_its_length_and_its_figures() -> None:
    data = (CORPUS / "stride/run.fit").read_bytes()
    (clean,) = activities_from_messages(decode(data))
    msgs = decode(data)
    msgs.records["timestamp"][1500:] += 1_750_000.0  # 20 days forward, half way
    (jumped,) = activities_from_messages(msgs)
    expected, got = compute_signals(clean), compute_signals(jumped)
    assert got.duration_s == pytest.approx(expected.duration_s, abs=2.0)
    assert got.moving_time_s == pytest.approx(expected.moving_time_s, abs=2.0)
    assert got.distance_m == expected.distance_m and got.cadence_spm == expected.cadence_spm
