"""Importing by itself: watch folders (a mounted watch, a sync folder) and import files once fully written.

A file counts as complete when its size and modification time have not changed for ``settle_s`` seconds; what is
in it is then the reader's to judge (a file still damaged is rejected, and tried again if it changes). Nothing is
decided from the content (a closing tag, a FIT header's size), which silently lost files whose content is
unusual but readable. Every file the watcher sees is reported: imported, duplicate, skipped, rejected, or
waiting/gone with why. Only regular files are read; links to files are followed, as ``import`` does.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stridelink import app, paths
from stridelink.errors import StridelinkError
from stridelink.importer import ImportResult
from stridelink.plugins import get_readers
from stridelink.sources import ARCHIVE_SUFFIX, activity_name
from stridelink.store.library import Library

# Where watches that mount as USB drives keep their activities, relative to the volume.
DEVICE_ACTIVITY_FOLDERS = (
    "GARMIN/Activity",
    "GARMIN/ACTIVITY",
    "Garmin/Activities",
    "GARMIN/Activities",
    "COROS/Activity",
    "COROS/Fit",
    "Suunto/Activities",
)


def mount_roots() -> list[Path]:
    """Folders under which removable volumes appear on Linux, macOS and Windows."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or ""
    roots = [Path("/media") / user, Path("/run/media") / user, Path("/media"), Path("/Volumes"), Path("/mnt")]
    if sys.platform == "win32":
        roots += [Path(f"{letter}:/") for letter in "DEFGHIJKLMNOPQRSTUVWXYZ"]
    return roots


def find_device_folders(roots: Iterable[Path] | None = None) -> list[Path]:
    """Activity folders of mounted watches (Garmin, Coros, Suunto volumes), in a stable order."""
    found: list[Path] = []
    for root in roots if roots is not None else mount_roots():
        try:
            volumes = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            continue
        for volume in [root, *volumes]:
            for relative in DEVICE_ACTIVITY_FOLDERS:
                candidate = volume / relative
                if candidate.is_dir() and candidate not in found:
                    found.append(candidate)
    return found


@dataclass(frozen=True, slots=True)
class Pending:
    """A file the watcher saw but has not imported (yet): ``waiting`` (still changing) or ``gone``."""

    path: str
    status: str  # waiting, gone
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "run_id": None, "error": self.error}


@dataclass
class _Watching:
    size: int
    mtime_ns: int
    since: float  # when the size and time were last seen to change
    first_seen: float
    told: bool = False  # "waiting" reported already


class SettledFiles:
    """Tracks candidate files until their size and modification time stop changing."""

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s
        self._seen: dict[Path, _Watching] = {}
        self._done: dict[Path, tuple[int, int]] = {}  # what was handed out, so late events do not repeat it
        self._lock = threading.Lock()

    @staticmethod
    def _stat(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            try:
                st = path.lstat()  # a broken link is still a file to report (rejected, with why)
            except OSError:
                return None
        return st.st_size, st.st_mtime_ns

    def touch(self, path: Path) -> None:
        state = self._stat(path)
        if state is None:
            return
        now = time.monotonic()
        with self._lock:
            if self._done.get(path) != state and path not in self._seen:
                self._seen[path] = _Watching(-1, -1, now, now)

    def forget(self, path: Path) -> None:
        """Hand ``path`` out again once it settles (its import could not be stored)."""
        with self._lock:
            self._done.pop(path, None)
        self.touch(path)

    def ready(self) -> tuple[list[Path], list[Pending]]:
        """Files settled since the last call, and news of files that are not: still changing, or gone."""
        now, done, news = time.monotonic(), [], []
        with self._lock:
            for path, seen in list(self._seen.items()):
                state = self._stat(path)
                if state is None:
                    del self._seen[path]
                    news.append(Pending(str(path), "gone", "removed before it was complete; not imported"))
                elif state != (seen.size, seen.mtime_ns):
                    seen.size, seen.mtime_ns, seen.since = *state, now
                    if not seen.told and now - seen.first_seen >= self.settle_s:
                        seen.told = True
                        news.append(Pending(str(path), "waiting", "still being written (its size or time keeps "
                                                                  "changing); imported once it stops"))  # fmt: skip
                elif now - seen.since >= self.settle_s:
                    done.append(path)
                    del self._seen[path]
                    self._done[path] = state
        return sorted(done), news

    def waiting(self) -> list[Pending]:
        """Files still unsettled (when the watcher stops)."""
        with self._lock:
            return [Pending(str(p), "waiting", "still being written when the watch stopped; not imported")
                    for p in sorted(self._seen)]  # fmt: skip


def is_candidate(path: Path, suffixes: set[str]) -> bool:
    """An activity file (gzipped or not) or an archive, by name, in any letter case."""
    return activity_name(path.name, suffixes) is not None or path.name.lower().endswith(ARCHIVE_SUFFIX)


def candidates(folders: Sequence[Path], suffixes: set[str]) -> list[Path]:
    """Activity files and archives in ``folders`` (any kind of file: a pipe is reported, never opened); the
    library's own archive is never among them. Links to folders are not followed (as ``import``)."""
    archive = paths.archive_path().resolve()
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                if is_candidate(path, suffixes) and not path.resolve().is_relative_to(archive):
                    found.append(path)
    return found


def watch_folders(
    library: Library,
    folders: Sequence[Path],
    *,
    settle_s: float = 2.0,
    poll_s: float = 0.5,
    stop: threading.Event | None = None,
    on_batch: Callable[[app.Ingested], None] | None = None,
    on_pending: Callable[[list[Pending]], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_export_error: Callable[[Exception], None] | None = None,
) -> None:
    """Import files appearing in ``folders`` until ``stop`` is set (or forever); each batch of settled files
    goes through ``app.ingest`` (import, re-plan, exports), with the settings file read again before it.

    ``on_pending`` hears of files that are not imported yet (still changing, gone, and at the end those still
    waiting); ``on_error`` of a batch that could not be stored (a full disk), whose files are tried again;
    ``on_export_error`` of an automatic export that failed after its batch was stored (watching goes on).
    """
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    suffixes = set(get_readers())
    archive = paths.archive_path(library.home).resolve()
    pending = SettledFiles(settle_s)

    class Handler(FileSystemEventHandler):  # type: ignore[misc]
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory:
                return
            target = getattr(event, "dest_path", "") or event.src_path
            path = Path(os.fsdecode(target))
            if is_candidate(path, suffixes) and not path.resolve().is_relative_to(archive):
                pending.touch(path)

    observer = Observer()
    for folder in folders:
        observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()  # before the first scan: nothing written in between is missed
    for path in candidates(folders, suffixes):  # files already there when watching starts
        pending.touch(path)
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            ready, news = pending.ready()
            if news and on_pending is not None:
                on_pending(news)
            if ready:
                library.reload_settings()  # an edit made while watching counts from the next batch
                stored: list[ImportResult] = []
                try:
                    batch = app.ingest(
                        library, ready, on_result=stored.append,
                        on_export_error=on_export_error or (lambda _exc: None),
                    )
                except StridelinkError as exc:
                    reported = {r.path for r in stored}
                    for path in ready:
                        if str(path) not in reported:
                            pending.forget(path)
                    if stored and on_batch is not None:
                        on_batch(app.Ingested(stored, []))
                    if on_error is not None:
                        on_error(str(exc))
                    stop.wait(max(poll_s, settle_s))
                    continue
                if on_batch is not None:
                    on_batch(batch)
            stop.wait(poll_s)
    finally:
        observer.stop()
        observer.join()
        left = pending.waiting()
        if left and on_pending is not None:
            on_pending(left)
