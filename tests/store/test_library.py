from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from stridelink import columns as col
from stridelink.store import codec as samplecodec
from stridelink.store.migrations import MIGRATIONS, migrate
from stridelink.models import Activity, Signals
from stridelink.store.library import DuplicateFileError, Library


def _activity(n: int = 600) -> Activity:
    t = pd.date_range("2026-11-16 07:00", periods=n, freq="1s", tz="UTC")
    rng = np.random.default_rng(1)
    samples = pd.DataFrame(
        {
            col.TIMESTAMP: t,
            col.LAT: 48.1 + np.arange(n) * 1e-5,
            col.LON: 11.5 + rng.normal(0, 1e-6, n),
            col.DISTANCE: np.arange(n) * 3.0,
            col.CADENCE: 170 + rng.normal(0, 2, n),
            col.GCT: np.where(np.arange(n) % 50 == 0, np.nan, 250.0),
        }
    )
    return Activity("running", "road", t[0].to_pydatetime(), "fit", samples, device_totals={"distance_m": 1797.0})


def test_samples_round_trip_compactly() -> None:
    samples = _activity().samples
    blob = samplecodec.encode(samples)
    back = samplecodec.decode(blob)
    assert list(back.columns) == list(samples.columns)
    assert (back[col.TIMESTAMP] == samples[col.TIMESTAMP]).all()
    np.testing.assert_allclose(back[col.LAT], samples[col.LAT])  # positions keep full precision
    np.testing.assert_allclose(back[col.CADENCE], samples[col.CADENCE], rtol=1e-6)
    assert back[col.GCT].isna().sum() == samples[col.GCT].isna().sum()
    assert len(blob) < samples.memory_usage().sum() / 2


def test_blobs_are_plain_zlib_whichever_compressor_wrote_them(monkeypatch) -> None:
    """The fast compressor writes the format zlib writes: a blob from either reads back with plain zlib to
    the very same payload, so libraries move between installations with and without it, and older versions."""
    import zlib

    samples = _activity().series
    fast = samplecodec.encode(samples)
    monkeypatch.setattr(samplecodec, "_isal_compress", None)
    plain = samplecodec.encode(samples)
    assert zlib.decompress(fast) == zlib.decompress(plain)
    assert samplecodec.decode_arrays(fast) == samplecodec.decode_arrays(plain) == samplecodec.decode_arrays(
        zlib.compress(zlib.decompress(plain), 9)
    )


def test_add_file_is_whole_and_once(library_home) -> None:
    with Library.open() as lib:
        signals = Signals(method_version=1, distance_m=1800.0, duration_s=599.0, surface="road")
        run_ids = lib.add_file("ab" * 32, "run.fit", b"bytes", "fit", [(_activity(), signals)])
        assert run_ids == ["abababababab"]
        run = lib.get_run("abababababab")
        assert run.signals == signals
        assert run.start_utc == datetime(2026, 11, 16, 7, tzinfo=UTC)
        assert len(lib.samples(run.run_id)) == 600
        assert (library_home / "archive" / "ab" / ("ab" * 32 + ".fit")).read_bytes() == b"bytes"
        with pytest.raises(DuplicateFileError) as info:
            lib.add_file("ab" * 32, "copy.fit", b"bytes", "fit", [(_activity(), None)])
        assert info.value.run_ids == ["abababababab"]
        assert len(lib.runs()) == 1


def test_failed_store_leaves_no_partial_run(library_home) -> None:
    broken = _activity()
    object.__setattr__(broken, "series", "not samples")  # encoding the second leg fails mid-transaction
    with Library.open() as lib:
        with pytest.raises(AttributeError):
            lib.add_file("cd" * 32, "multi.fit", b"x", "fit", [(_activity(), None), (broken, None)])
        assert lib.runs() == []
        assert lib.run_ids_of_file("cd" * 32) is None


def test_runs_between_and_prefix_lookup(library_home) -> None:
    with Library.open() as lib:
        lib.add_file("ef" * 32, "a.fit", b"a", "fit", [(_activity(), None)])
        assert lib.runs(start_utc=datetime(2026, 11, 17, tzinfo=UTC)) == []
        assert len(lib.runs(end_utc=datetime(2026, 11, 17, tzinfo=UTC))) == 1
        assert lib.get_run("efef").run_id == "efefefefefef"


def test_file_logs_are_recorded_once(library_home) -> None:
    with Library.open() as lib:
        assert lib.add_log(date(2026, 11, 18), "session", value=20, source="f" * 64) is not None
        assert lib.add_log(date(2026, 11, 18), "session", value=20, source="f" * 64) is None
        lib.add_log(date(2026, 11, 19), "pain", side="left", value=4)
        assert [e.kind for e in lib.logs()] == ["session", "pain"]
        assert [e.kind for e in lib.logs(before=date(2026, 11, 19))] == ["session"]


def test_first_schema_version_migrates_with_data_intact(library_home) -> None:
    library_home.mkdir(parents=True)
    db = sqlite3.connect(library_home / "stridelink.db", isolation_level=None)
    first_name, first = MIGRATIONS[0]
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)")
    first(db)
    db.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00Z')", (first_name,))
    db.execute("INSERT INTO files VALUES ('aa', 'old.fit', 1, 'fit', 'aa/aa.fit', '2026-01-01T00:00:00Z')")
    db.execute(
        "INSERT INTO runs (run_id, sha256, leg, start_utc, sport, source, file_name)"
        " VALUES ('aa', 'aa', 0, '2026-01-01T08:00:00+00:00', 'running', 'fit', 'old.fit')"
    )
    db.close()
    with Library.open() as lib:
        assert [r.run_id for r in lib.runs()] == ["aa"]
        names = {row[0] for row in lib.db.execute("SELECT name FROM _migrations")}
        assert names == {name for name, _ in MIGRATIONS}
        assert lib.logs() == []


def test_migrate_is_idempotent(tmp_path) -> None:
    db = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    assert len(migrate(db)) == len(MIGRATIONS)
    assert migrate(db) == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT run_id FROM runs WHERE sha256 = ? ORDER BY leg",  # duplicate check, re-import
        "DELETE FROM runs WHERE sha256 = ?",  # re-analysis replaces a file's runs
        "SELECT count(*) FROM runs WHERE runs.sha256 = ?",  # doctor's per-file count, deleting a file
    ],
)
def test_a_files_runs_are_found_by_index_not_by_reading_every_run(library_home, query: str) -> None:
    with Library.open() as lib:
        plan = " ".join(row[-1] for row in lib.db.execute("EXPLAIN QUERY PLAN " + query, ("ab" * 32,)))
    assert "runs_by_file" in plan and "SCAN runs" not in plan, plan
