"""Hostile and damaged GPX files: every one ends as ok, skipped or rejected with a one-line reason.

Mutations of corpus GPX files, generated documents, and the classic XML attacks (entity expansion, external
entities and DTDs, deep nesting, huge attributes, a 50 MB track). Run ``python -m tests.readers.test_fuzz_gpx`` for the
worst time and memory per kind.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS, needs_corpus
from tests.helpers.fuzz import LONG, Outcome, check, report

pytestmark = [pytest.mark.slow, needs_corpus]  # fuzzing

BASES = (
    "runpandas/garmin_connect.gpx",
    "heartandsole/testdata.gpx",
    "togeojson/run_gpxtpx.gpx",
    "togeojson/Friday-Evening-Run.gpx",
    "gpxpy/track-with-less-sec-time.gpx",
    "gpxpy/unicode_with_bom.gpx",
)
MUTATIONS_PER_BASE = 300 if LONG else 25
HYPOTHESIS_EXAMPLES = 2000 if LONG else 100
BIG_TRACK_BYTES = 50 * 2**20
GPX_OPEN = '<gpx version="1.1" creator="fuzz" xmlns="http://www.topografix.com/GPX/1/1">'
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


@cache
def base(name: str) -> bytes:
    if name == "synthetic":
        from stridelink.demo.simulator import make_run, to_gpx

        return to_gpx(make_run("trail", datetime(2025, 3, 2, 7, 0, tzinfo=UTC), seed=3, duration_s=150))
    return (CORPUS / name).read_bytes()


def _bases() -> list[str]:
    return [*BASES, "synthetic"]


def track(points: int, *, start: datetime = datetime(2025, 5, 4, 6, 0, tzinfo=UTC)) -> Iterator[bytes]:
    """A plausible running track, chunk by chunk: 1 s apart, about 3 m/s, with heart rate and cadence."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n{GPX_OPEN[:-1]} xmlns:gpxtpx="{TPX}"><trk><type>running</type><trkseg>\n'.encode()
    chunk = []
    for i in range(points):
        when = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        chunk.append(
            f'<trkpt lat="{46.0 + i * 2.7e-5:.7f}" lon="{14.5 + (i % 600) * 1e-6:.7f}"><ele>{300 + (i % 200) * 0.1:.1f}</ele>'
            f"<time>{when}</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{140 + i % 20}</gpxtpx:hr>"
            f"<gpxtpx:cad>{85 + i % 3}</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        )
        if len(chunk) == 1000:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "</trkseg></trk></gpx>\n").encode()


# --- inputs by kind --------------------------------------------------------------------------------------------


def byte_mutations(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for name in _bases():
        data = base(name)
        for i in range(MUTATIONS_PER_BASE):
            out = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(out))
                choice = rng.randrange(4)
                if choice == 0:
                    out[at] ^= 1 << rng.randrange(8)
                elif choice == 1:
                    out[at : at + 1] = bytes([rng.choice(b"<>&\"'/=;:#\x00\xff\x80")])
                elif choice == 2:
                    del out[at : at + rng.randint(1, 40)]
                else:
                    start = rng.randrange(len(out))
                    out[at:at] = out[start : start + rng.randint(1, 200)]  # a duplicated stretch
            yield f"{name}#mutation{i}", bytes(out)


def text_mutations(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Edits that keep the XML well-formed: values replaced by absurd ones, points reordered or repeated."""
    absurd = (
        "nan",
        "inf",
        "-inf",
        "1e308",
        "-1e308",
        "",
        " ",
        "0x1F",
        "999999999999999999999",
        "-0",
        "1,5",
        "NaN",
    )
    times = ("", "not a time", "1901-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-13-45T25:61:61Z",
             "2025-05-04T06:00:00+14:00", "2025-05-04T06:00:00.123456789Z", "0000-00-00T00:00:00")  # fmt: skip
    for name in _bases():
        text = base(name).decode("utf-8-sig")
        for i in range(MUTATIONS_PER_BASE):
            out = text
            for _ in range(rng.randint(1, 4)):
                what = rng.randrange(4)
                if what == 0:
                    out = re.sub(r'(lat|lon)="[^"]*"', lambda m: f'{m[1]}="{rng.choice(absurd)}"', out,
                                 count=rng.randint(1, 50))  # fmt: skip
                elif what == 1:
                    out = re.sub(r"<time>[^<]*</time>", lambda m: f"<time>{rng.choice(times)}</time>", out,
                                 count=rng.randint(1, 50))  # fmt: skip
                elif what == 2:
                    out = re.sub(r"<((?:\w+:)?(?:ele|hr|cad|speed|power))>[^<]*<", lambda m: f"<{m[1]}>{rng.choice(absurd)}<",
                                 out, count=rng.randint(1, 50))  # fmt: skip
                else:
                    points = re.findall(r"<trkpt.*?</trkpt>", out, flags=re.DOTALL)
                    if points:
                        shuffled = points[:]
                        rng.shuffle(shuffled)
                        for old, new in zip(points, shuffled):
                            out = out.replace(old, "\0" + new, 1)
                        out = out.replace("\0", "")
            yield f"{name}#edit{i}", out.encode()


def truncations() -> Iterator[tuple[str, bytes]]:
    """Cut before every tag of two small files."""
    for name in ("runpandas/garmin_connect.gpx", "gpxpy/track-with-less-sec-time.gpx"):
        data = base(name)
        for at in [m.start() for m in re.finditer(rb"<", data)] + [data.rindex(b">")]:
            if data[at:].strip():
                yield f"{name}#cut{at}", data[:at]


def hostile_xml(tmp: Path) -> Iterator[tuple[str, bytes]]:
    laughs = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    yield (
        "billion-laughs",
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY lol0 "lol">{laughs}]><gpx>&lol9;</gpx>'.encode(),
    )
    big = "A" * 100_000
    yield "quadratic-blowup", (f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "{big}">]>{GPX_OPEN}<trk><name>'
                               + "&a;" * 20_000 + "</name></trk></gpx>").encode()  # fmt: skip
    yield "external-entity", (f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                              f"{GPX_OPEN}<trk><name>&xxe;</name></trk></gpx>").encode()  # fmt: skip
    yield "external-parameter-entity", (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY % p SYSTEM '
                                        b'"file:///etc/passwd"> %p;]><gpx/>')  # fmt: skip
    yield (
        "external-dtd",
        f'<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://127.0.0.1:9/evil.dtd">{GPX_OPEN}</gpx>'.encode(),
    )
    yield "external-dtd-file", f'<!DOCTYPE gpx SYSTEM "file:///etc/passwd">{GPX_OPEN}</gpx>'.encode()
    yield "undeclared-entity", f"{GPX_OPEN}<trk><name>&xxe;</name></trk></gpx>".encode()
    xinclude = (f'{GPX_OPEN[:-1]} xmlns:xi="http://www.w3.org/2001/XInclude"><trk><name>'
                '<xi:include href="file:///etc/passwd" parse="text"/></name></trk></gpx>')  # fmt: skip
    yield "xinclude", xinclude.encode()
    yield "deep-nesting-100k", (GPX_OPEN + "<trk>" * 100_000 + "</trk>" * 100_000 + "</gpx>").encode()
    yield "deep-nesting-in-a-point", (GPX_OPEN + '<trk><trkseg><trkpt lat="1" lon="1">' + "<e>" * 100_000
                                      + "</e>" * 100_000 + "</trkpt></trkseg></trk></gpx>").encode()  # fmt: skip
    yield "wide-point", (GPX_OPEN + '<trk><trkseg><trkpt lat="1" lon="1">' + "<hr>1</hr>" * 200_000
                         + "</trkpt></trkseg></trk></gpx>").encode()  # fmt: skip
    yield "huge-attribute", (f'<gpx creator="{"x" * 20_000_000}" version="1.1">'
                             + "".join(_points(10)) + "</gpx>").encode()  # fmt: skip
    yield "many-attributes", ("<gpx " + " ".join(f'a{i}="{i}"' for i in range(200_000)) + ">"
                              + "".join(_points(10)) + "</gpx>").encode()  # fmt: skip
    yield "huge-text", (GPX_OPEN + "<trk><desc>" + "y" * 20_000_000 + "</desc></trk>"
                        + "".join(_points(10)) + "</gpx>").encode()  # fmt: skip
    yield "empty-points", (GPX_OPEN + "<trk><trkseg>" + "<trkpt/>" * (1_000_000 if LONG else 200_000)
                                   + "</trkseg></trk></gpx>").encode()  # fmt: skip
    yield "comments-and-pis", (GPX_OPEN + "<!-- c -->" * 100_000 + "<?pi x?>" * 100_000
                               + "".join(_points(10)) + "</gpx>").encode()  # fmt: skip
    yield "cdata", (GPX_OPEN + "<trk><name><![CDATA[<trkpt>&lol;]]></name></trk>" + "".join(_points(10))
                    + "</gpx>").encode()  # fmt: skip
    yield "nul-bytes", GPX_OPEN.encode() + b"\0" * 1000 + b"</gpx>"
    yield (
        "utf16",
        ('<?xml version="1.0" encoding="UTF-16"?>' + GPX_OPEN + "".join(_points(10)) + "</gpx>").encode(
            "utf-16"
        ),
    )
    yield "lying-encoding", ('<?xml version="1.0" encoding="ascii"?>' + GPX_OPEN + "<trk><name>Škofja Loka</name>"
                             "</trk>" + "".join(_points(10)) + "</gpx>").encode()  # fmt: skip
    yield "unknown-encoding", b'<?xml version="1.0" encoding="x-nothing"?><gpx/>'
    yield "not-gpx-root", b'<?xml version="1.0"?><kml><trkpt lat="1" lon="1"/></kml>'
    yield "html", b"<!DOCTYPE html><html><body>404 Not Found</body></html>"
    yield "json", b'{"type": "FeatureCollection", "features": []}'
    yield "empty", b""
    yield "whitespace", b" \n\t\r\n" * 100
    yield "bom-only", b"\xef\xbb\xbf"
    yield "fit-bytes", (CORPUS / "python-fitparse" / "Activity.fit").read_bytes()


def _points(n: int) -> list[str]:
    return [
        f'<trk><trkseg><trkpt lat="46.{i:04d}" lon="14.5"><time>2025-05-04T06:00:{i:02d}Z</time></trkpt></trkseg></trk>'
        for i in range(n)
    ]


def _check_all(kind: str, inputs: Iterable[tuple[str, bytes]]) -> list[Outcome]:
    outcomes, failures = [], []
    for name, data in inputs:
        try:
            outcomes.append(check(data, name.replace("/", "_") + ".gpx", kind))
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert not failures, f"{len(failures)} inputs failed, e.g.:\n" + "\n".join(failures[:10])
    return outcomes


# --- the tests -------------------------------------------------------------------------------------------------


def test_every_corpus_gpx_file() -> None:
    files = sorted(CORPUS.rglob("*.gpx"))
    outcomes = _check_all("corpus", ((str(p.relative_to(CORPUS)), p.read_bytes()) for p in files))
    assert len(outcomes) >= 35 and {"ok", "skipped"} <= {o.status for o in outcomes}


def test_byte_mutations() -> None:
    outcomes = _check_all("byte mutations", byte_mutations(random.Random(11)))
    assert {"ok", "rejected"} <= {o.status for o in outcomes}


def test_well_formed_edits_with_absurd_values() -> None:
    outcomes = _check_all("absurd values", text_mutations(random.Random(12)))
    assert "ok" in {o.status for o in outcomes}


def test_truncation_before_every_tag() -> None:
    outcomes = _check_all("truncation", truncations())
    assert all(o.status == "rejected" for o in outcomes)


def test_hostile_xml(tmp_path: Path) -> None:
    outcomes = {o.name.removesuffix(".gpx"): o for o in _check_all("hostile xml", hostile_xml(tmp_path))}
    for attack in ("billion-laughs", "quadratic-blowup", "external-entity", "external-parameter-entity",
                   "external-dtd", "external-dtd-file"):  # fmt: skip
        assert outcomes[attack].status == "rejected", outcomes[attack]
        assert "document type" in outcomes[attack].reason
    for name, outcome in outcomes.items():
        assert "root:" not in (outcome.reason or ""), name  # nothing of /etc/passwd ever shows
    assert "deeper" in outcomes["deep-nesting-100k"].reason
    assert outcomes["deep-nesting-in-a-point"].status == "rejected"
    assert outcomes["wide-point"].status == "rejected"
    assert outcomes["undeclared-entity"].status == "rejected"
    for readable in ("huge-attribute", "many-attributes", "huge-text", "comments-and-pis", "cdata", "utf16"):
        assert outcomes[readable].status == "ok", outcomes[readable]
    assert outcomes["empty-points"].status in ("rejected", "skipped")


def test_a_50_mb_track_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.gpx"
    with path.open("wb") as fh:
        fh.writelines(track(BIG_TRACK_BYTES // 200))  # each point takes more than 200 bytes
    data = path.read_bytes()
    assert len(data) >= BIG_TRACK_BYTES
    outcome = check(data, "big.gpx", "50 MB track")
    assert outcome.status == "ok"
    assert outcome.peak_bytes < 5 * len(data), f"peak {outcome.peak_bytes / 2**20:.0f} MB"


# --- generated documents ---------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str), _TEXT)
_TIME = st.one_of(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda d: d.isoformat()
    ),
    _TEXT,
)
_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
_POINT = st.tuples(
    _NUMBER, _NUMBER, st.none() | _NUMBER, st.none() | _TIME,
    st.lists(st.tuples(st.sampled_from(["hr", "cad", "power", "speed", "atemp"]) | _NAME, _NUMBER), max_size=4),
)  # fmt: skip


def _gpx(tracks: list[tuple[str | None, list[list[tuple]]]], creator: str) -> bytes:
    opening = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator={quoteattr(creator)} '
        f'xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="{TPX}">'
    )
    parts = [opening]
    for kind, segments in tracks:
        parts.append("<trk>" + (f"<type>{escape(kind)}</type>" if kind is not None else ""))
        for segment in segments:
            parts.append("<trkseg>")
            for lat, lon, ele, when, extensions in segment:
                parts.append(f"<trkpt lat={quoteattr(lat)} lon={quoteattr(lon)}>")
                if ele is not None:
                    parts.append(f"<ele>{escape(ele)}</ele>")
                if when is not None:
                    parts.append(f"<time>{escape(when)}</time>")
                if extensions:
                    inner = "".join(
                        f"<gpxtpx:{tag}>{escape(value)}</gpxtpx:{tag}>" for tag, value in extensions
                    )
                    parts.append(
                        f"<extensions><gpxtpx:TrackPointExtension>{inner}</gpxtpx:TrackPointExtension></extensions>"
                    )
                parts.append("</trkpt>")
            parts.append("</trkseg>")
        parts.append("</trk>")
    return ("".join(parts) + "</gpx>").encode("utf-8", "surrogatepass")


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.none()
            | st.sampled_from(["running", "Run", "9", "1", "cycling", "hiking", "trail_running"])
            | _TEXT,
            st.lists(st.lists(_POINT, max_size=8), max_size=3),
        ),
        max_size=3,
    ),
    _TEXT,
)
def test_generated_documents(tracks: list, creator: str) -> None:
    check(_gpx(tracks, creator), "generated.gpx", "hypothesis documents")


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 300), st.floats(0.2, 40), st.integers(-5, 5), st.booleans())
def test_generated_plausible_tracks(points: int, speed_mps: float, step_s: int, shuffle: bool) -> None:
    """Generated tracks that should read: foot speeds are ok, vehicle speeds skipped, bad clocks never crash."""
    start = datetime(2025, 5, 4, 6, 0, tzinfo=UTC)
    rows = [(f"{46 + i * speed_mps * abs(step_s or 1) / 111_195:.7f}", "14.5", "300",
             (start + timedelta(seconds=i * step_s)).isoformat(), [("hr", "150")]) for i in range(points)]  # fmt: skip
    if shuffle:
        random.Random(points).shuffle(rows)
    outcome = check(
        _gpx([("running" if speed_mps < 6 else None, [rows])], "gen"), "plausible.gpx", "hypothesis tracks"
    )
    if step_s > 0 and not shuffle and speed_mps < 6:
        assert outcome.status == "ok", outcome


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048), st.sampled_from([b"", b"<?xml version='1.0'?>", GPX_OPEN.encode()]))
def test_arbitrary_bytes(data: bytes, prefix: bytes) -> None:
    check(prefix + data, "random.gpx", "hypothesis bytes")


if __name__ == "__main__":  # python -m tests.readers.test_fuzz_gpx: the figures for docs/reliability.md
    import os
    import sys

    os.environ.setdefault("STRIDELINK_LOAD_PLUGINS", "")
    pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]])
    print(report())
