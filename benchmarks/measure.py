"""Timing helpers and the table row shared by the benchmark lines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str
    baseline: str
    measured: str
    ratio: str
    target: str
    ok: bool | None  # None: information only


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def spread(values: Sequence[float], unit: Callable[[float], str] = ms) -> str:
    """Median and range of repeated measurements: ``12.0 ms (11.1-14.2)``."""
    low, high = min(values), max(values)
    return f"{unit(statistics.median(values))} ({unit(low).split()[0]}-{unit(high)})"


def times_x(ratio: float) -> str:
    return f"{ratio:.1f}x"
