"""The demo's sample week: five runs and an ankle session, generated deterministically by the simulator.

They are the files in ``sample_runs/`` (written by this module); when stridelink runs from an installed copy
without that folder, the demo generates the same files into its temporary library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SEED = 2026


@dataclass(frozen=True)
class Sample:
    stem: str
    kind: str
    start_utc: datetime
    duration_s: float | None
    record_interval_s: int
    gpx: bool = False


# One week of training, Monday 2026-11-16 to Sunday 2026-11-22.
SAMPLES = (
    Sample("easy_road", "easy_road", datetime(2026, 11, 16, 17, 30, tzinfo=UTC), 2400, 4, gpx=True),
    Sample("track_intervals", "track_intervals", datetime(2026, 11, 18, 17, 0, tzinfo=UTC), None, 2),
    Sample("trail", "trail", datetime(2026, 11, 19, 7, 0, tzinfo=UTC), 2400, 4, gpx=True),
    Sample("hill_repeats", "hill_repeats", datetime(2026, 11, 21, 8, 0, tzinfo=UTC), None, 2),
    Sample("long_run", "long_run", datetime(2026, 11, 22, 8, 0, tzinfo=UTC), 6000, 4),
)
ANKLE_SESSION_START = datetime(2026, 11, 17, 18, 30, tzinfo=UTC)


def generate_samples(out: Path) -> list[Path]:
    """Write every sample file into ``out`` (byte for byte the same each time); returns the paths."""
    from stridelink.demo.simulator import make_run, make_strength_session, to_fit, to_gpx

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in SAMPLES:
        run = make_run(
            sample.kind, sample.start_utc, seed=SEED, duration_s=sample.duration_s,
            record_interval_s=sample.record_interval_s,
        )
        written.append(out / f"{sample.stem}.fit")
        written[-1].write_bytes(to_fit(run))
        if sample.gpx:
            written.append(out / f"{sample.stem}.gpx")
            written[-1].write_bytes(to_gpx(run))
    written.append(out / "ankle_mobility.fit")
    written[-1].write_bytes(make_strength_session(ANKLE_SESSION_START, kind="mobility", duration_s=1200, seed=SEED))
    return written


def sample_folder(scratch: Path) -> Path:
    """``./sample_runs`` or the checkout's, else freshly generated files in ``scratch``."""
    for candidate in (Path.cwd() / "sample_runs", Path(__file__).resolve().parents[2] / "sample_runs"):
        if any(candidate.glob("*.fit")):
            return candidate
    generate_samples(scratch / "sample_runs")
    return scratch / "sample_runs"
