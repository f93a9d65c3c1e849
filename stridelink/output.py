"""Writing a file the user named (``export -o``, automatic exports, the report): safely, whatever it is.

A regular file is replaced in one step (a temp file beside it, then a rename), so a calendar app never reads half
of one. A symbolic link is written through: the file it points to is replaced and the link stays a link. A device
or a named pipe (``/dev/stdout``, ``/dev/null``, a FIFO a program reads) is written to directly, never replaced by
a regular file. Folders are never created: a missing one is an error that says so. Every failure is one line.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from stridelink.errors import StridelinkError
from stridelink.text import safe


class OutputError(StridelinkError):
    """The file cannot be written: a missing folder, no permission, a full disk."""


_MAX_LINKS = 40
_STREAMS = ("/proc/", "/dev/fd/")  # links into these name an open stream (/dev/stdout), not a file to replace


def _follow(path: Path) -> Path | None:
    """Where ``path`` leads once its own symbolic links are followed; None when it names an open stream."""
    current = str(path)
    for _ in range(_MAX_LINKS):
        if current.startswith(_STREAMS):
            return None
        if not os.path.islink(current):
            return Path(current)
        target = os.readlink(current)
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    raise OutputError(f"cannot write {safe(path)}: too many levels of symbolic links")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _write_stream(path: Path, data: bytes, shown: str) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as described above; OutputError (one line) when it cannot be done."""
    shown = safe(path)
    try:
        target = _follow(path)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if target is None:
        _write_stream(path, data, shown)
        return
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {shown}: it is a folder; name a file")
    if info is not None and stat.S_ISSOCK(info.st_mode):
        raise OutputError(f"cannot write {shown}: it is a socket, not a file")
    if info is not None and not stat.S_ISREG(info.st_mode):  # a device or a named pipe: write into it
        _write_stream(path, data, shown)
        return
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {shown}: the folder {safe(folder)} does not exist; create it first")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)  # as the file it replaces was, or as an ordinary new file would be
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
