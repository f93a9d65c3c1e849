"""``stridelink demo``: the whole product on the sample week, in a throwaway library.

Import the sample files, plan the week after them, write that week as a calendar file and a report page.
Nothing touches the athlete's own library.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from stridelink import app
from stridelink.demo.samples import sample_folder
from stridelink.importer import ImportResult
from stridelink.models import Plan, Run
from stridelink.store.library import Library
from stridelink.weeks import iso_week, shift_week, week_start


@dataclass(frozen=True, slots=True)
class Demo:
    folder: Path  # where the sample files were read from
    results: list[ImportResult]
    runs: list[Run]
    plan: Plan  # the week after the sample runs
    written: list[Path]  # the calendar file and the report page


def run_demo(output_dir: Path) -> Demo:
    """Run the tour in a temporary library; ``demo.ics`` and ``report.html`` go to ``output_dir``."""
    with tempfile.TemporaryDirectory(prefix="stridelink-demo-") as scratch:
        folder = sample_folder(Path(scratch))
        with Library.open(Path(scratch) / "library") as library:
            results = app.ingest(library, [folder]).results
            runs = library.runs()
            week = shift_week(iso_week(max(run.start_utc for run in runs).date()), 1)
            plan = app.plan_week(library, week)
            output_dir.mkdir(parents=True, exist_ok=True)
            ics = output_dir / "demo.ics"
            app.write_atomically(ics, app.export_weeks(library, "ics", [week]))
            report = output_dir / "report.html"
            page = app.report_page(library, 4, today=week_start(week))
            app.write_atomically(report, page.encode("utf-8"))
    return Demo(folder, results, runs, plan, [ics, report])
