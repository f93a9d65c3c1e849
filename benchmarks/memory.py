"""Peak memory of `stridelink import` on inputs built to be large: the figures in docs/reliability.md.

    python benchmarks/memory.py                 # about two minutes; needs ~7 GB of free disk (sparse files use little)
    python benchmarks/memory.py --only gpx      # one case

Each case runs `python -m stridelink import --json` in a child process on a fresh library and samples, every
20 ms, the resident set size of the child and of its worker processes together (the tree's peak); The floor is the same command on one small file.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
BIG = 250 * MB


def _sparse_fit(path: Path, size: int, seed: int) -> None:
    """A FIT header stating ``size`` bytes of data, then a hole: 250 MB on paper, a few KB on disk."""
    header = struct.pack("<BBHI4sH", 14, 0x10 + seed % 16, 2100 + seed, size - 16, b".FIT", 0)
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(size)


def _gpx(path: Path, points: int) -> None:
    """A track of ``points`` one-second points, written as a watch app would (time and position only)."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
                 'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>\n')  # fmt: skip
        step = timedelta(seconds=1)
        t = start
        for i in range(points):
            lat = 47.0 + (i % 20000) * 0.0000251
            lon = 8.0 + (i // 20000) * 0.0003
            fh.write(f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><time>{t:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>\n')
            t += step
        fh.write("</trkseg></trk></gpx>\n")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return total


def measure(inputs: list[Path], home: Path, code: Path = ROOT) -> dict[str, object]:
    env = {**os.environ, "STRIDELINK_HOME": str(home), "STRIDELINK_LOAD_PLUGINS": "", "PYTHONPATH": str(code)}
    started = time.perf_counter()
    probe = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
             "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
    command = [sys.executable, "-m", "stridelink", "import", *map(str, inputs), "--json"]
    process = subprocess.Popen([sys.executable, "-c", probe, *command], env=env, cwd=code,  # `-m` looks here first
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    rows = [json.loads(line) for line in out.splitlines()]
    lines = err.decode(errors="replace").splitlines()
    peak_kb = int(next(line for line in lines if line.startswith("PEAK")).split()[1])
    err = "\n".join(line for line in lines if not line.startswith("PEAK")).encode()
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "process_peak_mb": round(peak_kb / 1024),  # the largest single process (kernel high-water mark)
        "tree_peak_mb": round(peak[0] / MB),  # the import and its workers together, sampled
        "exit": process.returncode,
        "lines": len(rows),
        "statuses": statuses,
        "stderr": err.decode(errors="replace").strip().splitlines()[-1:] if err.strip() else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["floor", "six", "sixteen", "zip", "gpx"], action="append")
    parser.add_argument("--keep", type=Path, help="build the inputs here and keep them")
    parser.add_argument("--code", type=Path, default=ROOT, help="the stridelink checkout to measure")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="stridelink-memory-"))
    base.mkdir(parents=True, exist_ok=True)

    def folder_of(name: str, count: int) -> list[Path]:
        folder = base / name
        folder.mkdir(exist_ok=True)
        for i in range(count):
            target = folder / f"big{i:02d}.fit"
            if not target.exists():
                _sparse_fit(target, BIG, i)
        return [folder]

    def floor() -> list[Path]:
        from stridelink.demo.simulator import make_run, to_fit
        from datetime import UTC, datetime

        small = base / "small.fit"
        small.write_bytes(to_fit(make_run("easy_road", datetime(2024, 5, 1, 6, tzinfo=UTC), seed=1, duration_s=600)))
        return [small]

    def zipped() -> list[Path]:
        archive = base / "bombs.zip"
        if not archive.exists():
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
                for i in range(16):
                    with zf.open(f"activities/big{i:02d}.fit", "w", force_zip64=True) as fh:
                        fh.write(struct.pack("<BBHI4sH", 14, 0x10, 2100 + i, BIG - 16, b".FIT", 0))
                        zero = bytes(MB)
                        for _ in range(BIG // MB):
                            fh.write(zero)
                        fh.write(bytes(BIG % MB - 14) if BIG % MB >= 14 else b"")
        return [archive]

    def gpx() -> list[Path]:
        track = base / "long.gpx"
        if not track.exists():
            _gpx(track, 3_300_000)
        return [track]

    cases: dict[str, Callable[[], list[Path]]] = {
        "floor": floor,
        "six": lambda: folder_of("six", 6),
        "sixteen": lambda: folder_of("sixteen", 16),
        "zip": zipped,
        "gpx": gpx,
    }
    for name in args.only or list(cases):
        inputs = cases[name]()
        size = sum(p.stat().st_size if p.is_file() else sum(q.stat().st_size for q in p.iterdir()) for p in inputs)
        result = measure(inputs, Path(tempfile.mkdtemp(prefix="stridelink-memory-home-")), args.code)
        print(json.dumps({"case": name, "input_mb_on_disk_or_apparent": round(size / MB), **result}), flush=True)


if __name__ == "__main__":
    main()
