"""The fast FIT decoder gives what the reference decoder (fitparse) gives, or declines."""

from __future__ import annotations

import math
import os
import random
import struct
from typing import Any

import fitparse
import numpy as np
import pytest
from fitparse.profile import MESSAGE_TYPES
from garmin_fit_sdk import Encoder, Profile
from garmin_fit_sdk.crc_calculator import CrcCalculator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stridelink.errors import UnreadableFileError
from stridelink.readers import fitfast
from stridelink.readers.fitfast import crc16, decode
from stridelink.readers.fitmessages import FastPathDeclined, FitMessages
from stridelink.readers.fitprofile import MESG_RECORD, enum_values, message_fields
from stridelink.readers.fitref import decode_fitparse
from tests.conftest import CORPUS, needs_corpus


# fitparse is slow (about 2.5 s per MB): by default compare the files up to this size plus the reference run;
# STRIDELINK_FULL_FIT_CORPUS=1 compares every file.
_DIFF_MAX_BYTES = 160_000
_ALWAYS = {"stride/run.fit"}


def _corpus_fit_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    full = os.environ.get("STRIDELINK_FULL_FIT_CORPUS") == "1"
    return sorted(
        str(path.relative_to(CORPUS))
        for path in CORPUS.rglob("*")
        if path.suffix.lower() == ".fit"
        and (full or path.stat().st_size <= _DIFF_MAX_BYTES or str(path.relative_to(CORPUS)) in _ALWAYS)
    )


def _reference(data: bytes) -> FitMessages:
    # fitparse keeps developer field descriptions in a module-level dict across files; start each file clean
    fitparse.records.DEV_TYPES.clear()
    return decode_fitparse(data)


# ---------------------------------------------------------------------------------------------------------
# Building small FIT files by hand


def _fit(*messages: bytes) -> bytes:
    body = b"".join(messages)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", CrcCalculator.calculate_crc(header, 0, 12))
    data = header + body
    return data + struct.pack("<H", CrcCalculator.calculate_crc(data, 0, len(data)))


def _definition(
    local: int,
    mesg: int,
    fields: list[tuple[int, int, int]],
    dev_fields: list[tuple[int, int, int]] | None = None,
    big: bool = False,
) -> bytes:
    header = 0x40 | local | (0x20 if dev_fields else 0)
    out = (
        bytes([header, 0, 1 if big else 0]) + struct.pack(">H" if big else "<H", mesg) + bytes([len(fields)])
    )
    out += b"".join(bytes(f) for f in fields)
    if dev_fields:
        out += bytes([len(dev_fields)]) + b"".join(bytes(f) for f in dev_fields)
    return out


def _data(local: int, fmt: str, *values: Any, big: bool = False) -> bytes:
    return bytes([local]) + struct.pack((">" if big else "<") + fmt, *values)


UINT8, UINT16, UINT32, STRING = 0x02, 0x84, 0x86, 0x07
RECORD = MESG_RECORD


def _records_equal(left: dict[str, np.ndarray], right: dict[str, np.ndarray]) -> None:
    assert sorted(left) == sorted(right)
    for name, values in left.items():
        np.testing.assert_array_equal(values, right[name], err_msg=name)


# ---------------------------------------------------------------------------------------------------------
# Values a user sees


def test_valid_enhanced_values_survive_invalid_legacy_fields() -> None:
    """A watch writing enhanced speed/altitude and invalid legacy fields keeps its speed and altitude."""
    data = _fit(
        _definition(
            0, RECORD, [(253, 4, UINT32), (73, 4, UINT32), (6, 2, UINT16), (78, 4, UINT32), (2, 2, UINT16)]
        ),
        _data(0, "IIHIH", 1000, 3500, 0xFFFF, (100 + 500) * 5, 0xFFFF),
        _data(0, "IIHIH", 1001, 3600, 0xFFFF, (101 + 500) * 5, 0xFFFF),
    )
    out = decode(data)
    np.testing.assert_array_equal(out.records["enhanced_speed"], [3.5, 3.6])
    np.testing.assert_array_equal(out.records["enhanced_altitude"], [100.0, 101.0])
    assert "speed" not in out.records and "altitude" not in out.records
    _records_equal(out.records, _reference(data).records)


def test_legacy_speed_and_altitude_expand_into_enhanced_columns() -> None:
    data = _fit(
        _definition(0, RECORD, [(253, 4, UINT32), (6, 2, UINT16), (2, 2, UINT16)]),
        _data(0, "IHH", 1000, 2500, (50 + 500) * 5),
        _data(0, "IHH", 1001, 0xFFFF, 0xFFFF),
    )
    out = decode(data)
    np.testing.assert_array_equal(out.records["enhanced_speed"], [2.5, np.nan])
    np.testing.assert_array_equal(out.records["speed"], [2.5, np.nan])
    np.testing.assert_array_equal(out.records["enhanced_altitude"], [50.0, np.nan])
    _records_equal(out.records, _reference(data).records)


def test_compressed_timestamps_roll_over_from_the_last_full_timestamp() -> None:
    data = _fit(
        _definition(0, RECORD, [(253, 4, UINT32), (3, 1, UINT8)]),
        _definition(1, RECORD, [(3, 1, UINT8)]),
        _data(0, "IB", 1000, 120),  # 1000 & 31 == 8
        bytes([0x80 | (1 << 5) | 10, 121]),  # -> 1002
        bytes([0x80 | (1 << 5) | 30, 122]),  # -> 1022
        bytes([0x80 | (1 << 5) | 3, 123]),  # 3 < 30: rolls over -> 1027
    )
    out = decode(data)
    np.testing.assert_array_equal(out.records["timestamp"], [1000, 1002, 1022, 1027])
    np.testing.assert_array_equal(out.records["heart_rate"], [120, 121, 122, 123])
    _records_equal(out.records, _reference(data).records)


def test_accumulated_cycles_unwrap_and_restart_with_a_new_definition() -> None:
    cycles = [(253, 4, UINT32), (18, 1, UINT8)]  # record.cycles expands into accumulated total_cycles
    data = _fit(
        _definition(0, RECORD, cycles),
        _data(0, "IB", 1000, 250),
        _data(0, "IB", 1001, 0xFF),  # invalid: skipped, the count carries on
        _data(0, "IB", 1002, 4),  # 8-bit counter wrapped: 256 + 4
        _data(0, "IB", 1003, 10),
        _definition(0, RECORD, cycles),  # a new definition starts again from 0
        _data(0, "IB", 1004, 3),
    )
    out = decode(data)
    np.testing.assert_array_equal(out.records["total_cycles"], [250, np.nan, 260, 266, 3])
    _records_equal(out.records, _reference(data).records)


def _developer_messages(scale: int) -> list[bytes]:
    name = b"Power\x00\x00\x00"
    stiffness = b"LSS\x00\x00\x00\x00\x00"
    description = [(0, 1, UINT8), (1, 1, UINT8), (2, 1, UINT8), (3, 8, STRING), (8, 8, STRING), (6, 1, UINT8)]
    return [
        _definition(0, 207, [(3, 1, UINT8)]),
        _data(0, "B", 0),
        _definition(1, 206, description),
        _data(1, "BBB8s8sB", 0, 0, UINT16, name, b"W\x00" + b"\x00" * 6, 0xFF),
        _data(1, "BBB8s8sB", 0, 1, UINT16, stiffness, b"kN/m" + b"\x00" * 4, scale),
        _definition(2, RECORD, [(253, 4, UINT32)], dev_fields=[(0, 2, 0), (1, 2, 0)]),
        _data(2, "IHH", 1000, 250, 105),
        _data(2, "IHH", 1001, 0xFFFF, 0xFFFF),
    ]


def test_developer_fields_are_named_from_their_description_and_scaled() -> None:
    out = decode(_fit(*_developer_messages(scale=10)))
    np.testing.assert_array_equal(out.records["dev:Power"], [250.0, np.nan])
    np.testing.assert_array_equal(out.records["dev:LSS"], [10.5, np.nan])
    assert out.dev_units == {"dev:Power": "W", "dev:LSS": "kN/m"}


def test_unscaled_developer_fields_equal_the_reference() -> None:
    data = _fit(*_developer_messages(scale=0xFF))
    _records_equal(decode(data).records, _reference(data).records)


def test_big_endian_records_decode_like_little_endian_ones() -> None:
    fields = [(253, 4, UINT32), (3, 1, UINT8), (7, 2, UINT16)]
    little = decode(_fit(_definition(0, RECORD, fields), _data(0, "IBH", 1000, 150, 300)))
    big = decode(_fit(_definition(0, RECORD, fields, big=True), _data(0, "IBH", 1000, 150, 300, big=True)))
    _records_equal(little.records, big.records)
    assert big.records["power"][0] == 300


# ---------------------------------------------------------------------------------------------------------
# Repeated and interleaved definitions (some watches send a definition before almost every message)


class _RedefiningEncoder(Encoder):
    """The SDK encoder made to forget its definitions: each message (unless ``keep``) gets a new definition,
    on local message numbers rotating through 0-2, as some watches write them."""

    def __init__(self) -> None:
        super().__init__()
        self._count = 0

    def write(self, mesg: dict[str, Any], *, keep: bool = False) -> None:
        if not keep:
            self._local_mesg_definitions = [None] * 16
            self._next_local_mesg_num = self._count % 3
        self._count += 1
        self.write_mesg(mesg)


def _redefining_run(records: int) -> bytes:
    """A run with a new record definition before almost every record, in four layouts that alternate."""
    mesgs = Profile["mesg_num"]
    enc = _RedefiningEncoder()
    start = 1_000_000_000
    enc.write(
        {
            "mesg_num": mesgs["FILE_ID"],
            "type": "activity",
            "manufacturer": "suunto",
            "product": 34,
            "serial_number": 1234,
            "time_created": start,
        }
    )
    for i in range(records):
        record: dict[str, Any] = {
            "mesg_num": mesgs["RECORD"],
            "timestamp": start + i,
            "distance": i * 2.9,
            "enhanced_speed": 2.9 + 0.1 * math.sin(i / 50),
            "heart_rate": 140 + i % 20,
            "cadence": 85 + i % 3,
        }
        if i % 7 in (0, 3):
            record["position_lat"] = 536870912 + i * 100
            record["position_long"] = 83521660 + i * 50
        if i % 7 in (1, 4, 5):
            record["enhanced_altitude"] = 300.0 + 10 * math.sin(i / 300)
            record["cycles"] = (i * 3) % 256  # accumulates into total_cycles, restarting at each definition
        if i % 7 == 6:
            record["stance_time"] = 250.0 + i % 30
        enc.write(record, keep=i % 5 == 4)
        if i % 600 == 599:
            enc.write(
                {
                    "mesg_num": mesgs["LAP"],
                    "timestamp": start + i,
                    "start_time": start + i - 599,
                    "total_elapsed_time": 599.0,
                    "total_distance": 1737.1,
                    "sport": "running",
                }
            )
        if i % 1000 == 500:
            enc.write(
                {
                    "mesg_num": mesgs["EVENT"],
                    "timestamp": start + i,
                    "event": "timer",
                    "event_type": "stop_all",
                }
            )
    end = start + records - 1
    enc.write(
        {
            "mesg_num": mesgs["SESSION"],
            "timestamp": end,
            "start_time": start,
            "total_elapsed_time": float(records),
            "total_timer_time": float(records),
            "total_distance": records * 2.9,
            "sport": "running",
            "sub_sport": "generic",
        }
    )
    return bytes(enc.close())


def _same_as_reference(data: bytes) -> FitMessages:
    fast, ref = decode(data), _reference(data)
    _records_equal(fast.records, ref.records)
    assert (fast.sessions, fast.laps) == (ref.sessions, ref.laps)
    return fast


@pytest.mark.parametrize("records", [1, 2, 9, pytest.param(2500, marks=pytest.mark.slow)])
def test_a_definition_before_almost_every_record_decodes_like_the_reference(records: int) -> None:
    fast = _same_as_reference(_redefining_run(records))
    assert fast.n_records == records
    if records > 7:
        assert {"position_lat", "enhanced_altitude", "total_cycles", "stance_time"} <= set(fast.records)


def test_the_same_layout_on_interleaved_local_types_keeps_record_order() -> None:
    fields = [(253, 4, UINT32), (3, 1, UINT8)]
    data = _fit(
        _definition(0, RECORD, fields),
        _definition(1, RECORD, fields),
        _data(1, "IB", 1000, 120),
        _data(0, "IB", 1001, 121),
        _definition(2, RECORD, [(253, 4, UINT32), (7, 2, UINT16)]),
        _data(2, "IH", 1002, 300),
        _data(1, "IB", 1003, 123),
        _definition(1, RECORD, fields),
        _data(0, "IB", 1004, 124),
        _data(1, "IB", 1005, 125),
    )
    out = _same_as_reference(data)
    np.testing.assert_array_equal(out.records["timestamp"], [1000, 1001, 1002, 1003, 1004, 1005])
    np.testing.assert_array_equal(out.records["heart_rate"], [120, 121, np.nan, 123, 124, 125])


# Long runs of one group of messages (a record, or a record and an HRV message, again and again) are taken
# at once; whatever breaks a run (another message, a definition, a change of layout) must end it exactly.

EVENT = 21
HRV = 78
_RUN_FIELDS = [(253, 4, UINT32), (3, 1, UINT8), (7, 2, UINT16)]


def _record(local: int, i: int) -> bytes:
    return _data(local, "IBH", 1000 + i, 120 + i % 50, 200 + i)


def _broken_runs(records: int, breaks: dict[int, bytes]) -> bytes:
    """Records on local type 0, with ``breaks[i]`` (other messages, definitions) written before record i."""
    messages = [_definition(0, RECORD, _RUN_FIELDS), _definition(1, EVENT, [(253, 4, UINT32), (0, 1, UINT8)])]
    for i in range(records):
        messages.append(breaks.get(i, b""))
        messages.append(_record(0, i))
    return _fit(*messages)


@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({}, id="one-run"),
        pytest.param({k: _data(1, "IB", k, 0) for k in (1, 33, 34, 200, 201, 202, 555, 999)}, id="events"),
        pytest.param({k: _data(1, "IB", 1000 + k, 0) for k in range(0, 1000, 3)}, id="every-third"),
    ],
)
def test_long_runs_of_one_record_layout_broken_by_other_messages(breaks: dict[int, bytes]) -> None:
    out = _same_as_reference(_broken_runs(1000, breaks))
    np.testing.assert_array_equal(out.records["timestamp"], 1000 + np.arange(1000))
    np.testing.assert_array_equal(out.records["power"], 200 + np.arange(1000))


def test_a_run_crossing_a_redefinition_of_its_local_type_changes_layout_there() -> None:
    """The header byte stays the same across the new definition; the row size does not."""
    wider = [(253, 4, UINT32), (3, 1, UINT8), (7, 2, UINT16), (2, 2, UINT16)]
    messages = [_definition(0, RECORD, _RUN_FIELDS)]
    messages += [_record(0, i) for i in range(300)]
    messages += [_definition(0, RECORD, wider)]
    messages += [_data(0, "IBHH", 1300 + i, 130, 500 + i, (100 + 500) * 5) for i in range(300)]
    messages += [_definition(0, RECORD, _RUN_FIELDS)]  # the first layout again, byte for byte
    messages += [_record(0, 600 + i) for i in range(300)]
    out = _same_as_reference(_fit(*messages))
    np.testing.assert_array_equal(out.records["timestamp"], 1000 + np.arange(900))
    altitude = out.records["enhanced_altitude"]
    assert np.isnan(altitude[:300]).all() and np.isnan(altitude[600:]).all()
    assert (altitude[300:600] == 100).all()


def test_alternating_groups_with_compressed_timestamps_repeat_exactly() -> None:
    """A full-timestamp record, a compressed-timestamp record, an HRV message and another compressed
    record, again and again; compressed headers differ in their time bits only; one group breaks the
    pattern."""
    messages = [
        _definition(0, RECORD, _RUN_FIELDS),
        _definition(1, RECORD, [(3, 1, UINT8), (7, 2, UINT16)]),
        _definition(2, HRV, [(0, 2, UINT16)]),
        _definition(3, RECORD, [(3, 1, UINT8)]),
    ]
    stamps = []
    for group in range(400):
        t = 1000 + 4 * group
        messages.append(_data(0, "IBH", t, 120, group))
        messages.append(bytes([0x80 | (1 << 5) | ((t + 1) & 31)]) + struct.pack("<BH", 131, group))
        messages.append(_data(2, "H", 800))
        stamps += [t, t + 1]
        if group != 77:
            messages.append(bytes([0x80 | (3 << 5) | ((t + 2) & 31), 132]))
            stamps.append(t + 2)
    out = _same_as_reference(_fit(*messages))
    np.testing.assert_array_equal(out.records["timestamp"], stamps)
    assert out.n_records == 1199


def test_runs_of_compressed_timestamps_roll_over_like_the_reference() -> None:
    messages = [
        _definition(0, RECORD, [(253, 4, UINT32), (3, 1, UINT8)]),
        _definition(1, RECORD, [(3, 1, UINT8)]),
        _data(0, "IB", 1000, 120),
    ]
    messages += [bytes([0x80 | (1 << 5) | ((1000 + i) & 31), 121]) for i in range(1, 400)]
    out = _same_as_reference(_fit(*messages))
    np.testing.assert_array_equal(out.records["timestamp"], 1000 + np.arange(400))


def test_a_group_using_one_layout_on_two_local_types_keeps_record_order() -> None:
    messages = [_definition(0, RECORD, _RUN_FIELDS), _definition(1, RECORD, _RUN_FIELDS)]
    messages += [_record(i % 2, i) for i in range(200)]
    out = _same_as_reference(_fit(*messages))
    np.testing.assert_array_equal(out.records["timestamp"], 1000 + np.arange(200))


def test_a_run_whose_last_record_runs_past_the_data_is_declined() -> None:
    messages = [_definition(0, RECORD, _RUN_FIELDS)] + [_record(0, i) for i in range(100)]
    with pytest.raises(FastPathDeclined):
        decode(_fit(*messages, b"\x00\x01\x02"))


def _redescribed(name: bytes, scale: int, first_scale: int = 0xFF) -> bytes:
    """Developer field 1 described again, before a definition repeating the previous one byte for byte."""
    messages = _developer_messages(scale=first_scale)
    changed = _data(1, "BBB8s8sB", 0, 1, UINT16, name.ljust(8, b"\x00"), b"kN/m".ljust(8, b"\x00"), scale)
    return _fit(*messages, changed, messages[5], _data(2, "IHH", 1002, 250, 105))


def test_a_repeated_developer_definition_follows_a_changed_field_description() -> None:
    """Byte-identical definitions with developer fields mean what the description before them says."""
    out = decode(_redescribed(b"Stiff", scale=0xFF))
    np.testing.assert_array_equal(out.records["dev:LSS"], [105, np.nan, np.nan])
    np.testing.assert_array_equal(out.records["dev:Stiff"], [np.nan, np.nan, 105])
    _same_as_reference(_redescribed(b"Stiff", scale=0xFF))
    np.testing.assert_array_equal(
        decode(_redescribed(b"LSS", scale=100, first_scale=10)).records["dev:LSS"], [10.5, np.nan, 1.05]
    )


@needs_corpus
def test_chained_streams_are_merged() -> None:
    data = (CORPUS / "stride" / "run_fr10.fit").read_bytes()
    one, two = decode(data), decode(data + data)
    assert two.n_records == 2 * one.n_records
    for name, values in one.records.items():
        np.testing.assert_array_equal(two.records[name], np.concatenate([values, values]))
    assert two.sessions == one.sessions * 2 and two.laps == one.laps * 2
    assert (two.file_type, two.product) == (one.file_type, one.product)


@needs_corpus
def test_old_watches_counting_from_power_on_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The activity message anchors device-relative times; the fast decoder reads it too."""
    from stridelink.readers import fitref
    from stridelink.readers.fit import read_fit

    monkeypatch.setattr(fitref, "decode_fitparse", lambda data: pytest.fail("fell back to the reference"))
    (activity,) = read_fit((CORPUS / "python-fitparse" / "antfs-dump.63.fit").read_bytes())
    assert activity.start_utc.year == 2012


@needs_corpus
def test_reference_run_summary() -> None:
    out = decode((CORPUS / "stride" / "run.fit").read_bytes())
    assert (out.file_type, out.manufacturer, out.product) == ("activity", "garmin", "fr965")
    assert out.n_records == 3095
    assert out.sessions[0]["sport"] == "running"
    assert {"stance_time", "vertical_oscillation", "step_length", "enhanced_speed"} <= set(out.records)


# ---------------------------------------------------------------------------------------------------------
# Damage: declined, so the reference decides


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT", id="header-only"),
        pytest.param(_fit(_data(3, "B", 1)), id="undefined-local-type"),
        pytest.param(
            _fit(_definition(0, RECORD, [(253, 3, UINT32)]), _data(0, "3s", b"abc")), id="size-not-multiple"
        ),
        pytest.param(
            _fit(_definition(0, RECORD, [(253, 4, UINT32)], dev_fields=[(0, 2, 0)])), id="undescribed-dev"
        ),
        pytest.param(_fit(_definition(0, RECORD, [(253, 4, UINT32)]), _data(0, "I", 5))[:-5], id="truncated"),
        pytest.param(_fit(_definition(0, RECORD, [(253, 4, UINT32)]), b"\x00\x01"), id="message-past-data"),
        pytest.param(_fit(_definition(0, RECORD, [(253, 4, UINT32)])) + b"junk", id="trailing-junk"),
    ],
)
def test_damaged_files_are_declined(data: bytes) -> None:
    with pytest.raises(FastPathDeclined):
        decode(data)


def test_data_size_beyond_the_file_is_declined_without_allocating_it() -> None:
    data = bytearray(_fit(_definition(0, RECORD, [(253, 4, UINT32)])))
    data[4:8] = struct.pack("<I", 0xFFFFFFF0)
    with pytest.raises(FastPathDeclined):
        decode(bytes(data))


def test_a_flipped_bit_fails_the_checksum() -> None:
    data = bytearray(_fit(_definition(0, RECORD, [(253, 4, UINT32)]), _data(0, "I", 1000)))
    data[-3] ^= 0x10
    with pytest.raises(FastPathDeclined, match="CRC"):
        decode(bytes(data))


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 771, 16383, 16384, 32767, 32768, 32769, 70_001, 262_147])
def test_crc_matches_the_sdk_for_every_size(size: int) -> None:
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert crc16(data) == CrcCalculator.calculate_crc(data, 0, size)


# ---------------------------------------------------------------------------------------------------------
# Random damage never raises anything but a decline


_FUZZ_FILES = [
    "python-fitparse/Activity.fit",  # big-endian
    "python-fitparse/antfs-dump.63.fit",  # compressed timestamps
    "python-fitparse/compressed-speed-distance.fit",  # accumulated distance
    "tormoder-fit/unterminated-strings.fit",  # developer fields
    "python-fitparse/garmin-fenix-5-run.fit",
    "muktihari-fit/chained_Activity_activity_poolswim.fit",  # chained streams
]


def _refresh_crcs(data: bytearray) -> None:
    """Re-seal a mutated stream so the decoder has to parse it instead of stopping at the checksum."""
    if len(data) < 14 or data[0] != 14:
        return
    data[12:14] = struct.pack("<H", CrcCalculator.calculate_crc(data, 0, 12))
    end = 14 + struct.unpack_from("<I", data, 4)[0]
    if end + 2 <= len(data):
        data[end : end + 2] = struct.pack("<H", CrcCalculator.calculate_crc(data, 0, end))


@pytest.mark.slow  # fuzzing
@needs_corpus
@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(_FUZZ_FILES),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=6),
    cut=st.one_of(st.none(), st.floats(0, 1)),
    reseal=st.booleans(),
)
def test_mutated_files_decode_or_are_declined(
    name: str, flips: list[tuple[float, int]], cut: float | None, reseal: bool
) -> None:
    data = bytearray((CORPUS / name).read_bytes())
    for where, bit in flips:
        data[int(where * len(data))] ^= 1 << bit
    if cut is not None:
        data = data[: int(cut * len(data))]
    if reseal:
        _refresh_crcs(data)
    try:
        out = decode(bytes(data))
    except FastPathDeclined as exc:
        assert not str(exc).startswith("unexpected"), exc  # declined by a check, not by the safety net
        return
    lengths = {len(values) for values in out.records.values()}
    assert len(lengths) <= 1


# ---------------------------------------------------------------------------------------------------------
# Differential: every corpus file the reference reads decodes to the same values


_RECORD_ENUMS = {spec.name for spec in message_fields(RECORD).values() if enum_values(spec.type) is not None}
_FITPARSE_RECORD_NAMES = {f.name for f in MESSAGE_TYPES[RECORD].fields.values()}


def _is_number_text(value: str | None) -> bool:
    return value is not None and value.isdigit()


def _same_text(ref: str | None, fast: str | None) -> bool:
    """Equal, or the reference only had a number where the newer profile has a name."""
    return ref == fast or (_is_number_text(ref) and fast is not None and not _is_number_text(fast))


def _same_value(ref: Any, fast: Any) -> bool:
    if isinstance(ref, float) and isinstance(fast, float):
        return bool(np.isclose(ref, fast, rtol=1e-12, atol=0))
    if isinstance(ref, int) and not isinstance(ref, bool) and isinstance(fast, str):
        return True  # a value the newer profile names and the older one does not
    return bool(ref == fast)


@pytest.mark.slow  # every corpus file through the reference decoder
@needs_corpus
@pytest.mark.parametrize("name", _corpus_fit_files())
def test_corpus_file_equals_the_reference(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    try:
        ref = _reference(data)
    except UnreadableFileError:
        with pytest.raises(FastPathDeclined):  # never accept what the reference rejects
            decode(data)
        return
    fast = decode(data)

    assert fast.file_type == ref.file_type and fast.time_created == ref.time_created
    assert _same_text(ref.manufacturer, fast.manufacturer)
    assert _same_text(ref.product, fast.product)
    assert fast.dev_units == ref.dev_units
    assert fast.activity == ref.activity  # anchors device-relative times of old watches

    assert fast.n_records == ref.n_records
    for column, expected in ref.records.items():
        if column.startswith("unknown_"):
            continue  # fitparse's profile lacks the field; the newer profile names it
        got = fast.records[column]
        if column in _RECORD_ENUMS:  # fitparse gives names (NaN here) where it knows the value
            known = ~np.isnan(expected)
            np.testing.assert_array_equal(got[known], expected[known], err_msg=column)
            continue
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=column)
    extra = set(fast.records) - set(ref.records)
    assert not {c for c in extra if c in _FITPARSE_RECORD_NAMES and c not in _RECORD_ENUMS}

    for kind in ("sessions", "laps", "sports"):
        ref_rows, fast_rows = getattr(ref, kind), getattr(fast, kind)
        assert len(fast_rows) == len(ref_rows)
        for ref_row, fast_row in zip(ref_rows, fast_rows):
            common = set(ref_row) & set(fast_row)
            assert common, kind
            bad = {k: (ref_row[k], fast_row[k]) for k in common if not _same_value(ref_row[k], fast_row[k])}
            assert not bad, f"{kind}: {bad}"


@pytest.mark.parametrize("size", [2**14 - 1, 2**14, 2**14 + 1, 3 * 2**14 + 777, 200_001])
def test_crc_of_large_data_is_taken_a_block_at_a_time(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file's CRC is chained over blocks (no copies of the whole file) and equals the byte loop's."""
    monkeypatch.setattr(fitfast, "_CRC_BLOCK_POWER", 14)
    data = random.Random(size).randbytes(size)
    assert fitfast.crc16(data) == fitfast._crc_py(data)
    assert fitfast.crc16(memoryview(data)[5:]) == fitfast._crc_py(data[5:])
