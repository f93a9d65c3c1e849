"""Cohort build speed: files per second on one and two Dask workers, and Dask's per-task cost.

    python benchmarks/cohort.py                      # 12 athletes x 40 one-hour FIT runs, 3 repeats
    python benchmarks/cohort.py --athletes 4 --runs 10 --repeats 2 --inputs ~/.cache/stridelink-cohort

The baseline is the same work in this process, without Dask: every file through ``tasks.analyse_files`` (read,
hash, the importer's ``analyse``, the row) and every athlete through ``tasks.finish_athlete`` (plan, write the
partition). The Dask figures are ``cohort.build`` on a running local cluster (started and warmed beforehand:
a cluster is started once per study, not per file), into a fresh output folder each time. Each repeat measures
the three in turns; the best of the repeats is kept, so all see the same load from other processes.

Overhead per file = (one-worker build time - in-process time) / files; it is compared with the in-process time
per file. Because wall-clock time on a shared machine moves with other people's work, the overhead is also given
in CPU time, which that load hardly moves: the CPU seconds the worker, the scheduler and the client spent on the
build against the CPU seconds of the in-process run. Scaling = one-worker time / two-worker time (2.0 is linear).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

KINDS = ("easy_road", "trail", "long_run", "hill_repeats", "track_intervals")
START = datetime(2025, 1, 6, 6, 30, tzinfo=UTC)
OVERHEAD_MAX = 0.20
SCALING_MIN = 1.7


def _one(job: tuple[int, int, int, int]) -> tuple[int, int, bytes]:
    from stridelink.demo import simulator as synthetic

    athlete, index, runs, minutes = job
    kind = KINDS[(athlete + index) % len(KINDS)]
    start = START + timedelta(days=index * 180 / runs, hours=athlete % 10)
    run = synthetic.make_run(kind, start, seed=athlete * 1000 + index, duration_s=minutes * 60)
    return athlete, index, synthetic.to_fit(run)


def generate(folder: Path, athletes: int, runs: int, minutes: int) -> int:
    jobs = [(a, i, runs, minutes) for a in range(athletes) for i in range(runs)
            if not (folder / f"athlete-{a:03d}" / f"run-{i:03d}.fit").exists()]
    if jobs:
        print(f"generating {len(jobs)} runs of {minutes} minutes into {folder} ...", file=sys.stderr, flush=True)
        with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
            for a, i, data in pool.map(_one, jobs, chunksize=4):
                target = folder / f"athlete-{a:03d}" / f"run-{i:03d}.fit"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    return athletes * runs


def in_process(folder: Path, out: Path, athletes: list[str]) -> float:
    from stridelink.cohort.athletes import Athlete, athlete_sources
    from stridelink.cohort.tasks import analyse_files, finish_athlete

    begin = time.perf_counter()
    for name in athletes:
        sources = athlete_sources(Athlete(name, (str(folder / name),)))
        finish_athlete(str(out), name, analyse_files(sources, frozenset()))
    return time.perf_counter() - begin


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cluster_cpu(client: Any) -> float:
    """CPU seconds used so far by the workers, the scheduler and this client together."""
    scheduler = client.run_on_scheduler(_cpu) if client.run_on_scheduler(os.getpid) != os.getpid() else 0.0
    return sum(client.run(_cpu).values()) + scheduler + _cpu()


CPU: dict[str, list[float]] = {}


def in_process_cpu(folder: Path, out: Path, athletes: list[str]) -> float:
    begin = _cpu()
    elapsed = in_process(folder, out, athletes)
    CPU.setdefault("in_process", []).append(_cpu() - begin)
    return elapsed


def on_cluster(client: Any, folder: Path, out: Path, files_per_task: int | None = None, key: str = "") -> float:
    from stridelink.cohort.build import FILES_PER_TASK, build

    cpu_before = cluster_cpu(client)
    begin = time.perf_counter()
    reports = build([str(folder)], str(out), client=client, files_per_task=files_per_task or FILES_PER_TASK)
    elapsed = time.perf_counter() - begin
    CPU.setdefault(key, []).append(cluster_cpu(client) - cpu_before)
    assert all(r.error is None and r.rejected == 0 for r in reports), reports
    assert sum(r.runs for r in reports) == sum(len(list(p.iterdir())) for p in folder.iterdir()), reports
    return elapsed


def cluster(workers: int) -> tuple[Any, Any]:
    from distributed import Client

    from stridelink.cohort.build import local_cluster

    local = local_cluster(workers)  # the cluster `stridelink cohort build` starts without --scheduler
    client = Client(local)
    client.run(_warm)
    return local, client


def _warm() -> None:
    from stridelink.importer import _preload
    from stridelink.plugins import get_readers, get_rules

    _preload()
    get_readers()
    get_rules()
    import stridelink.cohort.tasks
    import stridelink.plan.planner  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=12)
    parser.add_argument("--runs", type=int, default=40, help="files per athlete")
    parser.add_argument("--minutes", type=int, default=60, help="length of each run (a new --inputs folder)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--inputs", type=Path, help="keep the generated files here and reuse them")
    parser.add_argument("--json", type=Path, help="write the figures as JSON too")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="stridelink-cohort-bench-"))
    os.environ["STRIDELINK_HOME"] = str(scratch / "home")
    folder = args.inputs or scratch / "inputs"
    files = generate(folder, args.athletes, args.runs, args.minutes)
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())[: args.athletes]
    if args.inputs:  # only the athletes asked for
        folder = scratch / "selected"
        folder.mkdir()
        for name in names:
            (folder / name).symlink_to((args.inputs / name).resolve(), target_is_directory=True)
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    _warm()
    one, two = cluster(1), cluster(2)
    timings: dict[str, list[float]] = {"in_process": [], "one_worker": [], "two_workers": [], "one_file_per_task": []}
    try:
        for repeat in range(args.repeats):
            order = [
                ("in_process", lambda out: in_process_cpu(folder, out, names)),
                ("one_worker", lambda out: on_cluster(one[1], folder, out, key="one_worker")),
                ("two_workers", lambda out: on_cluster(two[1], folder, out, key="two_workers")),
                ("one_file_per_task", lambda out: on_cluster(one[1], folder, out, 1, key="one_file_per_task")),
            ]
            for key, measure in order if repeat % 2 == 0 else order[::-1]:
                out = scratch / f"out-{key}-{repeat}"
                timings[key].append(measure(out))
                shutil.rmtree(out, ignore_errors=True)
                print(f"repeat {repeat + 1}: {key} {timings[key][-1]:.2f} s", file=sys.stderr, flush=True)
    finally:
        for local, client in (one, two):
            client.close()
            local.close()
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()[0]
    best = {key: min(values) for key, values in timings.items()}
    per_file = best["in_process"] / files
    overhead = (best["one_worker"] - best["in_process"]) / files
    overhead_single = (best["one_file_per_task"] - best["in_process"]) / files
    scaling = best["one_worker"] / best["two_workers"]
    result = {
        "files": files,
        "athletes": len(names),
        "seconds_best": best,
        "seconds_all": timings,
        "files_per_s": {key: files / value for key, value in best.items()},
        "in_process_ms_per_file": per_file * 1000,
        "overhead_ms_per_file": overhead * 1000,
        "overhead_share": overhead / per_file,
        "overhead_share_one_file_per_task": overhead_single / per_file,
        "scaling_1_to_2": scaling,
        "scaling_median": statistics.median(timings["one_worker"]) / statistics.median(timings["two_workers"]),
        "scaling_per_repeat": [a / b for a, b in zip(timings["one_worker"], timings["two_workers"], strict=True)],
        "load_average_after": load_after,
    }
    cpu = {key: min(values) for key, values in CPU.items()}
    cpu_share = (cpu["one_worker"] - cpu["in_process"]) / cpu["in_process"]
    cpu_share_single = (cpu["one_file_per_task"] - cpu["in_process"]) / cpu["in_process"]
    result.update(cpu_seconds_best=cpu, cpu_seconds_all=CPU, cpu_overhead_share=cpu_share,
                  cpu_overhead_share_one_file_per_task=cpu_share_single)
    rows = [
        ("in process (no Dask)", f"{best['in_process']:.2f} s", f"{files / best['in_process']:.1f} files/s", ""),
        ("one worker", f"{best['one_worker']:.2f} s", f"{files / best['one_worker']:.1f} files/s", ""),
        ("two workers", f"{best['two_workers']:.2f} s", f"{files / best['two_workers']:.1f} files/s",
         f"scaling {scaling:.2f}x best, {result['scaling_median']:.2f}x median (target >= {SCALING_MIN})"),
        ("per-task overhead", f"{overhead * 1000:+.1f} ms/file", f"{overhead / per_file:+.1%} of {per_file * 1000:.0f} ms",
         f"target < {OVERHEAD_MAX:.0%}"),
        ("per-task overhead, CPU", f"{(cpu['one_worker'] - cpu['in_process']) / files * 1000:+.1f} ms/file",
         f"{cpu_share:+.1%} of {cpu['in_process'] / files * 1000:.1f} ms",
         "workers + scheduler + client CPU time against the in-process CPU time"),
        ("  with one file per task", f"{overhead_single * 1000:+.1f} ms/file", f"{overhead_single / per_file:+.1%}",
         f"information; CPU {cpu_share_single:+.1%}"),
    ]
    print(f"\n{files} files, {len(names)} athletes; load average after: {load_after:.2f}")
    for row in rows:
        print(f"{row[0]:<26} {row[1]:>16} {row[2]:>22}  {row[3]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if scaling >= SCALING_MIN and overhead / per_file < OVERHEAD_MAX else 1


if __name__ == "__main__":
    sys.exit(main())
