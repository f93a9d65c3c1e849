"""Importing files into the library: find them, read them, analyse them, store each in one transaction.

Every file found ends as exactly one ImportResult: ``imported``, ``duplicate``, ``skipped`` (valid, but no foot
activity) or ``rejected`` (unreadable). Nothing here raises for a bad file; one file never stops the others.
Reading and analysis run in worker processes for large batches; only the main process writes to SQLite.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import importlib
import os
import signal
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stridelink import sources as discovery
from stridelink.errors import InvalidDateError, NotARunError, StridelinkError, TrainingSessionFile, UnreadableFileError
from stridelink.models import Activity, Reader, Signals
from stridelink.plugins import get_readers, load_plugins, pm
from stridelink.sources import MAX_FILE_BYTES, MAX_ZIP_MEMBERS, Found, Origin, Source, close_archives
from stridelink.store.library import DuplicateFileError, Library, PreparedRun, prepare_run

if TYPE_CHECKING:  # worker processes (concurrent.futures, logging) load only for batches that use them
    from concurrent.futures import Executor, Future

__all__ = ["MAX_FILE_BYTES", "MAX_ZIP_MEMBERS", "ImportResult", "Source", "find_sources", "import_paths", "analyse",
           "load_source"]

PARALLEL_MIN_FILES = 16  # smaller batches, or batches of fewer bytes, are read in the importing process:
PARALLEL_MIN_BYTES = 2 * 1024 * 1024  # starting worker processes would cost more than it saves (2 cores)
CHUNK_FILES = 64
MAX_BYTES_IN_FLIGHT = 128 * 1024 * 1024  # file bytes an import holds at once (one larger file is held alone)
SHIP_MAX_BYTES = 16 * 1024 * 1024  # larger files are analysed in the importing process, not sent to a worker
SYNC_FILES = 16  # analysed files archived before one sync makes them durable and their rows are committed


@dataclass(frozen=True, slots=True)
class ImportResult:
    path: str
    status: str  # imported, duplicate, skipped, rejected
    run_ids: tuple[str, ...] = ()
    error: str | None = None
    logged_session: bool = False  # a watch strength/mobility file newly logged as an ankle session done

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "run_id": self.run_ids[0] if self.run_ids else None,
            "error": self.error,
            "run_ids": list(self.run_ids),
        }


@dataclass(frozen=True)
class Analysis:
    status: str  # ok, skipped, rejected
    activities: tuple[tuple[Activity, Signals | None], ...] = ()
    reason: str | None = None
    training: TrainingSessionFile | None = None


class LibraryWriteError(StridelinkError):
    """The library could not be written (a full disk, a read-only folder): the import stops, nothing half-stored."""


def find_sources(inputs: Iterable[str | Path], suffixes: set[str]) -> Iterator[Source | ImportResult]:
    """Files, folders, archives and bulk exports as sources (see stridelink.sources); refusals as results."""
    for item in discovery.find_sources(inputs, suffixes):
        yield ImportResult(item.path, item.status, error=item.error) if isinstance(item, Found) else item


def analyse(data: bytes, name: str, origin: Origin | None = None) -> Analysis:
    """Read one file's bytes and compute the signals of each foot activity. Never raises for a bad file.

    ``origin``: what an export says about the file; its type fills a sub-sport the file does not name.
    """
    reader = get_readers().get(Path(name).suffix.lower())
    if reader is None:
        return Analysis("rejected", reason="unsupported file type")
    try:
        activities = _read(reader, data, name)
        if origin is not None and origin.sub_sport:
            activities = [
                a if a.sub_sport not in (None, "generic") else dataclasses.replace(a, sub_sport=origin.sub_sport)
                for a in activities
            ]
    except TrainingSessionFile as exc:
        return Analysis("skipped", reason=str(exc), training=exc)
    except NotARunError as exc:
        return Analysis("skipped", reason=str(exc))
    except UnreadableFileError as exc:
        return Analysis("rejected", reason=str(exc))
    except RecursionError:
        return Analysis("rejected", reason="nesting too deep to be an activity file")
    except MemoryError:
        return Analysis("rejected", reason="too large to read")
    except Exception as exc:  # a reader bug must not stop the batch: report it on one line
        return Analysis("rejected", reason=f"could not read the file ({type(exc).__name__}: {str(exc)[:200]})")
    return Analysis("ok", tuple((activity, _signals(activity)) for activity in activities))


def _read(reader: Reader, data: bytes, name: str) -> list[Activity]:
    activities = list(reader.read(data, name))
    if not activities:
        raise NotARunError("no foot activity in the file")
    return activities


def _signals(activity: Activity) -> Signals | None:
    """The run's signals; None when they cannot be computed (the run is kept, `stridelink doctor` lists it)."""
    from stridelink.signals.compute import compute_signals  # numpy: only once files are read

    try:
        return compute_signals(activity)
    except Exception:  # noqa: BLE001 - a bug in one signal must not lose the run or stop the batch
        return None


@dataclass(frozen=True)
class _Outcome:
    """What a worker sends back for one file: compact and picklable (no DataFrame, no exception object)."""

    status: str  # ok, skipped, rejected
    runs: tuple[PreparedRun, ...] = ()
    reason: str | None = None
    training: tuple[datetime | None, float, str] | None = None  # start, duration, label of a training session


def _analyse_job(job: tuple[bytes, str, Origin | None]) -> _Outcome:
    """Read, analyse and encode one file (in a worker process for large batches)."""
    analysis = analyse(*job)
    training = analysis.training
    try:
        runs = tuple(prepare_run(activity, signals) for activity, signals in analysis.activities)
    except Exception as exc:  # noqa: BLE001 - samples that cannot be stored: rejected, like a reader bug
        return _Outcome("rejected", reason=f"could not store the samples ({type(exc).__name__}: {str(exc)[:200]})")
    return _Outcome(
        analysis.status,
        runs,
        analysis.reason,
        None if training is None else (training.start_utc, training.duration_s, training.label),  # type: ignore[arg-type]
    )


def _preload() -> None:
    """Import what every file needs before worker processes fork, so each does not import it again."""
    for module in ("stridelink.signals.compute", "stridelink.store.codec", "stridelink.readers.fitfast"):
        importlib.import_module(module)


def _default_workers(sources: list[Source]) -> int:
    """One process per core (at most 8) for a large batch; the importing process alone for a small one."""
    if len(sources) < PARALLEL_MIN_FILES or sum(s.size for s in sources) < PARALLEL_MIN_BYTES:
        return 1
    return min(os.cpu_count() or 1, 8)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which stops the import cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def import_sources(
    library: Library,
    sources: Iterable[Source | ImportResult],
    *,
    workers: int | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Import every source; results come back in the order the sources were found.

    Memory is bounded by bytes, not files: the file bytes held at once (read, being analysed, waiting to be
    archived) stay within MAX_BYTES_IN_FLIGHT, or one file when a single file is larger (at most MAX_FILE_BYTES).
    While the main process stores one chunk, the workers already analyse the next.

    Raises LibraryWriteError when the library cannot be written (results for the files stored before were
    already given to ``on_result``); KeyboardInterrupt passes through once the workers are stopped.
    """
    found = list(sources)
    results: list[ImportResult] = []

    def emit(result: ImportResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    parallel = workers if workers is not None else _default_workers([s for s in found if isinstance(s, Source)])
    _preload()
    executor: Executor | None = None
    if parallel > 1:
        from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only for large batches

        executor = ProcessPoolExecutor(parallel, initializer=_ignore_interrupts)
    state = _State()
    try:
        previous: _Chunk | None = None
        batch: list[Any] = []
        for source in found:
            size = source.size if isinstance(source, Source) else 0
            if batch and (len(batch) >= CHUNK_FILES or _held(batch) + size > MAX_BYTES_IN_FLIGHT):
                chunk = _submit(batch, executor)
                if previous is not None:
                    _finish_chunk(library, previous, state, emit)
                previous, batch = chunk, []
            if previous is not None and previous.held + _held(batch) + size > MAX_BYTES_IN_FLIGHT:
                _finish_chunk(library, previous, state, emit)  # no room beside it: store it first
                previous = None
            batch.append(_load(library, source, state))
        chunk = _submit(batch, executor) if batch else None
        for pending in (previous, chunk):
            if pending is not None:
                _finish_chunk(library, pending, state, emit)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
        close_archives()
    return results



@dataclass
class _State:
    seen: set[str] = field(default_factory=set)  # hashes met in this import
    first: dict[str, ImportResult] = field(default_factory=dict)  # the result of each hash's first file
    stored: int = 0  # files committed so far


@dataclass
class _Chunk:
    # Each item: a finished result, ("new", source, data, sha) or ("copy", source, sha) for repeated bytes.
    items: list[Any]
    outcomes: Iterator[_Outcome]
    held: int  # file bytes the chunk holds


def _held(items: list[Any]) -> int:
    return sum(len(item[2]) for item in items if isinstance(item, tuple) and item[0] == "new")


def _load(library: Library, source: Source | ImportResult, state: _State) -> Any:
    """Read one source and settle what needs no analysis: unreadable, a copy met before, known to the library."""
    if isinstance(source, ImportResult):
        return source
    data = load_source(source)
    if isinstance(data, ImportResult):
        return data
    sha = hashlib.sha256(data).hexdigest()
    if sha in state.seen:
        return ("copy", source, sha)
    known = library.run_ids_of_file(sha)
    if known is not None:
        return ImportResult(source.path, "duplicate", tuple(known))
    state.seen.add(sha)
    return ("new", source, data, sha)


def load_source(source: Source) -> bytes | ImportResult:
    """The source's bytes, or its ``rejected`` result when they cannot be read."""
    try:
        return source.load()
    except UnreadableFileError as exc:
        return ImportResult(source.path, "rejected", error=str(exc))
    except OSError as exc:
        return ImportResult(source.path, "rejected", error=f"cannot read the file: {exc.strerror or exc}")
    except MemoryError:
        return ImportResult(source.path, "rejected", error="too large to read with the memory available")


def _submit(items: list[Any], executor: Executor | None) -> _Chunk:
    """Hand the chunk's new files to the workers; without workers, or for a file larger than SHIP_MAX_BYTES
    (sending it would copy it twice more), it is analysed here, lazily, in its turn."""
    jobs = [(item[2], item[1].name, item[1].origin) for item in items if isinstance(item, tuple) and item[0] == "new"]
    work: list[Future[_Outcome] | tuple[bytes, str, Origin | None]] = [
        executor.submit(_analyse_job, job) if executor is not None and len(job[0]) <= SHIP_MAX_BYTES else job
        for job in jobs
    ]
    del jobs
    outcomes = (_analyse_job(w) if isinstance(w, tuple) else w.result() for w in work)
    return _Chunk(items, outcomes, _held(items))


_WRITE_ERRORS = (OSError, sqlite3.OperationalError)


def _write_failure(exc: BaseException, stored: int) -> LibraryWriteError:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            reason = "the disk is full"
    else:
        reason = "the disk is full" if "full" in str(exc) else str(exc)
    return LibraryWriteError(
        f"cannot write to the library ({reason}); the import stopped, {stored} file(s) of it were stored whole "
        "and nothing was half-stored; make room and import again (stored files are then duplicates)"
    )


def _finish_chunk(library: Library, chunk: _Chunk, state: _State, emit: Callable[[ImportResult], None]) -> None:
    """Store the chunk's analysed files and report every item in order.

    Originals are archived without a sync each; before the rows naming them are committed (one transaction per
    file), one sync makes a group of them durable: archive first, then commit, so a crash leaves at most an
    orphan original, never a run without its original. A write that fails (a full disk) stops the import with
    the results of what was stored already reported.
    """
    waiting: list[tuple[Any, ImportResult | None]] = []  # items in order, with their result once known
    pending: list[tuple[int, Source, int, str, str, _Outcome]] = []  # analysed files to commit
    reported = 0  # waiting[:reported] are out already (Ctrl-C may interrupt a report: never one twice)

    def report_known() -> None:
        nonlocal reported
        while reported < len(waiting):
            item, result = waiting[reported]
            if result is None:
                if isinstance(item, tuple) and item[0] == "copy" and item[2] in state.first:
                    original = state.first[item[2]]
                    status = "duplicate" if original.status in ("imported", "duplicate") else original.status
                    result = ImportResult(item[1].path, status, original.run_ids, original.error)
                else:
                    return  # not stored (yet)
            elif isinstance(item, tuple):
                state.first[item[3]] = result
            reported += 1
            emit(result)

    def flush() -> None:
        library.sync_archive([name for *_, name, _ in pending])
        while pending:
            index, source, size, sha, name, outcome = pending[0]
            waiting[index] = (waiting[index][0], _commit(library, source, size, sha, name, outcome))
            pending.pop(0)
            state.stored += 1
        report_known()

    try:
        for item in chunk.items:
            if isinstance(item, ImportResult):
                waiting.append((item, item))
            elif item[0] == "copy":
                waiting.append((item, None))
            else:
                _, source, data, sha = item
                outcome = next(chunk.outcomes)
                if outcome.status == "ok":
                    suffix = Path(source.name).suffix or "." + _format(source)
                    name = library.archive_file(sha, suffix, data, sync=False)
                    pending.append((len(waiting), source, len(data), sha, name, outcome))
                    waiting.append((item, None))
                else:
                    waiting.append((item, _not_stored(library, source, sha, outcome)))
            if len(pending) >= SYNC_FILES:
                flush()
        flush()
        chunk.items.clear()  # its files' bytes are archived: free them (and the jobs that name them)
        chunk.outcomes = iter(())
    except _WRITE_ERRORS as exc:
        try:
            flush()  # the originals archived before the failure: stored if the disk still takes the rows
        except _WRITE_ERRORS:
            for index, *_ in pending:  # archived but never committed: not reported as stored
                waiting[index] = (waiting[index][0], None)
            report_known()
        raise _write_failure(exc, state.stored) from None
    except BaseException:  # Ctrl-C: report what was stored whole, then stop
        report_known()
        raise


def _format(source: Source) -> str:
    return Path(source.name).suffix.lower().lstrip(".")


def _not_stored(library: Library, source: Source, sha: str, outcome: _Outcome) -> ImportResult:
    if outcome.status == "skipped":
        logged = False
        if outcome.training is not None:
            start_utc, duration_s, label = outcome.training
            if start_utc is not None:
                logged = _log_training(library, sha, start_utc, duration_s, label)
        return ImportResult(source.path, "skipped", error=outcome.reason, logged_session=logged)
    return ImportResult(source.path, "rejected", error=outcome.reason)


def _commit(library: Library, source: Source, size: int, sha: str, archive_name: str, outcome: _Outcome) -> ImportResult:
    try:
        run_ids = library.insert_file(
            sha, Path(source.name).name, size, _format(source), archive_name, outcome.runs, source.origin
        )
    except DuplicateFileError as exc:  # another importer stored the same bytes a moment ago
        return ImportResult(source.path, "duplicate", tuple(exc.run_ids))
    load_plugins("run_imported")
    if pm.hook.run_imported.get_hookimpls():  # a plugin listens: give it each run as the library holds it
        for run_id in run_ids:
            pm.hook.run_imported(run=library.get_run(run_id))
    return ImportResult(source.path, "imported", tuple(run_ids))


def _log_training(library: Library, sha: str, start_utc: datetime, duration_s: float, label: str) -> bool:
    """A strength or mobility activity from the watch counts as an ankle session done."""
    day = start_utc.astimezone(library.settings.tz).date()
    try:
        return library.add_log(day, "session", value=round(duration_s / 60.0, 1), note=label, source=sha) is not None
    except InvalidDateError:  # a watch whose clock was never set (1989) or runs ahead: not a session to count
        return False


def import_paths(
    library: Library,
    inputs: Iterable[str | Path],
    *,
    workers: int | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    suffixes = set(get_readers())
    return import_sources(library, find_sources(inputs, suffixes), workers=workers, on_result=on_result)


def reanalyze(
    library: Library, *, everything: bool = False, on_file: Callable[[str], None] | None = None
) -> tuple[int, list[str]]:
    """Recompute runs from the archived originals: those with outdated signals, or all of them.

    Returns how many files were re-analysed and the problems met; a file that no longer reads keeps its runs.
    """
    from stridelink.signals.compute import METHOD_VERSION

    hashes = library.file_hashes() if everything else library.outdated_files(METHOD_VERSION)
    problems = []
    for sha in hashes:
        name = library.file_name(sha)
        try:
            data = library.archived_bytes(sha)
        except OSError as exc:
            problems.append(f"{name}: archived original unreadable ({exc.strerror or exc}); `stridelink doctor`")
            continue
        analysis = analyse(data, name)
        if analysis.status == "ok":
            library.replace_runs(sha, analysis.activities)
        else:
            problems.append(f"{name}: {analysis.reason}; its runs were kept as they were")
        if on_file is not None:
            on_file(name)
    return len(hashes), problems
