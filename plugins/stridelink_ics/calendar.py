"""Build the calendar: one VEVENT per session, cancelled events for sessions a re-plan dropped."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

import stridelink
from stridelink_ics.describe import describe_session
from stridelink_ics.revisions import Revision, revise, stored

PRODID = "-//stridelink//ankle plan//EN"
CALENDAR_NAME = "Ankle plan (stridelink)"
UID_DOMAIN = "stridelink"
CANCELLED_TEXT = "This session was dropped when the plan was rebuilt."


@dataclass(frozen=True, slots=True)
class Timing:
    """Where events sit in the day, from the athlete's settings."""

    timezone: str
    start: time | None  # None: all-day events
    reminder_min: int | None

    @classmethod
    def from_settings(cls, settings: stridelink.Settings) -> Timing:
        return cls(settings.timezone, settings.preferred_time, settings.session_reminder_min)


@dataclass(frozen=True, slots=True)
class EventContent:
    """Everything an event shows; its digest decides whether SEQUENCE must rise."""

    day: date
    summary: str
    description: str
    duration_min: int
    cancelled: bool = False

    def digest(self, timing: Timing) -> str:
        data = {
            **asdict(self),
            "day": self.day.isoformat(),
            "timing": [timing.timezone, str(timing.start), timing.reminder_min],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def session_uid(week: str, slot: str) -> str:
    """Stable across exports and machines: the same week and slot always give the same UID."""
    return f"{hashlib.sha256(f'{week}/{slot}'.encode()).hexdigest()[:24]}@{UID_DOMAIN}"


def _sessions_by_uid(plan: stridelink.Plan) -> Iterator[tuple[str, stridelink.Session]]:
    seen: set[str] = set()
    for session in plan.sessions:
        slot = session.slot or f"{session.date.isoformat()}-{session.kind}"
        candidate, n = slot, 1
        while candidate in seen:  # two sessions sharing a slot still get distinct UIDs
            n += 1
            candidate = f"{slot}#{n}"
        seen.add(candidate)
        yield session_uid(plan.week, candidate), session


def _contents(plan: stridelink.Plan, memory: dict[str, str]) -> list[tuple[str, EventContent]]:
    """The plan's sessions, then sessions exported before for this week that the plan no longer has."""
    contents = []
    for uid, session in _sessions_by_uid(plan):
        text = describe_session(plan, session)
        contents.append((uid, EventContent(session.date, session.title, text, session.duration_min)))
    live = {uid for uid, _ in contents}
    dropped = [(uid, rev) for uid, rev in stored(memory).items() if rev.week == plan.week and uid not in live]
    for uid, rev in sorted(dropped, key=lambda item: (item[1].date, item[0])):
        day = date.fromisoformat(rev.date)
        contents.append((uid, EventContent(day, rev.title, CANCELLED_TEXT, rev.duration_min, cancelled=True)))
    return contents


def _event(uid: str, content: EventContent, revision: Revision, timing: Timing) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", revision.stamp_utc)
    event.add("sequence", revision.sequence)
    if timing.start is None:
        event.add("dtstart", content.day)
        event.add("dtend", content.day + timedelta(days=1))  # DTEND is exclusive
        event.add("transp", "TRANSPARENT")  # an any-time-today session does not make the day busy
    else:
        start = datetime.combine(
            content.day, timing.start.replace(tzinfo=None), tzinfo=ZoneInfo(timing.timezone)
        )
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=max(content.duration_min, 0)))
    event.add("summary", content.summary)
    event.add("description", content.description)
    event.add("status", "CANCELLED" if content.cancelled else "CONFIRMED")
    if timing.reminder_min is not None and not content.cancelled:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", content.summary)
        alarm.add("trigger", timedelta(minutes=-timing.reminder_min))
        event.add_component(alarm)
    return event


def write_calendar(plans: Sequence[stridelink.Plan], context: stridelink.ExportContext) -> bytes:
    """The ``ics`` exporter's ``write``: records each event's revision in ``context.memory``."""
    timing = Timing.from_settings(context.settings)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    days: list[date] = []
    for plan in plans:
        for uid, content in _contents(plan, context.memory):
            revision = revise(
                context.memory,
                uid,
                week=plan.week,
                day=content.day,
                title=content.summary,
                duration_min=content.duration_min,
                digest=content.digest(timing),
            )
            calendar.add_component(_event(uid, content, revision, timing))
            days.append(content.day)
    if timing.start is not None and days:
        # VTIMEZONE definitions for the TZIDs used, covering the years the events fall in (UTC needs none)
        calendar.add_missing_timezones(
            first_date=date(min(days).year, 1, 1), last_date=date(max(days).year + 1, 1, 1)
        )
    return bytes(calendar.to_ical())
