"""Cold starts: fresh `stridelink` processes against a fresh `python -c pass`, in turns."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure import Row, spread, times_x
from realfiles import child_env, stridelink_command

TARGETS_MS = {"--help": 150.0, "runs": 250.0, "plan": 400.0}


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit status {done.returncode}: {done.stderr.strip()[-300:]}")
    return seconds


def startup_rows(home: Path, runs_in_library: int, rounds: int) -> list[Row]:
    """`--help`, `runs` and `plan` on the library ``home``; each round runs every command once, order rotated."""
    env = child_env(home)
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    for arg in TARGETS_MS:
        commands[arg] = [*stridelink_command(), arg]
    for command in commands.values():
        _wall(command, env)  # warm the OS file cache, and `plan` stores this week's plan as a first call does
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(_wall(commands[name], env))
    python = statistics.median(times["python -c pass"])
    rows = [Row(f"cold start, {rounds} rounds in turns: python -c pass", "", spread(times["python -c pass"]),
                "", "", None)]  # fmt: skip
    for arg, target in TARGETS_MS.items():
        median = statistics.median(times[arg])
        shown = f"stridelink {arg}" + (f" ({runs_in_library} runs in the library)" if arg != "--help" else "")
        rows.append(Row(f"  {shown}", "", spread(times[arg]), times_x(median / python) + " python",
                        f"<= {target:g} ms", median * 1000 <= target))  # fmt: skip
    return rows
