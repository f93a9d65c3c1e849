"""Importing by itself: watch folders (a mounted watch, a sync folder) and import files once fully written.

A file counts as complete when its size and modification time have not changed for ``settle_s`` seconds and,
for FIT, when it is as long as its header says (a watch copying a file writes it in pieces).
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from stridelink import app, paths
from stridelink.plugins import get_readers
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


def looks_complete(path: Path) -> bool:
    """Whether a file's content says it was written to the end (FIT: header's data size; GPX: closing tag)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(14)
            if path.suffix.lower() == ".fit":
                if len(head) < 12 or head[8:12] != b".FIT":
                    return size > 0  # not FIT at all: the importer will say so
                header_size, data_size = head[0], struct.unpack_from("<I", head, 4)[0]
                return size >= header_size + data_size + 2
            if path.suffix.lower() in (".gpx", ".tcx"):
                fh.seek(max(0, size - 256))
                tail = fh.read()
                return b"</gpx>" in tail or b"</TrainingCenterDatabase>" in tail
    except OSError:
        return False
    return size > 0


class SettledFiles:
    """Tracks candidate files until they stop changing."""

    def __init__(self, settle_s: float) -> None:
        self.settle_s = settle_s
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, first seen unchanged)
        self._done: dict[Path, tuple[int, int]] = {}  # what was handed out, so late events do not repeat it
        self._lock = threading.Lock()

    def touch(self, path: Path) -> None:
        try:
            st = path.stat()
        except OSError:
            return
        with self._lock:
            if self._done.get(path) != (st.st_size, st.st_mtime_ns):
                self._seen.setdefault(path, (-1, -1, time.monotonic()))

    def ready(self) -> list[Path]:
        now, done = time.monotonic(), []
        with self._lock:
            for path, (size, mtime, since) in list(self._seen.items()):
                try:
                    st = path.stat()
                except OSError:
                    del self._seen[path]
                    continue
                if (st.st_size, st.st_mtime_ns) != (size, mtime):
                    self._seen[path] = (st.st_size, st.st_mtime_ns, now)
                elif now - since >= self.settle_s and looks_complete(path):
                    done.append(path)
                    del self._seen[path]
                    self._done[path] = (size, mtime)
        return sorted(done)


def candidates(folders: Sequence[Path], suffixes: set[str]) -> list[Path]:
    """Activity files in ``folders``; the library's own archive is never among them."""
    archive = paths.archive_path().resolve()
    return sorted(
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in suffixes and not p.resolve().is_relative_to(archive)
    )


def watch_folders(
    library: Library,
    folders: Sequence[Path],
    *,
    settle_s: float = 2.0,
    poll_s: float = 0.5,
    stop: threading.Event | None = None,
    on_batch: Callable[[app.Ingested], None] | None = None,
) -> None:
    """Import files appearing in ``folders`` until ``stop`` is set (or forever); each batch of settled files
    goes through ``app.ingest`` (import, re-plan, exports), with the settings file read again before it."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    suffixes = set(get_readers())
    archive = paths.archive_path(library.home).resolve()
    pending = SettledFiles(settle_s)
    for path in candidates(folders, suffixes):  # files already there when watching starts
        pending.touch(path)

    class Handler(FileSystemEventHandler):  # type: ignore[misc]
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory:
                return
            target = getattr(event, "dest_path", "") or event.src_path
            path = Path(os.fsdecode(target))
            if path.suffix.lower() in suffixes and not path.resolve().is_relative_to(archive):
                pending.touch(path)

    observer = Observer()
    for folder in folders:
        observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            ready = pending.ready()
            if ready:
                library.reload_settings()  # an edit made while watching counts from the next batch
                batch = app.ingest(library, ready)
                if on_batch is not None:
                    on_batch(batch)
            stop.wait(poll_s)
    finally:
        observer.stop()
        observer.join()
