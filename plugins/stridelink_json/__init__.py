"""The ``json`` exporter: a list of plans, one per week exported, each the JSON of ``stridelink plan --json``.

Always a list, for one week as for several, so a script reads every export the same way.

Written like any third-party plugin: it uses only stridelink's public API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import stridelink


def write_json(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    data = [plan.to_dict() for plan in plans]
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@stridelink.hookimpl
def register_exporters(register: Callable[[stridelink.Exporter], None]) -> None:
    register(
        stridelink.Exporter(
            name="json",
            suffix=".json",
            write=write_json,
            description="The plans as JSON: a list with one plan object per week",
        )
    )
