"""One calendar object per event: the ``ics`` exporter's VCALENDAR split by UID (RFC 4791 §4.1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import icalendar


@dataclass(frozen=True)
class CalendarObject:
    """One event as a CalDAV resource holds it: a VCALENDAR with one VEVENT and the VTIMEZONEs it uses."""

    uid: str
    week: str
    day: date
    summary: str
    sequence: int
    cancelled: bool  # the ics exporter's cancelled copy of a session a re-plan dropped
    calendar: icalendar.Calendar

    @property
    def digest(self) -> str:
        """Of the content as the exporter made it: changes exactly when the event does."""
        return hashlib.sha256(self.calendar.to_ical()).hexdigest()

    def to_ical(self, sequence: int | None = None) -> bytes:
        """The resource's body, with SEQUENCE raised to ``sequence`` when given."""
        if sequence is None or sequence == self.sequence:
            return bytes(self.calendar.to_ical())
        copy = icalendar.Calendar.from_ical(self.calendar.to_ical())
        for event in copy.walk("VEVENT"):
            event.pop("SEQUENCE", None)
            event.add("sequence", sequence)
        return bytes(copy.to_ical())


def _day(value: object) -> date:
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


def _tzids(event: icalendar.Event) -> set[str]:
    found = set()
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = event.get(name)
        if prop is not None and "TZID" in getattr(prop, "params", {}):
            found.add(str(prop.params["TZID"]))
    return found


def split_calendar(data: bytes, week: str) -> list[CalendarObject]:
    """The events of one week's calendar, each in its own VCALENDAR with the header properties it needs."""
    source = icalendar.Calendar.from_ical(data)
    timezones = {str(tz["TZID"]): tz for tz in source.walk("VTIMEZONE")}
    objects = []
    for event in source.walk("VEVENT"):
        calendar = icalendar.Calendar()
        for name in ("PRODID", "VERSION", "CALSCALE"):
            if name in source:
                calendar.add(name.lower(), source[name])
        for tzid in sorted(_tzids(event)):
            if tzid in timezones:
                calendar.add_component(timezones[tzid])
        calendar.add_component(event)
        objects.append(
            CalendarObject(
                uid=str(event["UID"]),
                week=week,
                day=_day(event.decoded("DTSTART")),
                summary=str(event.get("SUMMARY", "")),
                sequence=int(event.get("SEQUENCE", 0)),
                cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
                calendar=calendar,
            )
        )
    return objects
