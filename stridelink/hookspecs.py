"""Every hook a stridelink plugin can implement.

Plugins implement these with ``@stridelink.hookimpl``. Registry hooks receive a ``register`` callable;
event hooks are told what happened and return nothing. docs/plugins.md shows each with an example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from stridelink.models import Exporter, Plan, Reader, Rule, Run

hookspec = pluggy.HookspecMarker("stridelink")
hookimpl = pluggy.HookimplMarker("stridelink")


@hookspec
def register_readers(register: Callable[[Reader], None]) -> None:
    """Register file formats ``stridelink import`` can read, as ``Reader`` objects."""


@hookspec
def register_rules(register: Callable[[Rule], None]) -> None:
    """Register plan rules, as ``Rule`` objects, that turn a week's runs into adjustments."""


@hookspec
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register export formats for ``stridelink export FORMAT``, as ``Exporter`` objects."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``stridelink`` command line."""


@hookspec
def run_imported(run: Run) -> None:
    """Called after a run was stored in the library."""


@hookspec
def week_planned(plan: Plan) -> None:
    """Called after the plan of a week was (re)built because new data arrived."""
