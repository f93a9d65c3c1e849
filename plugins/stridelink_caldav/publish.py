"""Pushing calendar objects to a calendar: create, update by UID, delete what the plan dropped.

What was published is remembered in the plugin's memory (``published:<uid>`` -> JSON), so a later push
knows which events are its own: it only ever deletes events it created, and only within the weeks it pushes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

from stridelink_caldav.objects import CalendarObject

PUBLISHED = "published:"


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    href: str
    sequence: int


class Remote(Protocol):
    """The calendar being published to."""

    url: str

    def existing(self, first_day: date, last_day: date) -> dict[str, RemoteEvent] | None:
        """Events on the calendar between the two days (inclusive), by UID; None if it cannot list them."""

    def put(self, uid: str, body: bytes, href: str | None) -> str:
        """Create or replace the event at ``href`` (a new one when None); returns its href."""

    def delete(self, href: str) -> None:
        """Delete the event at ``href``; one already gone is not an error."""


@dataclass(frozen=True, slots=True)
class Published:
    week: str
    day: str
    summary: str
    href: str
    calendar: str  # the calendar's URL: a record of another calendar is not this one's event
    digest: str
    sequence: int


@dataclass(frozen=True, slots=True)
class Change:
    action: str  # created, updated, unchanged, deleted
    uid: str
    week: str
    day: str
    summary: str
    sequence: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PushReport:
    calendar: str
    changes: list[Change] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    def to_dict(self) -> dict[str, Any]:
        counts = {a: self.count(a) for a in ("created", "updated", "unchanged", "deleted")}
        return {"calendar": self.calendar, **counts, "events": [c.to_dict() for c in self.changes]}


def published(memory: Mapping[str, str]) -> dict[str, Published]:
    records = {}
    for key, raw in memory.items():
        if not key.startswith(PUBLISHED):
            continue
        try:
            records[key.removeprefix(PUBLISHED)] = Published(**json.loads(raw))
        except (ValueError, TypeError):
            continue
    return records


def _remember(memory: MutableMapping[str, str], uid: str, record: Published) -> None:
    memory[PUBLISHED + uid] = json.dumps(asdict(record), sort_keys=True)


def _forget(memory: MutableMapping[str, str], uid: str) -> None:
    memory.pop(PUBLISHED + uid, None)


def push(
    remote: Remote,
    weeks: Mapping[str, Iterable[CalendarObject]],
    memory: MutableMapping[str, str],
    *,
    resend: bool = False,
) -> PushReport:
    """Bring the calendar in line with ``weeks`` (week -> its objects); ``memory`` is updated as it goes.

    An event is sent when it is new, changed, or missing from the calendar (``resend``: always). Events
    this plugin published for these weeks that the plan no longer has are deleted.
    """
    report = PushReport(remote.url)
    objects = {week: list(items) for week, items in weeks.items()}
    days = [obj.day for items in objects.values() for obj in items]
    records = {uid: r for uid, r in published(memory).items() if r.calendar == remote.url}
    days += [date.fromisoformat(r.day) for r in records.values() if r.week in objects]
    listed = remote.existing(min(days), max(days)) if days else {}
    # a server that cannot list events: trust the records (a changed event is still sent)
    on_server = (
        listed if listed is not None else {u: RemoteEvent(r.href, r.sequence) for u, r in records.items()}
    )

    for week, items in objects.items():
        live: set[str] = set()
        for obj in items:
            record = records.get(obj.uid)
            server = on_server.get(obj.uid)
            href = server.href if server else record.href if record else None
            if obj.cancelled:
                continue  # deleted below with everything else the plan dropped
            live.add(obj.uid)
            if not resend and server is not None and record is not None and record.digest == obj.digest:
                report.changes.append(
                    Change("unchanged", obj.uid, week, obj.day.isoformat(), obj.summary, record.sequence)
                )
                continue
            if server is None and record is None:
                action, sequence = "created", obj.sequence
            else:
                floor = max(server.sequence if server else 0, record.sequence if record else 0)
                changed = record is None or record.digest != obj.digest
                # calendar apps keep the copy with the higher SEQUENCE: a change must go above the server's
                sequence = max(obj.sequence, floor + 1) if changed else max(obj.sequence, floor)
                action = "updated" if server is not None else "created"  # gone from the calendar: sent again
            new_href = remote.put(obj.uid, obj.to_ical(sequence), href)
            record = Published(
                week, obj.day.isoformat(), obj.summary, new_href, remote.url, obj.digest, sequence
            )
            _remember(memory, obj.uid, record)
            records[obj.uid] = record
            report.changes.append(Change(action, obj.uid, week, obj.day.isoformat(), obj.summary, sequence))

        dropped = sorted(
            (uid for uid, r in records.items() if r.week == week and uid not in live),
            key=lambda uid: (records[uid].day, uid),
        )
        for uid in dropped:
            record = records.pop(uid)
            server = on_server.get(uid)
            remote.delete(server.href if server else record.href)
            _forget(memory, uid)
            report.changes.append(Change("deleted", uid, week, record.day, record.summary))
    return report
