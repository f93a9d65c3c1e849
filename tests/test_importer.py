from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from stridelink.importer import (
    MAX_FILE_BYTES,
    PARALLEL_MIN_BYTES,
    PARALLEL_MIN_FILES,
    Source,
    _default_workers,
    import_paths,
)
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "workoutizer" / "run_with_coordinates.fit"
RIDE = CORPUS / "stride" / "ride.fit"
TRUNCATED = CORPUS / "python-fitparse" / "activity-unexpected-eof.fit"


def _statuses(results):
    return [(Path(r.path.split("!")[-1]).name, r.status) for r in results]


@needs_corpus
def test_each_file_ends_imported_skipped_or_rejected(tmp_path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    for src in (RUN, RIDE, TRUNCATED):
        shutil.copy(src, folder / src.name.upper())  # suffixes in any letter case
    (folder / "notes.txt").write_text("not an activity")
    with Library.open() as lib:
        results = import_paths(lib, [folder])
        assert sorted(_statuses(results)) == [
            ("ACTIVITY-UNEXPECTED-EOF.FIT", "rejected"),
            ("RIDE.FIT", "skipped"),
            ("RUN_WITH_COORDINATES.FIT", "imported"),
        ]
        skipped = next(r for r in results if r.status == "skipped")
        assert "cycling" in skipped.error
        assert len(lib.runs()) == 1
        again = import_paths(lib, [folder])
        assert dict(_statuses(again))["RUN_WITH_COORDINATES.FIT"] == "duplicate"
        imported = next(r for r in results if r.status == "imported")
        assert next(r for r in again if r.status == "duplicate").run_ids == imported.run_ids
        assert len(lib.runs()) == 1


@needs_corpus
def test_the_same_bytes_twice_in_one_batch(tmp_path) -> None:
    shutil.copy(RUN, tmp_path / "a.fit")
    shutil.copy(RUN, tmp_path / "b.fit")
    with Library.open() as lib:
        results = import_paths(lib, [tmp_path / "a.fit", tmp_path / "b.fit"])
        assert [r.status for r in results] == ["imported", "duplicate"]
        assert results[0].run_ids == results[1].run_ids


@needs_corpus
def test_zip_archives_are_read_in_memory_and_hostile_entries_refused(tmp_path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(RUN, "activities/run.fit")
        zf.write(RUN, "../../escape/evil.fit")  # zip slip: a name pointing outside
        zf.writestr("inner.zip", b"PK\x05\x06" + b"\0" * 18)
        link = zipfile.ZipInfo("link.fit")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        bomb = zipfile.ZipInfo("bomb.gpx")
        zf.writestr(bomb, b"\0" * (MAX_FILE_BYTES + 1), compress_type=zipfile.ZIP_DEFLATED)
    with Library.open() as lib:
        results = {r.path.split("!")[-1]: r for r in import_paths(lib, [archive])}
    assert results["activities/run.fit"].status == "imported"
    assert results["../../escape/evil.fit"].status == "duplicate"  # same bytes; nothing written outside
    assert results["inner.zip"].status == "skipped"  # an empty archive inside: opened, nothing in it
    assert results["link.fit"].status == "rejected"
    assert results["bomb.gpx"].status == "rejected" and "size" in results["bomb.gpx"].error
    assert not (tmp_path.parent / "escape").exists()


def test_a_broken_zip_is_rejected(tmp_path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with Library.open() as lib:
        [result] = import_paths(lib, [bad])
    assert result.status == "rejected"


@pytest.mark.parametrize("content", [b"", b"\x0e\x10", b"garbage" * 100])
def test_empty_and_garbage_files_are_rejected(tmp_path, content) -> None:
    path = tmp_path / "x.fit"
    path.write_bytes(content)
    with Library.open() as lib:
        [result] = import_paths(lib, [path])
        assert result.status == "rejected" and result.error and "\n" not in result.error
        assert lib.runs() == []


@pytest.mark.slow  # worker processes
@needs_corpus
def test_parallel_import_stores_every_run_once(tmp_path) -> None:
    files = sorted(CORPUS.glob("workoutizer/*.fit")) + sorted(CORPUS.glob("python-fitparse/*.fit"))
    with Library.open() as lib:
        serial = import_paths(lib, files, workers=1)
    with Library.open(tmp_path / "other") as lib:
        parallel = import_paths(lib, files, workers=2)
        assert [(r.path, r.status, r.run_ids) for r in parallel] == [(r.path, r.status, r.run_ids) for r in serial]
        assert len(lib.runs()) == sum(len(r.run_ids) for r in parallel if r.status == "imported")


@needs_corpus
def test_a_small_batch_is_read_in_the_importing_process(monkeypatch) -> None:
    """Starting worker processes costs more than reading a few MB: a small batch never starts them."""
    import concurrent.futures

    def no_pool(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a worker pool was started for a small batch")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    files = sorted(CORPUS.glob("*/*.fit"), key=lambda f: (f.stat().st_size, f))[:PARALLEL_MIN_FILES + 4]
    assert len(files) > PARALLEL_MIN_FILES and sum(f.stat().st_size for f in files) < PARALLEL_MIN_BYTES
    with Library.open() as lib:
        results = import_paths(lib, files)
    assert len(results) == len(files) and any(r.status == "imported" for r in results)


def test_only_a_batch_of_many_files_and_bytes_is_read_by_worker_processes() -> None:
    def batch(files: int, each_bytes: int) -> list[Source]:
        return [Source(f"{i}.fit", f"{i}.fit", bytes, each_bytes) for i in range(files)]

    big = PARALLEL_MIN_BYTES // PARALLEL_MIN_FILES + 1
    assert _default_workers(batch(PARALLEL_MIN_FILES - 1, 10 * big)) == 1  # few files, however large
    assert _default_workers(batch(PARALLEL_MIN_FILES * 4, 1000)) == 1  # many small files
    assert _default_workers(batch(PARALLEL_MIN_FILES, big)) == min(os.cpu_count() or 1, 8)


@pytest.mark.parametrize("packed", [False, True])
def test_memory_is_bounded_by_bytes_in_flight_not_file_count(tmp_path, monkeypatch, packed) -> None:
    """Six 8 MB files (or zip entries) under a 4 MB bound: one is held at a time, not the whole batch."""
    import struct
    import tracemalloc

    from stridelink import importer

    monkeypatch.setattr(importer, "MAX_BYTES_IN_FLIGHT", 4 * 2**20)
    size = 8 * 2**20
    files = []
    for i in range(6):
        data = struct.pack("<BBHI4sH", 14, 0x10, 2100 + i, size - 16, b".FIT", 0) + bytes(size - 14)
        files.append((f"big{i}.fit", data))
    if packed:
        archive = tmp_path / "big.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files:
                zf.writestr(name, data)
        inputs = [archive]
    else:
        for name, data in files:
            (tmp_path / name).write_bytes(data)
        inputs = sorted(tmp_path.glob("*.fit"))
    del files, data
    with Library.open() as lib:
        tracemalloc.start()
        try:
            results = import_paths(lib, inputs, workers=1)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [r.status for r in results] == ["rejected"] * 6
    assert peak < 3 * size, f"peak {peak / 2**20:.0f} MB for 8 MB files"  # was over 48 MB: all six at once
