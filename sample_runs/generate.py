"""Regenerate the sample activities in this folder: ``python sample_runs/generate.py [--out DIR]``.

The output is deterministic: running it again writes byte-for-byte identical files. The week of runs is defined
in ``stridelink.demo.samples`` (``stridelink demo`` generates the same files when this folder is not at hand).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stridelink.demo.samples import generate_samples as generate

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: this folder)")
    args = parser.parse_args()
    for path in generate(args.out):
        print(f"{path.name:24} {path.stat().st_size:>8,} bytes")


if __name__ == "__main__":
    main()
