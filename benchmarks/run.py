"""Import and planning speed, measured against baselines timed in the same run.

    python benchmarks/run.py            # the full set (about 3 minutes the first time: inputs are generated)
    python benchmarks/run.py --quick    # fewer files, for a quick look (about a minute)
    python benchmarks/run.py --inputs ~/.cache/stridelink-bench   # keep the generated files for next time

Inputs are generated with ``stridelink.demo.simulator`` (distinct seeds and start times), plus the real corpus file
``../shared/corpus/stride/run.fit`` and the running GPX files of the corpus when present. Every figure is a wall
clock time on this machine; every ratio divides two figures measured by this same run. README.md in this folder
explains each line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lookups import lookup_rows
from measure import Row, ms, timed
from realfiles import one_hour_work_rows, per_file_rows, running_fit_files, whole_command_rows
from startup import startup_rows

PARTS = ("fit", "real", "work", "startup", "lookups", "bulk", "memory", "gpx", "plan")
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_FIT = CORPUS / "stride" / "run.fit"
CORPUS_GPX = ("runpandas/strava_export.gpx", "runpandas/run.gpx")  # running GPX files, 0.49 and 0.23 MB

# Targets (issue "Performance: a year of runs imported in seconds")
FIT_RATIO_MIN = 30.0  # end-to-end import vs fitparse's parse alone
BULK_FILES = 300
BULK_MAX_S = 5.0
MEMORY_MAX_MB = 200.0
GPX_RATIO_MIN = 4.0
PLAN_MAX_MS = 100.0
PLAN_YEARS = 9  # seven runs a week: about 3,300 runs, the library a plan is timed on

ONE_HOUR_KINDS = ("easy_road", "trail", "long_run", "hill_repeats", "track_intervals")
YEAR_START = datetime(2025, 1, 6, 6, 30, tzinfo=UTC)


# ----------------------------------------------------------------------------------------------- inputs


def _one_hour(index: int) -> tuple[int, str, bytes, bytes | None]:
    from stridelink.demo import simulator as synthetic

    kind = ONE_HOUR_KINDS[index % len(ONE_HOUR_KINDS)]
    start = YEAR_START + timedelta(days=index * 365 / BULK_FILES, hours=(index * 7) % 12)
    run = synthetic.make_run(kind, start, seed=1000 + index, duration_s=3600)
    gpx = synthetic.to_gpx(run) if index < 3 else None
    return index, kind, synthetic.to_fit(run), gpx


def _whole_day(_: int) -> bytes:
    from stridelink.demo import simulator as synthetic

    run = synthetic.make_run("long_run", datetime(2025, 6, 21, 4, tzinfo=UTC), seed=24, duration_s=24 * 3600)
    return synthetic.to_fit(run)


def generate(folder: Path, count: int, workers: int) -> None:
    """One-hour FIT runs (``runs/``), three of them as GPX too (``gpx/``), and a 24-hour FIT (``day/``)."""
    runs, gpx, day = folder / "runs", folder / "gpx", folder / "day"
    for sub in (runs, gpx, day):
        sub.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(count) if not (runs / f"run-{i:03d}.fit").exists()]
    missing += [i for i in range(3) if not (gpx / f"run-{i:03d}.gpx").exists() and i not in missing]
    need_day = not (day / "day-24h.fit").exists()
    if not missing and not need_day:
        return
    print(f"generating {len(missing)} one-hour runs{' and a 24-hour run' if need_day else ''} into {folder} ...",
          file=sys.stderr, flush=True)
    with ProcessPoolExecutor(workers) as pool:
        day_future = pool.submit(_whole_day, 0) if need_day else None
        for index, _kind, fit, gpx_bytes in pool.map(_one_hour, missing, chunksize=4):
            (runs / f"run-{index:03d}.fit").write_bytes(fit)
            if gpx_bytes is not None:
                (gpx / f"run-{index:03d}.gpx").write_bytes(gpx_bytes)
        if day_future is not None:
            (day / "day-24h.fit").write_bytes(day_future.result())


# ----------------------------------------------------------------------------------------------- timing


def fitparse_parse(data: bytes) -> None:
    import fitparse

    for _ in fitparse.FitFile(data).get_messages():
        pass


def gpxpy_parse(text: str) -> None:
    import gpxpy

    gpxpy.parse(text)


def import_once(path: Path, scratch: Path) -> float:
    """Seconds to import one file into a fresh library (the library's opening is not counted)."""
    from stridelink.importer import import_paths
    from stridelink.store.library import Library

    home = Path(tempfile.mkdtemp(dir=scratch))
    with Library.open(home) as library:
        start = time.perf_counter()
        results = import_paths(library, [path], workers=1)
        seconds = time.perf_counter() - start
    if [r.status for r in results] != ["imported"]:
        raise SystemExit(f"{path}: not imported: {results}")
    return seconds


def paired(baseline: Callable[[], object], ours: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Best of ``repeats`` for each, measured in turns so that both see the same load on the machine."""
    base_s, ours_s = [], []
    for _ in range(repeats):
        base_s.append(timed(baseline))
        ours_s.append(ours())
    return min(base_s), min(ours_s)


def ratio_row(what: str, base_s: float, ours_s: float, minimum: float) -> Row:
    ratio = base_s / ours_s
    return Row(what, ms(base_s), ms(ours_s), f"{ratio:.1f}x", f">= {minimum:g}x", ratio >= minimum)


def fit_rows(files: Sequence[Path], scratch: Path, repeats: int) -> list[Row]:
    """fitparse's parse alone against stridelink's end-to-end import of the same files."""
    contents = {p: p.read_bytes() for p in files}
    pairs = [
        paired(lambda p=p: fitparse_parse(contents[p]), lambda p=p: import_once(p, scratch), repeats)
        for p in files
    ]
    base = statistics.median(b for b, _ in pairs)
    ours = statistics.median(o for _, o in pairs)
    rows = [ratio_row(f"FIT one-hour import, {len(files)} synthetic files (median)", base, ours, FIT_RATIO_MIN)]
    if CORPUS_FIT.exists():
        data = CORPUS_FIT.read_bytes()
        base_s, ours_s = paired(lambda: fitparse_parse(data), lambda: import_once(CORPUS_FIT, scratch), repeats)
        shown = f"FIT import, corpus stride/run.fit ({len(data) // 1024} KB)"
        rows.append(ratio_row(shown, base_s, ours_s, FIT_RATIO_MIN))
    return rows


def bulk_rows(folder: Path, scratch: Path, count: int) -> list[Row]:
    """``stridelink import FOLDER`` through the library API in a fresh process, into a fresh library.

    The wall time counts everything a user waits for: the interpreter and library start-up, reading, analysing
    and storing every file, and the re-plan after the import.
    """
    home = Path(tempfile.mkdtemp(dir=scratch))
    start = time.perf_counter()
    command = [sys.executable, __file__, "--bulk-child", str(folder), str(home)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    total_s = time.perf_counter() - start
    child = json.loads(out.stdout.strip().splitlines()[-1])
    if child["statuses"] != ["imported"] or child["runs"] != count:
        raise SystemExit(f"bulk import: {child}")
    import_s = child["import_s"]
    what = f"bulk import, {count} one-hour FIT files, {os.cpu_count()} cores: process wall"
    if count == BULK_FILES:
        wall_target, wall_ok, rate_target, rate_ok = f"<= {BULK_MAX_S:g} s", total_s <= BULK_MAX_S, "", None
    else:  # --quick: the fixed start-up would dominate a scaled limit, so the import's rate is judged
        limit = BULK_MAX_S * count / BULK_FILES
        wall_target, wall_ok = f"({BULK_MAX_S:g} s per {BULK_FILES} files)", None
        rate_target, rate_ok = f"<= {limit:g} s (same rate)", import_s <= limit
    return [
        Row(what, "", f"{total_s:.2f} s", f"{count / total_s:.0f} files/s", wall_target, wall_ok),
        Row("  of which import_paths (read, analyse, store)", "", f"{import_s:.2f} s",
            f"{count / import_s:.0f} files/s", rate_target, rate_ok),
        Row("  of which replan", "", f"{child['replan_s']:.2f} s", "", "", None),
    ]  # fmt: skip


def _bulk_child(folder: str, home: str) -> None:
    from stridelink.app import replan
    from stridelink.importer import import_paths
    from stridelink.store.library import Library

    with Library.open(Path(home)) as library:
        start = time.perf_counter()
        results = import_paths(library, [folder])
        imported = time.perf_counter()
        new_runs = [run_id for r in results if r.status == "imported" for run_id in r.run_ids]
        replan(library, new_runs)
        done = time.perf_counter()
    statuses = sorted({r.status for r in results})
    report = {"statuses": statuses, "runs": len(new_runs), "import_s": imported - start, "replan_s": done - imported}
    print(json.dumps(report))


def memory_rows(day_file: Path, scratch: Path) -> list[Row]:
    """Peak RSS of a process that imports the 24-hour file, and of one that only opens a library (the floor)."""
    peak = _probe([str(day_file), str(scratch)])
    floor = _probe(["", str(scratch)])
    what = f"24-hour FIT import ({day_file.stat().st_size / 2**20:.1f} MB, 86400 records): peak RSS"
    return [Row(what, f"floor {floor:.0f} MB", f"{peak:.0f} MB", "", f"<= {MEMORY_MAX_MB:g} MB", peak <= MEMORY_MAX_MB)]


def _probe(child_args: list[str]) -> float:
    """Run the child from a fresh probe process, whose only child it is, and return the child's peak RSS in MB."""
    probe = [sys.executable, __file__, "--rss-probe", *child_args]
    out = subprocess.run(probe, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def _rss_probe(child_args: list[str]) -> None:
    subprocess.run([sys.executable, __file__, "--import-child", *child_args], check=True)
    # getrusage(RUSAGE_CHILDREN).ru_maxrss: the peak RSS of the largest waited-for child, KiB on Linux
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _import_child(path: str, scratch: str) -> None:
    from stridelink.importer import import_paths
    from stridelink.store.library import Library

    with tempfile.TemporaryDirectory(dir=scratch) as home, Library.open(Path(home)) as library:
        if path:
            results = import_paths(library, [path], workers=1)
            if [r.status for r in results] != ["imported"]:
                raise SystemExit(f"{path}: {results}")


def gpx_rows(files: Sequence[Path], scratch: Path, repeats: int) -> list[Row]:
    """gpxpy's parse alone (of the decoded text) against stridelink's end-to-end import of the same file."""
    rows = []
    for path in files:
        text = path.read_bytes().decode("utf-8-sig")
        base_s, ours_s = paired(lambda t=text: gpxpy_parse(t), lambda p=path: import_once(p, scratch), repeats)
        shown = path.name if CORPUS not in path.parents else str(path.relative_to(CORPUS))
        what = f"GPX import, {shown} ({path.stat().st_size / 2**20:.2f} MB)"
        rows.append(ratio_row(what, base_s, ours_s, GPX_RATIO_MIN))
    return rows


def _import_into(home: Path, files: Sequence[Path]) -> None:
    from stridelink.importer import import_paths
    from stridelink.store.library import Library

    with Library.open(home) as library:
        import_paths(library, files, workers=1)


def _run_count(home: Path) -> int:
    from stridelink.store.library import Library

    with Library.open(home) as library:
        return len(library.runs())


# ----------------------------------------------------------------------------------------------- planning


def five_year_library(home: Path, years: int = 5, runs_per_week: int = 5) -> tuple[int, list[str]]:
    """``runs_per_week`` runs (at most 7) a week for ``years`` years, added with their signals directly
    (two-sample frames), with pain and knee-to-wall entries now and then."""
    import numpy as np
    import pandas as pd

    from stridelink import columns as col
    from stridelink.models import Activity, Signals
    from stridelink.plan.planner import iso_week
    from stridelink.store.library import Library

    rng = np.random.default_rng(5)
    first_monday = date(2021, 1, 4) - timedelta(weeks=52 * max(years - 5, 0))  # ends before today
    weeks = years * 52
    count = 0
    with Library.open(home) as library:
        for week in range(weeks):
            monday = first_monday + timedelta(weeks=week)
            for day in sorted(rng.choice(7, size=runs_per_week, replace=False)):
                start = datetime.combine(monday + timedelta(days=int(day)), datetime.min.time(), UTC) + timedelta(
                    hours=6 + int(rng.integers(0, 12))
                )
                trail = rng.random() < 0.15
                hills = rng.random() < 0.1
                duration = float(rng.uniform(1800, 5400))
                distance = duration * float(rng.uniform(2.6, 3.4))
                samples = pd.DataFrame(
                    {
                        col.TIMESTAMP: pd.to_datetime([start, start + timedelta(seconds=duration)], utc=True),
                        col.DISTANCE: [0.0, distance],
                    }
                )
                signals = Signals(
                    method_version=1,
                    distance_m=round(distance, 1),
                    duration_s=round(duration, 1),
                    moving_time_s=round(duration * 0.97, 1),
                    cadence_spm=round(float(rng.normal(168, 4)), 1),
                    gct_ms=round(float(rng.normal(245, 10)), 1),
                    gct_balance_left_pct=round(float(rng.normal(50, 0.9)), 2),
                    vertical_oscillation_mm=round(float(rng.normal(85, 5)), 1),
                    step_length_mm=round(float(rng.normal(1050, 60)), 1),
                    elevation_gain_m=round(float(rng.uniform(20, 400 if hills or trail else 80)), 1),
                    terrain_variability=round(float(rng.uniform(55, 90) if trail else rng.uniform(5, 35)), 1),
                    surface="trail" if trail else "road",
                    hill_session=bool(hills),
                    cadence_drift_pct=round(float(rng.normal(-1, 1.5)), 2),
                    gct_drift_pct=round(float(rng.normal(1.5, 2)), 2),
                    speed_mps=round(distance / duration, 3),
                    heart_rate_bpm=round(float(rng.normal(148, 6)), 1),
                )
                activity = Activity("running", "trail" if trail else "road", start, "fit", samples)
                sha = hashlib.sha256(f"benchmark run {count}".encode()).hexdigest()
                library.add_file(sha, f"run-{count:05d}.fit", sha.encode(), "fit", [(activity, signals)])
                count += 1
            if week % 9 == 4:
                library.add_log(monday + timedelta(days=2), "pain", side="left", value=float(rng.integers(1, 5)))
            if week % 4 == 1:
                library.add_log(monday + timedelta(days=3), "knee_to_wall", side="left",
                                value=round(float(rng.uniform(8, 12)), 1))
        last = first_monday + timedelta(weeks=weeks)
    picks = [last - timedelta(weeks=w) for w in (0, 1, 13, 52, 104, 156, 208, 259)]
    return count, [iso_week(d) for d in picks]


def _replan_after_a_run(library: object) -> tuple[float, int]:
    """What an import of one new run of the library's last week costs in re-planning (``app.replan``)."""
    import pandas as pd

    from stridelink import columns as col
    from stridelink.app import replan
    from stridelink.models import Activity, Signals

    last = max(run.start_utc for run in library.runs(start_utc=datetime(2000, 1, 1, tzinfo=UTC)))  # type: ignore
    start = last + timedelta(hours=2)
    samples = pd.DataFrame({col.TIMESTAMP: pd.to_datetime([start, start + timedelta(hours=1)], utc=True),
                            col.DISTANCE: [0.0, 10000.0]})
    signals = Signals(method_version=1, distance_m=10000.0, duration_s=3600.0, surface="trail", hill_session=True,
                      terrain_variability=80.0, speed_mps=2.8)
    sha = hashlib.sha256(b"benchmark replan run").hexdigest()
    run_ids = library.add_file(sha, "new.fit", sha.encode(), "fit",  # type: ignore[attr-defined]
                               [(Activity("running", "trail", start, "fit", samples), signals)])
    changed: list[str] = []
    seconds = timed(lambda: changed.extend(replan(library, run_ids)))  # type: ignore[arg-type]
    return seconds, len(changed)


def plan_rows(scratch: Path, repeats: int) -> list[Row]:
    """A plan for weeks spread over a 3,000-run library: the first one walks the whole history and stores the
    walk; every later one starts from the stored state entering its week (as after an import)."""
    from stridelink.app import plan_week
    from stridelink.store.library import Library

    home = Path(tempfile.mkdtemp(dir=scratch))
    build_s = time.perf_counter()
    count, weeks = five_year_library(home, years=PLAN_YEARS, runs_per_week=7)
    build_s = time.perf_counter() - build_s
    times = []
    with Library.open(home) as library:
        cold_s = timed(lambda: plan_week(library, weeks[0]))  # loads programme and plugins, walks everything
        for week in weeks:
            times.extend(timed(lambda w=week: plan_week(library, w)) for _ in range(repeats))
        replan_s, replanned = _replan_after_a_run(library)
    worst = max(times)
    return [
        Row(f"replan after importing one run of the last week ({replanned} plans changed)", "", ms(replan_s), "",
            "", None),
        Row(f"plan_week, first plan of a {count}-run library (walks all {PLAN_YEARS * 52} weeks)",
            f"built in {build_s:.1f} s", ms(cold_s), "", "", None),
        Row(f"plan_week, any week of it ({len(weeks)} weeks x {repeats})", "",
            f"median {ms(statistics.median(times))}, max {ms(worst)}", "",
            f"<= {PLAN_MAX_MS:g} ms", worst * 1000 <= PLAN_MAX_MS),
    ]


# ----------------------------------------------------------------------------------------------- report


def print_table(rows: Sequence[Row]) -> None:
    header = ("measurement", "baseline", "stridelink", "ratio / rate", "target", "")
    cells = [header] + [
        (r.what, r.baseline, r.measured, r.ratio, r.target, "" if r.ok is None else ("pass" if r.ok else "FAIL"))
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for i, cell in enumerate(cells):
        print("  ".join(text.ljust(width) for text, width in zip(cell, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--rss-probe"]:
        _rss_probe(argv[1:])
        return 0
    if argv[:1] == ["--import-child"]:
        _import_child(argv[1], argv[2])
        return 0
    if argv[:1] == ["--bulk-child"]:
        _bulk_child(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description="stridelink import and planning benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer files and repeats (the bulk target is scaled)")
    parser.add_argument("--inputs", type=Path, help="keep generated inputs in this folder and reuse them")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    parser.add_argument("--only", help=f"comma-separated parts to run, of: {','.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    if parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}")

    count = 60 if args.quick else BULK_FILES
    repeats = 3 if args.quick else 5
    sample = 3 if args.quick else 10
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="stridelink-bench-") as tmp:
        scratch = Path(tmp)
        inputs = args.inputs or scratch / "inputs"
        generate(inputs, BULK_FILES if args.inputs else count, max(os.cpu_count() or 1, 1))
        runs = sorted((inputs / "runs").glob("*.fit"))[:count]
        bulk_folder = scratch / "bulk"
        bulk_folder.mkdir()
        for path in runs:
            shutil.copyfile(path, bulk_folder / path.name)
        gpx_files = sorted((inputs / "gpx").glob("*.gpx"))[: 1 if args.quick else 3]
        gpx_files += [CORPUS / name for name in CORPUS_GPX if (CORPUS / name).exists()]
        step = max(1, len(runs) // sample)

        rows: list[Row] = []
        if "fit" in parts:
            print("FIT: fitparse against import ...", file=sys.stderr, flush=True)
            rows += fit_rows(runs[::step][:sample], scratch, 3)
        real, rejected = running_fit_files(CORPUS)
        library = None
        if real and parts & {"real", "startup"}:
            print("corpus: fitparse against `stridelink import` ...", file=sys.stderr, flush=True)
            real_rows, library = whole_command_rows(real, rejected, scratch, 3 if args.quick else 5)
            rows += real_rows if "real" in parts else []
        if "work" in parts:
            print("each file's work ...", file=sys.stderr, flush=True)
            rows += one_hour_work_rows(runs[::step][:sample], 3)
            rows += per_file_rows(real, CORPUS, 2 if args.quick else 3) if real else []
        if "startup" in parts:
            print("cold starts ...", file=sys.stderr, flush=True)
            if library is None:  # no corpus: a small library of generated runs
                library = Path(tempfile.mkdtemp(dir=scratch))
                _import_into(library, runs[:20])
            rows += startup_rows(library, _run_count(library), 5 if args.quick else 9)
        if "lookups" in parts:
            print("duplicate checks ...", file=sys.stderr, flush=True)
            rows += lookup_rows(scratch, 500 if args.quick else 2000)
        if "bulk" in parts:
            print("bulk import ...", file=sys.stderr, flush=True)
            rows += bulk_rows(bulk_folder, scratch, len(runs))
        if "memory" in parts:
            print("memory ...", file=sys.stderr, flush=True)
            rows += memory_rows(inputs / "day" / "day-24h.fit", scratch)
        if "gpx" in parts:
            print("GPX: gpxpy against import ...", file=sys.stderr, flush=True)
            rows += gpx_rows(gpx_files, scratch, repeats)
        if "plan" in parts:
            print("plan_week ...", file=sys.stderr, flush=True)
            rows += plan_rows(scratch, 3 if args.quick else 5)
    print(f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average {load_before:.1f} before and "
          f"{os.getloadavg()[0]:.1f} after{' (--quick)' if args.quick else ''}")
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
