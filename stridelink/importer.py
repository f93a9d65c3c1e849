"""Importing files into the library: find them, read them, analyse them, store each in one transaction.

Every file found ends as exactly one ImportResult: ``imported``, ``duplicate``, ``skipped`` (valid, but no foot
activity) or ``rejected`` (unreadable). Nothing here raises for a bad file; one file never stops the others.
Reading and analysis run in worker processes for large batches; only the main process writes to SQLite.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stridelink.errors import NotARunError, TrainingSessionFile, UnreadableFileError
from stridelink.models import Activity, Reader, Signals
from stridelink.plugins import get_readers, pm
from stridelink.store.library import DuplicateFileError, Library, PreparedRun, prepare_run

MAX_FILE_BYTES = 256 * 1024 * 1024  # no watch file comes near this; larger ones are refused unread
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
PARALLEL_MIN_FILES = 16
CHUNK_FILES = 64
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
class Source:
    """A file to import: where it was found and how to get its bytes."""

    path: str
    name: str
    load: Callable[[], bytes] = field(repr=False)


@dataclass(frozen=True)
class Analysis:
    status: str  # ok, skipped, rejected
    activities: tuple[tuple[Activity, Signals | None], ...] = ()
    reason: str | None = None
    training: TrainingSessionFile | None = None


def _read_limited(path: Path) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFileError(f"larger than {MAX_FILE_BYTES // 2**20} MB: not an activity file")
    return data


def _zip_sources(path: Path, display: str, suffixes: set[str]) -> Iterator[Source | ImportResult]:
    """Members of a zip archive, read in memory (nothing is extracted to disk)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield ImportResult(display, "rejected", error=f"not a readable zip archive ({exc})")
        return
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            yield ImportResult(display, "rejected", error=f"zip archive with {len(members)} entries: too many")
            return
        total = 0
        for info in members:
            shown = f"{display}!{info.filename}"
            suffix = Path(info.filename).suffix.lower()
            if suffix not in suffixes and suffix != ".zip":
                continue
            total += info.file_size
            if stat.S_ISLNK(info.external_attr >> 16):
                yield ImportResult(shown, "rejected", error="a symbolic link inside the archive: not followed")
            elif suffix == ".zip":
                yield ImportResult(shown, "rejected", error="an archive inside an archive: unpack the outer one first")
            elif info.flag_bits & 0x1:
                yield ImportResult(shown, "rejected", error="encrypted archive entry")
            elif info.file_size > MAX_FILE_BYTES or total > MAX_ZIP_TOTAL_BYTES:
                yield ImportResult(shown, "rejected", error="unpacks to an implausible size (a zip bomb?)")
            else:
                yield Source(shown, info.filename, _zip_loader(path, info))


_open_archive: dict[Path, zipfile.ZipFile] = {}  # the archive being read, kept open between its entries


def _archive(path: Path) -> zipfile.ZipFile:
    if path not in _open_archive:
        for other in _open_archive.values():
            other.close()
        _open_archive.clear()
        _open_archive[path] = zipfile.ZipFile(path)
    return _open_archive[path]


def _zip_loader(path: Path, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def load() -> bytes:
        try:
            with _archive(path).open(info) as fh:
                data = fh.read(MAX_FILE_BYTES + 1)  # the declared size may lie: never read past the limit
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error, ValueError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UnreadableFileError(f"damaged archive entry ({detail})") from None
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableFileError("unpacks to an implausible size (a zip bomb?)")
        return data

    return load


def find_sources(inputs: Iterable[str | Path], suffixes: set[str]) -> Iterator[Source | ImportResult]:
    """Expand files, folders (recursively, sorted) and zip archives into sources, in a stable order."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    child = Path(root) / name
                    suffix = child.suffix.lower()
                    if suffix == ".zip":
                        yield from _zip_sources(child, str(child), suffixes)
                    elif suffix in suffixes and not child.is_symlink():
                        yield Source(str(child), name, lambda p=child: _read_limited(p))
        elif path.suffix.lower() == ".zip":
            yield from _zip_sources(path, str(path), suffixes)
        elif path.suffix.lower() in suffixes:
            yield Source(str(path), path.name, lambda p=path: _read_limited(p))
        elif path.exists():
            known = ", ".join(sorted(suffixes))
            yield ImportResult(str(path), "rejected", error=f"unsupported file type (stridelink reads {known}, .zip)")
        else:
            yield ImportResult(str(path), "rejected", error="no such file")


def analyse(data: bytes, name: str) -> Analysis:
    """Read one file's bytes and compute the signals of each foot activity. Never raises for a bad file."""
    reader = get_readers().get(Path(name).suffix.lower())
    if reader is None:
        return Analysis("rejected", reason="unsupported file type")
    try:
        activities = _read(reader, data, name)
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
    try:
        from stridelink.signals.compute import compute_signals
    except ImportError:
        return None
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


def _analyse_job(job: tuple[bytes, str]) -> _Outcome:
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
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def import_sources(
    library: Library,
    sources: Iterable[Source | ImportResult],
    *,
    workers: int | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Import every source; results come back in the order the sources were found.

    Files are read in chunks so a batch of years of files never sits in memory at once; while the main process
    stores one chunk, the workers already analyse the next.
    """
    found = list(sources)
    results: list[ImportResult] = []

    def emit(result: ImportResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    count = sum(isinstance(s, Source) for s in found)
    parallel = workers if workers is not None else (min(os.cpu_count() or 1, 8) if count >= PARALLEL_MIN_FILES else 1)
    _preload()
    executor: Executor | None = ProcessPoolExecutor(parallel) if parallel > 1 else None
    state = _State()
    try:
        previous: _Chunk | None = None
        for start in range(0, len(found), CHUNK_FILES):
            chunk = _start_chunk(library, found[start : start + CHUNK_FILES], executor, state)
            if previous is not None:
                _finish_chunk(library, previous, state, emit)
            previous = chunk
        if previous is not None:
            _finish_chunk(library, previous, state, emit)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return results


@dataclass
class _State:
    seen: set[str] = field(default_factory=set)  # hashes met in this import
    first: dict[str, ImportResult] = field(default_factory=dict)  # the result of each hash's first file


@dataclass
class _Chunk:
    # Each item: a finished result, ("new", source, data, sha) or ("copy", source, sha) for repeated bytes.
    items: list[Any]
    outcomes: Iterator[_Outcome]


def _start_chunk(
    library: Library, chunk: list[Source | ImportResult], executor: Executor | None, state: _State
) -> _Chunk:
    """Read the chunk's files and hand the new ones to the workers."""
    ready: list[Any] = []
    for source in chunk:
        if isinstance(source, ImportResult):
            ready.append(source)
            continue
        try:
            data = source.load()
        except UnreadableFileError as exc:
            ready.append(ImportResult(source.path, "rejected", error=str(exc)))
            continue
        except OSError as exc:
            ready.append(ImportResult(source.path, "rejected", error=f"cannot read the file: {exc.strerror or exc}"))
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in state.seen:
            ready.append(("copy", source, sha))
            continue
        known = library.run_ids_of_file(sha)
        if known is not None:
            ready.append(ImportResult(source.path, "duplicate", tuple(known)))
        else:
            state.seen.add(sha)
            ready.append(("new", source, data, sha))
    jobs = [(item[2], item[1].name) for item in ready if isinstance(item, tuple) and item[0] == "new"]
    outcomes = executor.map(_analyse_job, jobs, chunksize=2) if executor else map(_analyse_job, jobs)
    return _Chunk(ready, iter(outcomes))


def _finish_chunk(library: Library, chunk: _Chunk, state: _State, emit: Callable[[ImportResult], None]) -> None:
    """Store the chunk's analysed files and report every item in order.

    Originals are archived without a sync each; before the rows naming them are committed (one transaction per
    file), one sync makes a group of them durable: archive first, then commit, so a crash leaves at most an
    orphan original, never a run without its original.
    """
    waiting: list[tuple[Any, ImportResult | None]] = []  # items in order, with their result once known
    pending: list[tuple[int, Source, int, str, str, _Outcome]] = []  # analysed files to commit

    def flush() -> None:
        library.sync_archive([name for *_, name, _ in pending])
        for index, source, size, sha, name, outcome in pending:
            waiting[index] = (waiting[index][0], _commit(library, source, size, sha, name, outcome))
        pending.clear()
        for item, result in waiting:
            if result is None:  # a copy of bytes met earlier: the same outcome as the first
                original = state.first[item[2]]
                status = "duplicate" if original.status in ("imported", "duplicate") else original.status
                result = ImportResult(item[1].path, status, original.run_ids, original.error)
            elif isinstance(item, tuple):
                state.first[item[3]] = result
            emit(result)
        waiting.clear()

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
        run_ids = library.insert_file(sha, Path(source.name).name, size, _format(source), archive_name, outcome.runs)
    except DuplicateFileError as exc:  # another importer stored the same bytes a moment ago
        return ImportResult(source.path, "duplicate", tuple(exc.run_ids))
    if pm.hook.run_imported.get_hookimpls():  # a plugin listens: give it each run as the library holds it
        for run_id in run_ids:
            pm.hook.run_imported(run=library.get_run(run_id))
    return ImportResult(source.path, "imported", tuple(run_ids))


def _log_training(library: Library, sha: str, start_utc: datetime, duration_s: float, label: str) -> bool:
    """A strength or mobility activity from the watch counts as an ankle session done."""
    day = start_utc.astimezone(library.settings.tz).date()
    return library.add_log(day, "session", value=round(duration_s / 60.0, 1), note=label, source=sha) is not None


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
