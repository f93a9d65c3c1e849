"""Publish the ankle plan to a CalDAV calendar: ``stridelink caldav push`` and ``stridelink caldav check``.

Events come from the ``ics`` exporter (same UIDs, same SEQUENCE rules), one calendar object per event.
Pushes run when asked (by hand, from cron, or after ``stridelink watch``), never on their own: a network
call on every import would surprise. The ``caldav`` package is imported only when a command runs.
"""

from __future__ import annotations

import click

import stridelink
from stridelink_caldav.commands import caldav_group


@stridelink.hookimpl
def register_commands(cli: click.Group) -> None:
    if "caldav" not in cli.commands:
        cli.add_command(caldav_group)
