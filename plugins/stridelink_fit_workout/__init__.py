"""The ``fit-workout`` exporter: each planned session as a FIT workout file for the watch.

One FIT file holds one workout, so the export is a zip archive with one ``YYYY-MM-DD-<slot>.fit`` per
session. Written like any third-party plugin: it uses stridelink's public API only (``load_programme`` gives the
exercise library, whose FIT exercise names the workouts use).
"""

from __future__ import annotations

from collections.abc import Callable

import stridelink
from stridelink_fit_workout.encode import write_zip


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="fit-workout",
            suffix=".zip",
            write=write_zip,
            description="Zip of FIT workout files, one per session, for Garmin and other FIT watches",
        )
    )
