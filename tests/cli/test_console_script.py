"""The installed ``stridelink`` command and ``python -m stridelink`` leave without the interpreter's teardown:
their exit statuses, output into files and pipes, exit handlers and errors stay what Python and click make them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from stridelink import __version__
from tests.conftest import ROOT, SAMPLE_RUNS

SCRIPT = shutil.which("stridelink", path=str(Path(sys.executable).parent))
LAUNCHERS = {
    "console script": [SCRIPT] if SCRIPT else None,
    "python -m": [sys.executable, "-m", "stridelink"],
}

# A third-party plugin whose commands leave work for the exit: unflushed output, an exit handler, a thread.
PLUGIN = '''\
import atexit, sys, threading, time
import click
from pluggy import HookimplMarker

hookimpl = HookimplMarker("stridelink")

@hookimpl
def register_commands(cli):
    @cli.command("late")
    @click.option("--size", type=int, default=0)
    def late(size):
        sys.stdout.write("x" * size)  # left in the buffer, never flushed by the command
        atexit.register(lambda: print("said at exit"))

        def slow():
            time.sleep(0.3)
            print("said by a thread")

        threading.Thread(target=slow).start()

    @cli.command("leave")
    @click.argument("code")
    def leave(code):
        raise SystemExit(int(code) if code.lstrip("-").isdigit() else code)
'''


def _launcher(name: str) -> list[str]:
    command = LAUNCHERS[name]
    if command is None:
        pytest.skip("stridelink is not installed as a console script next to this Python")
    return command


def _env(home: Path, site: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "STRIDELINK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)  # output buffered, as for most users: what a hasty exit could lose
    if site is None:
        env["STRIDELINK_LOAD_PLUGINS"] = ""
    else:
        env.pop("STRIDELINK_LOAD_PLUGINS", None)
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    return env


def _plugin_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    info = site / "stridelink_late-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stridelink-late\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[stridelink]\nlate = stridelink_late\n")
    (site / "stridelink_late.py").write_text(PLUGIN)
    return site


def _closed_pipe_run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe nobody reads any more (as `| head` after it stopped)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=120,
                              check=False)  # fmt: skip
    finally:
        os.close(write_end)


def test_the_installed_command_and_python_m_use_the_fast_exit() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["stridelink"] == "stridelink.cli:main"
    assert "main(" in (ROOT / "stridelink" / "__main__.py").read_text()


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_import_output_reaches_a_file_and_a_pipe_whole(tmp_path: Path, launcher: str) -> None:
    command = _launcher(launcher)
    files = sorted(str(p) for p in SAMPLE_RUNS.iterdir() if p.suffix in (".fit", ".gpx"))
    out_file = tmp_path / "out.jsonl"
    with out_file.open("w") as out:
        done = subprocess.run([*command, "import", "--json", *files], stdout=out, stderr=subprocess.PIPE,
                              text=True, env=_env(tmp_path / "a"), timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert sorted(row["path"] for row in rows) == files
    statuses = {row["status"] for row in rows}
    assert "imported" in statuses and statuses <= {"imported", "skipped"}  # a file that is not a run: skipped
    piped = subprocess.run([*command, "import", "--json", *files], capture_output=True, text=True,
                           env=_env(tmp_path / "b"), timeout=300, check=False)  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert [json.loads(line)["path"] for line in piped.stdout.splitlines()] == [row["path"] for row in rows]
    listed = subprocess.run([*command, "runs", "--json"], capture_output=True, text=True,
                            env=_env(tmp_path / "b"), timeout=120, check=False)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == len({run for row in rows for run in row["run_ids"]})


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
@pytest.mark.parametrize(
    ("args", "status", "stdout_has", "stderr_has"),
    [
        (["--version"], 0, f"stridelink, version {__version__}", ""),
        (["--help"], 0, "Commands:", ""),
        ([], 2, "", "Usage: stridelink [OPTIONS] COMMAND"),
        (["nosuch"], 2, "", "Error: No such command 'nosuch'."),
        (["import"], 2, "", "Error: name files or folders to import, or use --device"),
        (["plan", "--week", "2026-W99"], 2, "", "Error: Invalid value for '--week'"),
        (["show", "nosuchid"], 1, "", "Error: no run 'nosuchid' in the library"),
        (["export", "nosuch", "-o", "x.ics"], 1, "", "Error: no exporter named 'nosuch'"),
    ],
)
def test_exit_statuses_and_messages(
    tmp_path: Path, launcher: str, args: list[str], status: int, stdout_has: str, stderr_has: str
) -> None:
    done = subprocess.run([*_launcher(launcher), *args], capture_output=True, text=True, cwd=tmp_path,
                          env=_env(tmp_path / "library"), timeout=120, check=False)  # fmt: skip
    assert done.returncode == status, done.stderr
    assert stdout_has in done.stdout and stderr_has in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # fresh interpreters
def test_a_rejected_file_exits_1_after_reporting_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fit"
    bad.write_bytes(b"garbage")
    done = subprocess.run([*_launcher("console script"), "import", str(bad)], capture_output=True, text=True,
                          env=_env(tmp_path / "library"), timeout=120, check=False)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"rejected: {bad}: too short to be a FIT file", "0 imported, 0 duplicate, 0 skipped, 1 rejected"
    ]


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_a_closed_pipe_exits_1_quietly(tmp_path: Path, launcher: str) -> None:
    for args in (["--help"], ["runs", "--json"], ["plan"]):
        done = _closed_pipe_run([*_launcher(launcher), *args], _env(tmp_path / "library"))
        assert (done.returncode, done.stderr) == (1, ""), args


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_unflushed_output_exit_handlers_and_threads_all_finish(tmp_path: Path, launcher: str) -> None:
    site = _plugin_site(tmp_path)
    out_file = tmp_path / "out.txt"
    with out_file.open("w") as out:
        done = subprocess.run([*_launcher(launcher), "late", "--size", "300000"], stdout=out,
                              stderr=subprocess.PIPE, text=True, env=_env(tmp_path / "library", site),
                              timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out_file.read_text()
    assert text.startswith("x" * 300000)
    assert sorted(text[300000:].splitlines()) == ["said at exit", "said by a thread"]


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize(("code", "status", "stderr"), [("0", 0, ""), ("3", 3, ""), ("why", 1, "why\n")])
def test_a_command_leaving_with_system_exit_keeps_its_status(
    tmp_path: Path, code: str, status: int, stderr: str
) -> None:
    site = _plugin_site(tmp_path)
    done = subprocess.run([*_launcher("console script"), "leave", code], capture_output=True, text=True,
                          env=_env(tmp_path / "library", site), timeout=120, check=False)  # fmt: skip
    assert (done.returncode, done.stderr) == (status, stderr)


@pytest.mark.slow  # fresh interpreters
def test_output_that_cannot_be_delivered_at_exit_is_reported_as_python_does(tmp_path: Path) -> None:
    """Unflushed output into a pipe nobody reads: Python's own message and status 120, as without the fast exit."""
    site = _plugin_site(tmp_path)
    done = _closed_pipe_run([*_launcher("console script"), "late", "--size", "10"], _env(tmp_path / "library", site))
    assert done.returncode == 120, done.stderr
    assert "BrokenPipeError" in done.stderr
