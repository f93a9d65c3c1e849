"""Duplicate checks: finding a file's runs by its hash, in libraries of 300 and 3,000 runs."""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from measure import Row, times_x

FLAT_MAX = 2.0  # lookups in the 3,000-run library at most this many times slower than in the 300-run one


def _library(home: Path, runs: int) -> list[str]:
    """A library holding ``runs`` runs (one file each), written straight to its tables: the lookup reads only
    files and runs. Returns the hashes."""
    from stridelink.store.library import Library

    hashes = [hashlib.sha256(f"lookup {i}".encode()).hexdigest() for i in range(runs)]
    with Library.open(home) as library, library.transaction() as db:
        db.executemany(
            "INSERT INTO files VALUES (?, ?, 1000, 'fit', ?, '2026-01-01T00:00:00Z')",
            [(sha, f"run-{i}.fit", f"{sha[:2]}/{sha}.fit") for i, sha in enumerate(hashes)],
        )
        db.executemany(
            "INSERT INTO runs (run_id, sha256, leg, start_utc, sport, source, file_name)"
            " VALUES (?, ?, 0, ?, 'running', 'fit', ?)",
            [
                (sha[:12], sha, f"2020-01-01T00:00:{i % 60:02d}+00:00", f"run-{i}.fit")
                for i, sha in enumerate(hashes)
            ],
        )
    return hashes


def _per_lookup(home: Path, hashes: list[str], lookups: int, drop_index: bool = False) -> float:
    """Median seconds of one duplicate check (``Library.run_ids_of_file``) over batches of known hashes."""
    from stridelink.store.library import Library

    picks = random.Random(7).choices(hashes, k=lookups)
    with Library.open(home) as library:
        if drop_index:
            library.db.execute("DROP INDEX IF EXISTS runs_by_file")
        batches = []
        for start in range(0, lookups, 100):
            began = time.perf_counter()
            for sha in picks[start : start + 100]:
                library.run_ids_of_file(sha)
            batches.append((time.perf_counter() - began) / len(picks[start : start + 100]))
    return statistics.median(batches)


def lookup_rows(scratch: Path, lookups: int) -> list[Row]:
    small_home, large_home = Path(tempfile.mkdtemp(dir=scratch)), Path(tempfile.mkdtemp(dir=scratch))
    small_hashes, large_hashes = _library(small_home, 300), _library(large_home, 3000)
    small, large = [], []
    for _ in range(3):  # in turns
        small.append(_per_lookup(small_home, small_hashes, lookups))
        large.append(_per_lookup(large_home, large_hashes, lookups))
    ratio = min(large) / min(small)
    unindexed = _per_lookup(large_home, large_hashes, min(lookups, 300), drop_index=True)
    return [
        Row(f"duplicate check (a file's runs by hash), {lookups} lookups: 300 runs vs 3,000 runs",
            f"{min(small) * 1e3:.3f} ms", f"{min(large) * 1e3:.3f} ms", times_x(ratio),
            f"<= {FLAT_MAX:g}x (flat)", ratio <= FLAT_MAX),
        Row("  the same at 3,000 runs without the index", "", f"{unindexed * 1e3:.3f} ms",
            times_x(unindexed / min(large)) + " slower", "", None),
    ]  # fmt: skip
