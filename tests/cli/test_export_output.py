"""`export -o` writes what it is pointed at: through links, into devices and pipes, atomically over files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _export(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", "ics", "--week", "2026-W49", *args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_regular_file_is_replaced_atomically_keeping_its_permissions(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "plan.ics"
    target.write_bytes(b"old")
    target.chmod(0o640)
    inode = target.stat().st_ino
    code, out = _export("-o", str(target))
    assert code == 0, out
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert target.stat().st_ino != inode  # a new file renamed over the old one: never half written
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["plan.ics"]  # no temp file left


def test_a_symbolic_link_stays_a_link_and_its_target_gets_the_plan(tmp_path: Path) -> None:
    (tmp_path / "sync").mkdir()
    real = tmp_path / "sync" / "ankle.ics"
    real.write_bytes(b"old")
    link = tmp_path / "ankle.ics"
    link.symlink_to(Path("sync") / "ankle.ics")
    code, out = _export("-o", str(link))
    assert code == 0, out
    assert link.is_symlink() and os.readlink(link) == str(Path("sync") / "ankle.ics")
    assert real.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_a_link_to_standard_output_writes_to_it(tmp_path: Path) -> None:
    link = tmp_path / "out.ics"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    done = subprocess.run(
        [sys.executable, "-m", "stridelink", "export", "ics", "--week", "2026-W49", "-o", str(link)],
        capture_output=True,
        env={**os.environ},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"BEGIN:VCALENDAR")
    assert link.is_symlink()


def test_a_named_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "calendar.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, out = _export("-o", str(fifo))
    reader.join(timeout=60)
    assert code == 0, out
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith(b"BEGIN:VCALENDAR")


@pytest.mark.skipif(not IS_ROOT, reason="making device nodes needs root")
def test_devices_stay_devices_and_a_full_one_is_one_line(tmp_path: Path) -> None:
    null, full = tmp_path / "null", tmp_path / "full"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    code, out = _export("-o", str(null))
    assert code == 0, out
    assert stat.S_ISCHR(null.stat().st_mode)
    code, out = _export("-o", str(full))
    assert code == 1 and "No space left on device" in out and len(out.strip().splitlines()) == 1
    assert stat.S_ISCHR(full.stat().st_mode)


def test_a_missing_folder_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    code, out = _export("-o", str(tmp_path / "no" / "such" / "plan.ics"))
    assert code == 1 and "does not exist" in out and len(out.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("where", ["/proc/stridelink-plan.ics", "{tmp}/a-file/plan.ics"])
def test_an_unwritable_place_is_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_bytes(b"")
    code, out = _export("-o", where.format(tmp=tmp_path))
    assert code == 1 and len(out.strip().splitlines()) == 1 and out.startswith("Error: cannot write")
