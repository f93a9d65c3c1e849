"""What every hostile input must come to, shared by the fuzz tests.

An input ends through ``stridelink.importer.analyse`` as ``ok``, ``skipped`` or ``rejected`` with a one-line reason,
under a hard time limit (a hang fails the test) and within a memory bound measured by tracemalloc. The outcomes are
kept so ``python -m tests.readers.test_fuzz_fit`` / ``tests.readers.test_fuzz_gpx`` can print the worst time and memory by kind.
``STRIDELINK_FUZZ_LONG=1`` makes the tests try many more inputs.
"""

from __future__ import annotations

import os
import signal
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from stridelink import columns as col
from stridelink.importer import analyse
from stridelink.store.codec import encode

LONG = os.environ.get("STRIDELINK_FUZZ_LONG") == "1"
HANG_LIMIT_S = 60.0  # far above any real input even under tracemalloc; only a hang reaches it
MEMORY_FLOOR_BYTES = 64 * 2**20  # numpy/pandas working set of a small file
MEMORY_PER_INPUT_BYTE = 10  # beyond the floor, peak memory grows at most this much per input byte
MAX_REASON_CHARS = 400


class Hang(BaseException):
    """Raised by the time limit; a BaseException, so no reader's ``except Exception`` can swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Outcome:
    kind: str
    name: str
    size: int
    status: str
    reason: str | None
    seconds: float
    peak_bytes: int


OUTCOMES: list[Outcome] = []


def _warm_up() -> None:
    """Import what the readers import lazily, so the first input's figures are not the imports'."""
    import importlib

    from stridelink.plugins import get_readers

    get_readers()
    for module in ("stridelink.readers.fitref", "stridelink.readers.fitfast", "stridelink.readers.xmlsafe"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def check(data: bytes, name: str, kind: str, *, trace: bool = True) -> Outcome:
    """Analyse one input and assert it ended as the contract says; returns what happened.

    ``trace``: measure peak memory with tracemalloc (which slows pure-Python decoding several times over);
    ``peak_bytes`` is -1 when not measured.
    """
    if not OUTCOMES:
        _warm_up()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        with time_limit(HANG_LIMIT_S):
            analysis = analyse(data, name)
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else -1
        if trace:
            tracemalloc.stop()
    outcome = Outcome(kind, name, len(data), analysis.status, analysis.reason, seconds, peak)
    OUTCOMES.append(outcome)
    label = f"{kind} {name} ({len(data)} bytes)"
    assert analysis.status in ("ok", "skipped", "rejected"), label
    if analysis.status == "ok":
        assert analysis.activities, label
        for activity, _signals in analysis.activities:
            assert activity.start_utc.tzinfo is not None, label
            times = activity.samples[col.TIMESTAMP]
            assert times.is_monotonic_increasing and times.is_unique, label
            encode(activity.samples)  # what the store would write
    else:
        reason = analysis.reason
        assert isinstance(reason, str) and reason.strip(), label
        assert "\n" not in reason and "\r" not in reason and "Traceback" not in reason, f"{label}: {reason!r}"
        assert len(reason) <= MAX_REASON_CHARS, f"{label}: {reason!r}"
        # The importer's last resort turns any exception into a reason; a reader should give its own instead.
        assert not is_reader_bug(outcome), f"{label}: {reason}"
    assert peak <= MEMORY_FLOOR_BYTES + MEMORY_PER_INPUT_BYTE * len(data), f"{label}: peak {peak} bytes"
    return outcome


def is_reader_bug(outcome: Outcome) -> bool:
    """The importer's last-resort message: a reader raised something it should have turned into a reason."""
    return outcome.reason is not None and outcome.reason.startswith("could not read the file (")


def report(outcomes: list[Outcome] | None = None) -> str:
    rows = outcomes if outcomes is not None else OUTCOMES
    lines = [
        f"{'kind':<28}{'inputs':>7}{'ok':>6}{'skip':>6}{'rej':>6}{'worst s':>9}{'worst MB':>10}  worst input"
    ]
    for kind in dict.fromkeys(o.kind for o in rows):
        group = [o for o in rows if o.kind == kind]
        slow = max(group, key=lambda o: o.seconds)
        big = max(group, key=lambda o: o.peak_bytes)
        counts = [sum(o.status == s for o in group) for s in ("ok", "skipped", "rejected")]
        lines.append(
            f"{kind:<28}{len(group):>7}{counts[0]:>6}{counts[1]:>6}{counts[2]:>6}"
            f"{slow.seconds:>9.3f}{big.peak_bytes / 2**20:>10.1f}  {slow.name} / {big.name}"
        )
    bugs = [o for o in rows if is_reader_bug(o)]
    lines.append(f"{len(rows)} inputs; {len(bugs)} reached the importer's last-resort message")
    lines += [f"  {o.kind} {o.name}: {o.reason}" for o in bugs[:20]]
    return "\n".join(lines)
