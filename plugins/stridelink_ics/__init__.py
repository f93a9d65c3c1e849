"""The ``ics`` exporter: the week's sessions as calendar events (RFC 5545).

Written like any third-party plugin: it uses only stridelink's public API.
"""

from __future__ import annotations

from collections.abc import Callable

import stridelink
from stridelink_ics.calendar import write_calendar


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="ics",
            suffix=".ics",
            write=write_calendar,
            description="Calendar file: one event per session, updated in place when the plan changes",
        )
    )
