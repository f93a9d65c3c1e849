"""Real watch files: the whole `stridelink import` command and each file's work, against fitparse's parse.

The files are the corpus's running FIT files (``../shared/corpus/MANIFEST.csv``: sport includes running) that
fitparse reads; the few it rejects have no baseline to compare with.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from measure import Row, ms, spread, timed, times_x

WHOLE_RATIO_MIN = 40.0  # the whole command against fitparse's parse alone of the same files
PER_FILE_RATIO_MIN = 20.0  # each file's work against fitparse's parse of it
PER_FILE_MAX_MS = 10.0  # median work for an ordinary one-hour run


def child_env(home: Path) -> dict[str, str]:
    """The environment of a measured command: the library ``home``, and compiled modules cached as an installed
    package has them (``PYTHONDONTWRITEBYTECODE`` would compile every stridelink module at every start)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["STRIDELINK_HOME"] = str(home)
    return env


def stridelink_command() -> list[str]:
    """The console script installed beside this interpreter (what a user runs), else ``python -m``."""
    script = Path(sys.executable).with_name("stridelink")
    return [str(script)] if script.exists() else [sys.executable, "-m", "stridelink"]


def running_fit_files(corpus: Path) -> tuple[list[Path], list[str]]:
    """(running FIT files fitparse reads, names of those it rejects)."""
    manifest = corpus / "MANIFEST.csv"
    if not manifest.exists():
        return [], []
    with manifest.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["format"] == "fit" and "running" in r["sport"].split(";")]
    readable = [corpus / r["path"] for r in rows if not r["fitparse_error"]]
    return [p for p in readable if p.exists()], [r["path"] for r in rows if r["fitparse_error"]]


def fitparse_parse(data: bytes) -> None:
    import fitparse

    for _ in fitparse.FitFile(data).get_messages():
        pass


def import_command(files: list[Path], home: Path) -> float:
    """Wall seconds of a fresh `stridelink import FILES --json` into the library ``home``."""
    env = child_env(home)
    start = time.perf_counter()
    out = subprocess.run([*stridelink_command(), "import", "--json", *map(str, files)], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    statuses = {line["path"]: line["status"] for line in lines}
    missing = [str(p) for p in files if statuses.get(str(p)) not in ("imported", "skipped")]
    if missing:
        raise SystemExit(f"stridelink import: not imported: {missing[:3]} ({out.stderr.strip()[-300:]})")
    return seconds


def whole_command_rows(
    files: list[Path], rejected: list[str], scratch: Path, rounds: int
) -> tuple[list[Row], Path]:
    """fitparse parsing every file (in this process) and a fresh `stridelink import` of them, in turns.

    Returns the rows and the library of the last import (a small library for the start-up lines).
    """
    contents = [p.read_bytes() for p in files]
    fitparse_parse(contents[0])  # fitparse imported before timing: its parse alone is the baseline
    import_command(
        files[:1], Path(tempfile.mkdtemp(dir=scratch))
    )  # compiled modules cached, files in the OS cache
    base_s: list[float] = []
    ours_s: list[float] = []
    home = scratch
    for turn in range(rounds):
        home = Path(tempfile.mkdtemp(dir=scratch))
        steps: list[Callable[[], None]] = [
            lambda: base_s.append(sum(timed(lambda d=d: fitparse_parse(d)) for d in contents)),
            lambda h=home: ours_s.append(import_command(files, h)),
        ]
        for step in steps if turn % 2 == 0 else steps[::-1]:
            step()
    ratios = [b / o for b, o in zip(base_s, ours_s)]
    size_mb = sum(len(c) for c in contents) / 2**20
    what = (f"corpus: `stridelink import` of {len(files)} running FIT files ({size_mb:.1f} MB), fresh process, "
            f"{rounds} rounds")  # fmt: skip
    ratio = statistics.median(ratios)
    rows = [Row(what, f"fitparse {spread(base_s)}", spread(ours_s),
                f"{times_x(ratio)} ({min(ratios):.1f}-{max(ratios):.1f})", f">= {WHOLE_RATIO_MIN:g}x",
                ratio >= WHOLE_RATIO_MIN)]  # fmt: skip
    if rejected:
        rows.append(Row(f"  (not compared: {len(rejected)} files fitparse rejects)", "", "", "", "", None))
    return rows, home


def file_work(data: bytes, name: str) -> None:
    """One file's work in an import: read, normalise, signals, encode the samples (what a worker does)."""
    from stridelink.importer import _analyse_job

    outcome = _analyse_job((data, name))
    if outcome.status == "rejected":
        raise SystemExit(f"{name}: rejected: {outcome.reason}")


def per_file_rows(files: list[Path], corpus: Path, repeats: int) -> list[Row]:
    """Each file's work against fitparse's parse of it, best of ``repeats`` each, measured in turns."""
    ratios: list[tuple[float, str, float, float]] = []
    for path in files:
        data = path.read_bytes()
        base, ours = [], []
        for _ in range(repeats):
            base.append(timed(lambda d=data: fitparse_parse(d)))
            ours.append(timed(lambda d=data, n=path.name: file_work(d, n)))
        ratios.append((min(base) / min(ours), str(path.relative_to(corpus)), min(base), min(ours)))
    ratios.sort()
    worst, name, base_s, ours_s = ratios[0]
    median = statistics.median(r for r, *_ in ratios)
    below = [(base, ours) for r, _, base, ours in ratios if r < PER_FILE_RATIO_MIN]
    rows = [
        Row(f"corpus: each file's work (read, signals, encode), {len(files)} files, best of {repeats}: median ratio",
            "", "", times_x(median), "", None),
        Row(f"  slowest against fitparse: {name}", f"fitparse {ms(base_s)}", ms(ours_s), times_x(worst),
            f">= {PER_FILE_RATIO_MIN:g}x every file", worst >= PER_FILE_RATIO_MIN),
    ]
    if below:  # what keeps them below: fitparse's own time for them, and ours
        rows.append(Row(f"  {len(below)} of {len(files)} files below {PER_FILE_RATIO_MIN:g}x",
                        f"fitparse at most {ms(max(b for b, _ in below))}", f"at least {ms(min(o for _, o in below))}",
                        "", "", None))
    return rows  # fmt: skip


def one_hour_work_rows(files: list[Path], repeats: int) -> list[Row]:
    """The median work per file for ordinary one-hour runs, and the decoder's share of it."""
    from stridelink.readers import fitfast

    decode_s, work_s = [], []
    for path in files:
        data = path.read_bytes()
        decode_s.append(min(timed(lambda d=data: fitfast.decode(d)) for _ in range(repeats)))
        work_s.append(min(timed(lambda d=data, n=path.name: file_work(d, n)) for _ in range(repeats)))
    median = statistics.median(work_s)
    return [
        Row(f"one-hour FIT file's work, {len(files)} synthetic files (median of best of {repeats})",
            f"decoding alone {ms(statistics.median(decode_s))}", ms(median), "", f"< {PER_FILE_MAX_MS:g} ms",
            median * 1000 < PER_FILE_MAX_MS),
    ]  # fmt: skip
