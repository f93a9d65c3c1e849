"""Plans of some weeks -> the ``ics`` exporter's events -> the CalDAV calendar; memory kept in the library."""

from __future__ import annotations

from collections.abc import Callable, Sequence
import stridelink
from stridelink_caldav.config import CalDAVConfig
from stridelink_caldav.objects import CalendarObject, split_calendar
from stridelink_caldav.publish import PUBLISHED, PushReport, Remote, push
from stridelink_caldav.remote import CalDAVCalendar

MEMORY = "caldav"  # the library's memory for this plugin: ics revisions by UID, and published:<uid> records


def calendar_objects(
    plans: Sequence[stridelink.Plan], settings: stridelink.Settings, memory: dict[str, str]
) -> dict[str, list[CalendarObject]]:
    """Each week's events as the ``ics`` exporter builds them (its SEQUENCE records live in ``memory``)."""
    ics = stridelink.get_exporter("ics")
    context = stridelink.ExportContext(settings=settings, memory=memory)
    return {plan.week: split_calendar(ics.write([plan], context), plan.week) for plan in plans}


def open_calendar(config: CalDAVConfig, *, create: bool) -> CalDAVCalendar:
    calendar = CalDAVCalendar(config)
    calendar.open(create=create)
    return calendar


def push_weeks(
    library: stridelink.Library,
    weeks: Sequence[str],
    *,
    resend: bool = False,
    connect: Callable[[CalDAVConfig], Remote] = lambda config: open_calendar(config, create=True),
) -> PushReport:
    """Push the plans of ``weeks``; what was done is saved even when the server fails half way."""
    settings = library.settings
    config = CalDAVConfig.from_settings(settings)
    plans = [stridelink.plan_week(library, week) for week in weeks]
    memory = library.memory(MEMORY)
    revisions = {k: v for k, v in memory.items() if not k.startswith(PUBLISHED)}
    objects = calendar_objects(plans, settings, revisions)
    memory = {**revisions, **{k: v for k, v in memory.items() if k.startswith(PUBLISHED)}}
    try:
        return push(connect(config), objects, memory, resend=resend)
    finally:
        library.save_memory(MEMORY, memory)
