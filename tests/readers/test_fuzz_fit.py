"""Hostile and damaged FIT files: every one ends as ok, skipped or rejected with a one-line reason.

Mutations start from small real running files of the corpus and one synthetic file. Most mutations are followed by
a fresh file CRC, so the damage reaches the decoders instead of stopping at the checksum. Run
``python -m tests.readers.test_fuzz_fit`` for the worst time and memory per kind.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stridelink.importer import analyse
from tests.conftest import CORPUS, needs_corpus
from tests.helpers.fuzz import LONG, Outcome, check, report

pytestmark = [pytest.mark.slow, needs_corpus]  # fuzzing

BASES = (
    "python-fitparse/Activity.fit",
    "heartandsole/B47I2852.FIT",
    "heartandsole/testdata.fit",
    "python-fitparse/garmin-fenix-5-run.fit",
    "python-fitparse/compressed-speed-distance.fit",
    "python-fitparse/antfs-dump.63.fit",
    "stride/run_fr10.fit",
    "workoutizer/with_nones.fit",
)
# Systematic damage (every definition, every boundary) on a few small files; the long run takes all of them.
SYSTEMATIC_BASES = (*BASES, "synthetic") if LONG else ("python-fitparse/Activity.fit", "heartandsole/B47I2852.FIT",
                                                       "synthetic")  # fmt: skip
TRUNCATION_BASES = SYSTEMATIC_BASES if LONG else ("python-fitparse/Activity.fit", "heartandsole/B47I2852.FIT")
MUTATIONS_PER_BASE = 300 if LONG else 8
HYPOTHESIS_EXAMPLES = 2000 if LONG else 60
TRACED_CORPUS_BYTES = 10**9 if LONG else 150_000  # larger corpus files are checked without tracemalloc in CI


# --- FIT structure: header, messages, CRC ------------------------------------------------------------------------


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def header_size(data: bytes) -> int:
    return data[0]


def data_end(data: bytes) -> int:
    return data[0] + struct.unpack_from("<I", data, 4)[0]


def messages(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, "definition" | "data") of each message of the first FIT stream, by walking the headers."""
    sizes: dict[int, int] = {}
    out = []
    pos, end = header_size(data), data_end(data)
    while pos < end:
        head = data[pos]
        if head & 0x80:  # compressed timestamp header
            stop = pos + 1 + sizes[(head >> 5) & 0x03]
            out.append((pos, stop, "data"))
        elif head & 0x40:
            count = data[pos + 5]
            fields = data[pos + 6 : pos + 6 + 3 * count]
            size = sum(fields[1::3])
            stop = pos + 6 + 3 * count
            if head & 0x20:  # developer fields follow
                dev_count = data[stop]
                size += sum(data[stop + 1 : stop + 1 + 3 * dev_count][1::3])
                stop += 1 + 3 * dev_count
            sizes[head & 0x0F] = size
            out.append((pos, stop, "definition"))
        else:
            stop = pos + 1 + sizes[head & 0x0F]
            out.append((pos, stop, "data"))
        pos = stop
    assert pos == end, "the walk must end exactly where the header says the data ends"
    return out


def with_crc(data: bytes | bytearray) -> bytes:
    """The file with its CRC recomputed (the last two bytes replaced)."""
    body = bytes(data[:-2])
    return body + struct.pack("<H", crc16(body))


def resized(data: bytes, size: int, *, fix_header_crc: bool = True) -> bytes:
    """The header's data_size set to ``size``; the header CRC recomputed (or left stale)."""
    out = bytearray(data)
    struct.pack_into("<I", out, 4, size & 0xFFFFFFFF)
    if header_size(data) >= 14 and fix_header_crc:
        struct.pack_into("<H", out, 12, crc16(bytes(out[:12])))
    return bytes(out)


def cut(data: bytes, stop: int) -> bytes:
    """A well-formed file holding the messages before ``stop``: data_size and both CRCs made to agree."""
    return with_crc(resized(data[:stop], stop - header_size(data)) + b"\0\0")


@cache
def base(name: str) -> bytes:
    if name == "synthetic":
        from stridelink.demo.simulator import make_run, to_fit

        return to_fit(make_run("easy_road", datetime(2025, 3, 2, 7, 0, tzinfo=UTC), seed=7, duration_s=150))
    return (CORPUS / name).read_bytes()


def _bases() -> list[str]:
    return [*BASES, "synthetic"]


# --- inputs by kind --------------------------------------------------------------------------------------------


def bit_flips(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for name in _bases():
        data = base(name)
        for i in range(MUTATIONS_PER_BASE):
            out = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
            yield f"{name}#flip{i}", with_crc(out) if i % 4 else bytes(out)


def overwrites(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for name in _bases():
        data = base(name)
        for i in range(MUTATIONS_PER_BASE):
            out = bytearray(data)
            at = rng.randrange(header_size(data), len(out))
            run = rng.choice((1, 2, 4, 16, 64, 512))
            fill = rng.choice((b"\x00", b"\xff", b"\x7f", None))
            chunk = bytes(rng.randrange(256) for _ in range(run)) if fill is None else fill * run
            out[at : at + run] = chunk[: len(out) - at]
            yield f"{name}#overwrite{i}", with_crc(out) if i % 4 else bytes(out)


def truncations() -> Iterator[tuple[str, bytes]]:
    """Cut at every message boundary (and one byte either side): raw, and made well-formed again."""
    for name in TRUNCATION_BASES:
        data = base(name)
        for start, _stop, _kind in messages(data):
            for at in (start - 1, start, start + 1):
                if header_size(data) <= at < data_end(data):
                    yield f"{name}#cut{at}", data[:at]
            if start > header_size(data):
                yield f"{name}#clean-cut{start}", cut(data, start)


def damaged_definitions(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Absurd field sizes and counts, unknown base types, odd architectures and message numbers."""
    for name in SYSTEMATIC_BASES:
        data = base(name)
        definitions = [(start, stop) for start, stop, kind in messages(data) if kind == "definition"]
        for start, stop in definitions:
            count = data[start + 5]
            edits: list[tuple[str, int, bytes]] = [
                ("architecture", start + 2, b"\x07"),
                ("global-ffff", start + 3, b"\xff\xff"),
                ("field-count-0", start + 5, b"\x00"),
                ("field-count-255", start + 5, b"\xff"),
            ]
            if count:
                field = start + 6 + 3 * rng.randrange(count)
                edits += [
                    ("size-0", field + 1, b"\x00"),
                    ("size-255", field + 1, b"\xff"),
                    ("size-odd", field + 1, b"\x03"),
                    ("base-type-unknown", field + 2, bytes([rng.choice((0x55, 0x1F, 0xFF, 0x90))])),
                    ("field-number-timestamp", field, b"\xfd"),
                ]
            if data[start] & 0x20:
                edits.append(("dev-field-count-255", start + 6 + 3 * count, b"\xff"))
            for label, at, patch in edits:
                out = bytearray(data)
                out[at : at + len(patch)] = patch
                yield f"{name}@{start}#{label}", with_crc(out)


def undefined_locals(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Data messages pointing at local message numbers no definition set up."""
    for name in SYSTEMATIC_BASES:
        data = base(name)
        found = messages(data)
        defined = {data[start] & 0x0F for start, _stop, kind in found if kind == "definition"}
        unused = sorted(set(range(16)) - defined)
        plain = [start for start, _stop, kind in found if kind == "data" and not data[start] & 0x80]
        for start in rng.sample(plain, min(len(plain), 8)):
            out = bytearray(data)
            out[start] = rng.choice(unused) if unused else 0x0F
            yield f"{name}@{start}#undefined-local", with_crc(out)
        out = bytearray(data)
        out[header_size(data)] = 0x80 | (rng.choice(unused or [3]) & 0x03) << 5  # compressed header first
        yield f"{name}#compressed-first", with_crc(out)


def damaged_headers() -> Iterator[tuple[str, bytes]]:
    for name in SYSTEMATIC_BASES:
        data = base(name)
        size = data_end(data) - header_size(data)
        for label, new_size in (("-plus-1", size + 1), ("-plus-1000", size + 1000), ("-x2", 2 * size),
                                ("-max", 0xFFFFFFFF), ("-zero", 0), ("-minus-1", size - 1)):  # fmt: skip
            yield f"{name}#data-size{label}", resized(data, new_size)
            yield f"{name}#data-size{label}-stale-crc", resized(data, new_size, fix_header_crc=False)
        yield f"{name}#data-size-x2-padded", resized(data, 2 * size) + b"\0" * size
        for label, offset, patch in (("header-size-0", 0, b"\x00"), ("header-size-13", 0, b"\x0d"),
                                     ("header-size-255", 0, b"\xff"), ("magic", 8, b".FOO"),
                                     ("protocol-ff", 1, b"\xff")):  # fmt: skip
            out = bytearray(data)
            out[offset : offset + len(patch)] = patch
            yield f"{name}#{label}", bytes(out)
        yield f"{name}#chained-garbage", data + b"\x0e\x10" + b"\xff" * 40
        yield f"{name}#chained-twice", data + data


def empty_and_short() -> Iterator[tuple[str, bytes]]:
    data = base("python-fitparse/Activity.fit")
    yield "empty", b""
    for n in range(1, 16):
        yield f"prefix{n}", data[:n]
    yield "header-only", cut(data, header_size(data))
    yield "zeros", b"\0" * 4096
    yield "ff", b"\xff" * 4096


def wrong_extensions() -> Iterator[tuple[str, bytes]]:
    """(file name, bytes): GPX and other content named .fit, FIT content named .gpx."""
    for gpx in ("heartandsole/testdata.gpx", "runpandas/garmin_connect.gpx", "togeojson/bad.gpx"):
        yield gpx.replace(".gpx", ".fit"), (CORPUS / gpx).read_bytes()
    yield "tcx.fit", (CORPUS / "heartandsole/testdata.tcx").read_bytes()
    for name in _bases():
        yield f"{name.rsplit('.', 1)[0]}.gpx", base(name)
        yield f"{name.rsplit('.', 1)[0]}.FIT", base(name)


# --- the tests -------------------------------------------------------------------------------------------------


def _check_all(
    kind: str, inputs: Iterable[tuple[str, bytes]], suffix: str | None = ".fit", *, trace_below: int = 10**9
) -> list[Outcome]:
    """Check every input, collecting failures so one run shows them all."""
    outcomes, failures = [], []
    for name, data in inputs:
        file_name = name.replace("/", "_") + (suffix or "")
        try:
            outcomes.append(check(data, file_name, kind, trace=len(data) < trace_below))
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert not failures, f"{len(failures)} inputs failed, e.g.:\n" + "\n".join(failures[:10])
    assert outcomes
    return outcomes


def test_the_walker_finds_every_message() -> None:
    data = base("python-fitparse/Activity.fit")
    found = messages(data)
    assert found[0][0] == header_size(data) and found[-1][1] == data_end(data)
    assert sum(kind == "definition" for *_, kind in found) >= 3


def test_the_unmutated_bases_import() -> None:
    outcomes = _check_all("base", ((name, base(name)) for name in _bases()))
    assert [o.status for o in outcomes] == ["ok"] * len(outcomes)


def test_every_corpus_fit_file() -> None:
    files = sorted(CORPUS.rglob("*.fit")) + sorted(CORPUS.rglob("*.FIT"))
    inputs = ((str(p.relative_to(CORPUS)), p.read_bytes()) for p in files)
    outcomes = _check_all("corpus", inputs, suffix=None, trace_below=TRACED_CORPUS_BYTES)
    assert len(outcomes) >= 70
    assert {o.status for o in outcomes} == {"ok", "skipped", "rejected"}


def test_bit_flips() -> None:
    outcomes = _check_all("bit flips", bit_flips(random.Random(1)))
    assert len({o.status for o in outcomes}) >= 2  # some flips are harmless, most are not


def test_byte_overwrites() -> None:
    _check_all("byte overwrites", overwrites(random.Random(2)))


def test_truncation_at_every_message_boundary() -> None:
    outcomes = _check_all("truncation", truncations())
    raw = [o for o in outcomes if "#cut" in o.name]
    assert all(o.status == "rejected" for o in raw)  # without its CRC a cut file is never taken as whole
    clean = [o for o in outcomes if "clean-cut" in o.name]
    assert any(o.status == "ok" for o in clean)  # a file cut cleanly after some records still holds a run


def test_damaged_definition_messages() -> None:
    _check_all("damaged definitions", damaged_definitions(random.Random(3)))


def test_data_messages_of_undefined_local_types() -> None:
    outcomes = _check_all("undefined local types", undefined_locals(random.Random(4)))
    assert any(o.status == "rejected" for o in outcomes)


def test_damaged_headers() -> None:
    outcomes = _check_all("damaged headers", damaged_headers())
    by_label = {o.name.split("#")[1]: o for o in outcomes if o.name.startswith("python-fitparse_Activity")}
    assert by_label["data-size-max.fit"].status == "rejected"
    assert by_label["magic.fit"].status == "rejected"


def test_empty_and_short_files() -> None:
    outcomes = _check_all("empty and short", empty_and_short())
    assert all(o.status == "rejected" for o in outcomes if o.name != "header-only.fit")
    assert next(o for o in outcomes if o.name == "empty.fit").reason == "the file is empty"


def test_wrong_extensions() -> None:
    outcomes = _check_all("wrong extension", wrong_extensions(), suffix=None)
    for o in outcomes:
        if o.name.endswith((".gpx", ".fit")) and not o.name.endswith(".FIT"):
            assert o.status == "rejected", o
        else:  # the suffix in capitals is still a FIT file
            assert o.status == "ok", o


def test_a_session_without_a_sport_field() -> None:
    """A session definition whose sport field is damaged: rejected or skipped with a reason, never a KeyError."""
    data = bytearray(base("synthetic"))
    for start, stop, kind in messages(bytes(data)):
        if kind == "definition" and struct.unpack_from("<H", data, start + 3)[0] == 18:  # session
            for field in range(start + 6, stop, 3):
                if data[field] == 5:  # sport
                    data[field] = 250
    outcome = check(with_crc(data), "no-sport.fit", "session without sport")
    assert outcome.status in ("ok", "skipped")


@pytest.mark.parametrize("mesg", [18, 19])  # session, lap
def test_times_that_decode_as_arrays(mesg: int) -> None:
    """start_time and timestamp redefined as two uint16 (same size, so the file stays aligned): values are tuples."""
    data = bytearray(base("synthetic"))
    for start, stop, kind in messages(bytes(data)):
        if kind == "definition" and struct.unpack_from("<H", data, start + 3)[0] == mesg:
            for field in range(start + 6, stop, 3):
                if (
                    data[field] in (2, 253, 7) and data[field + 1] == 4
                ):  # start_time, timestamp, total_elapsed_time
                    data[field + 2] = 0x84
    check(with_crc(data), f"array-times-{mesg}.fit", "times as arrays")


def test_a_distance_glitch_costs_no_more_memory_than_the_file() -> None:
    """One record claiming 40,000 km (a footpod or GPS glitch) must not make the analysis allocate for every metre."""
    from stridelink import columns as col
    from stridelink.demo.simulator import make_run, to_fit

    run = make_run("easy_road", datetime(2025, 3, 2, 7, 0, tzinfo=UTC), seed=5, duration_s=600)
    run.samples.loc[300, col.DISTANCE] = 4.0e7
    outcome = check(to_fit(run), "glitch.fit", "distance glitch")
    assert outcome.status == "ok"
    assert outcome.peak_bytes < 32 * 2**20, f"peak {outcome.peak_bytes / 2**20:.0f} MB"


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    assert check(data, "random.fit", "hypothesis bytes").status == "rejected"


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=4096))
def test_arbitrary_messages_behind_a_valid_header(body: bytes) -> None:
    header = bytearray(b"\x0e\x20\x00\x00" + struct.pack("<I", len(body)) + b".FIT\0\0")
    struct.pack_into("<H", header, 12, crc16(bytes(header[:12])))
    check(with_crc(bytes(header) + body + b"\0\0"), "framed.fit", "hypothesis messages")


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("python-fitparse/Activity.fit", [(0.26953125, b"\0" * 6)], True)  # the clock jumps to 2123
@example("python-fitparse/Activity.fit", [(0.23828125, b"\0\0\0\0\0\1")], True)  # a jump as long as the run before it
@given(
    st.sampled_from(BASES + ("synthetic",)),
    st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_hypothesis_mutations(name: str, patches: list[tuple[float, bytes]], fix_crc: bool) -> None:
    out = bytearray(base(name))
    for where, patch in patches:
        at = int(where * len(out))
        out[at : at + len(patch)] = patch
    check(with_crc(out) if fix_crc else bytes(out), name.replace("/", "_"), "hypothesis mutations")


def test_a_record_whose_clock_jumps_a_century_is_cut_back_to_the_session() -> None:
    out = bytearray(base("python-fitparse/Activity.fit"))
    at = int(0.26953125 * len(out))
    out[at : at + 6] = b"\0" * 6  # a damaged record: its timestamp reads 2123
    analysis = analyse(with_crc(out), "Activity.fit")
    assert analysis.status == "ok"
    ((activity, signals),) = analysis.activities
    assert signals is not None and signals.duration_s is not None
    assert signals.duration_s <= activity.device_totals["elapsed_time_s"] * 1.02 + 60


if __name__ == "__main__":  # python -m tests.readers.test_fuzz_fit: the figures for docs/reliability.md
    import os
    import sys

    os.environ.setdefault("STRIDELINK_LOAD_PLUGINS", "")
    pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]])
    print(report())
