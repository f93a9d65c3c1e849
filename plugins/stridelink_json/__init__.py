"""The ``json`` exporter: the plan JSON of ``stridelink plan --json``; a list when several weeks are exported.

Written like any third-party plugin: it uses only stridelink's public API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import stridelink


def write_json(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    data = plans[0].to_dict() if len(plans) == 1 else [plan.to_dict() for plan in plans]
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="json",
            suffix=".json",
            write=write_json,
            description="The plan as JSON: one object for one week, a list for several",
        )
    )
