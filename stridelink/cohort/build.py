"""Building the cohort table on a Dask cluster.

The client finds each athlete's files and reads which of their hashes the table holds; workers read and analyse
the files in batches (``tasks.analyse_files``), then one task per athlete merges, plans and writes the athlete's
partition (``tasks.finish_athlete``). A few athletes are in flight at a time, so a study of any size streams
through in bounded memory. Dask re-runs the tasks of a worker that dies; a batch whose worker died more than
Dask allows is retried file by file, and a file that still kills its worker becomes a ``rejected`` row.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from stridelink.cohort import table, tasks
from stridelink.cohort.athletes import Athlete, athlete_sources, batches, find_athletes
from stridelink.cohort.tasks import AthleteReport, FileRows

FILES_PER_TASK = 32  # a few tenths of a second of work per task: Dask's per-task cost stays a small share


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers`` processes (default: one
    per core) that lives as long as the block."""
    from distributed import Client

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with local_cluster(workers or os.cpu_count() or 1) as cluster, Client(cluster) as client:
        yield client


# Dask starts worker processes with MALLOC_TRIM_THRESHOLD_ set, to give memory back to the system early. That
# also makes every large allocation a fresh mmap, and decoding a file allocates many large arrays: the workers
# spent a quarter more CPU time per file than the same code in one process. Files are read one at a time, so
# the workers' memory stays small without it.
# The scheduler also holds tasks back until a worker is free ("queuing"), which costs a round trip between tasks;
# these tasks are many and alike, so each worker gets its share at once.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.scheduler.worker-saturation": float("inf"),
}


def local_cluster(workers: int) -> Any:
    """A local cluster of ``workers`` single-threaded processes, configured for reading files."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                            silence_logs=logging.ERROR)


@dataclass
class _Athlete:
    athlete: Athlete
    batches: dict[tuple[int, ...], list[Any]]
    known: frozenset[str]
    done: dict[tuple[int, ...], list[FileRows]] = field(default_factory=dict)


def build(
    sources: Iterable[str],
    out: str,
    *,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    timezone: str = "UTC",
    files_per_task: int = FILES_PER_TASK,
    on_athlete: Callable[[AthleteReport], None] | None = None,
) -> list[AthleteReport]:
    """Add every athlete's new files to the table at ``out``; one report per athlete, in id order."""
    athletes = find_athletes(sources)
    fs, root = table.open_dir(out)
    fs.makedirs(root, exist_ok=True)
    if client is None:
        with connect(scheduler, workers) as own:
            return _build(own, athletes, out, timezone, files_per_task, on_athlete)
    return _build(client, athletes, out, timezone, files_per_task, on_athlete)


def _build(client: Any, athletes: list[Athlete], out: str, timezone: str, files_per_task: int,
           on_athlete: Callable[[AthleteReport], None] | None) -> list[AthleteReport]:
    from distributed import as_completed

    fs, root = table.open_dir(out)
    threads = sum(client.nthreads().values()) or 1
    window = 4 + 4 * threads  # athletes in flight: enough to keep every worker busy
    waiting = list(reversed(athletes))
    running = as_completed()
    owner: dict[str, tuple[_Athlete, tuple[int, ...] | None]] = {}  # future key -> athlete, batch (None: finish)
    reports: dict[str, AthleteReport] = {}

    def submit(state: _Athlete, index: tuple[int, ...]) -> None:
        future = client.submit(tasks.analyse_files, state.batches[index], state.known, pure=False)
        owner[future.key] = (state, index)
        running.add(future)

    def finish(state: _Athlete) -> None:
        files = [item for index in sorted(state.done) for item in state.done[index]]
        future = client.submit(tasks.finish_athlete, out, state.athlete.athlete_id, files, timezone, pure=False)
        owner[future.key] = (state, None)
        running.add(future)

    def start() -> None:
        athlete = waiting.pop()
        found = athlete_sources(athlete)
        state = _Athlete(athlete, {(i,): batch for i, batch in enumerate(batches(found, files_per_task))},
                         table.known_keys(fs, root, athlete.athlete_id))
        for index in state.batches:
            submit(state, index)
        if not state.batches:
            finish(state)

    for _ in range(min(window, len(waiting))):
        start()
    for future in running:
        state, index = owner.pop(future.key)
        failed = future.status != "finished"
        if index is None:
            report = future.result() if not failed else AthleteReport(
                state.athlete.athlete_id, error=f"could not write the partition ({_describe(future)})")
            future.release()
            reports[report.athlete_id] = report
            if on_athlete is not None:
                on_athlete(report)
            if waiting:
                start()
            continue
        batch = state.batches.pop(index)
        if not failed:
            state.done[index] = future.result()
        elif len(batch) > 1:  # a worker kept dying on this batch: find the file that does it
            for j, source in enumerate(batch):
                state.batches[(*index, j)] = [source]
                submit(state, (*index, j))
        else:
            path = getattr(batch[0], "path", "?")
            reason = f"the worker reading this file stopped ({_describe(future)}); it may need more memory"
            state.done[index] = [(path, None, [table.file_row("rejected", path, None, reason)])]
        future.release()
        if not state.batches:
            finish(state)
    return [reports[a.athlete_id] for a in athletes]


def _describe(future: Any) -> str:
    try:
        exc = future.exception()
    except Exception as err:  # noqa: BLE001 - the cluster itself may be gone
        exc = err
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
