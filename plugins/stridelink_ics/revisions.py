"""What the exporter remembers between exports: per calendar UID, the content digest and SEQUENCE.

Calendar apps replace an event when its UID comes again with a higher SEQUENCE, so the number must rise
exactly when the event's content changes, and stay put when it does not (re-exports stay byte-identical).
Records live in the exporter's ``ExportContext.memory`` as JSON strings keyed by UID.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

import stridelink

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class Revision:
    week: str
    date: str  # ISO date of the session, so a dropped session can still be cancelled on its day
    title: str
    duration_min: int
    digest: str
    sequence: int
    stamp: str  # DTSTAMP in UTC, STAMP_FORMAT

    @property
    def stamp_utc(self) -> datetime:
        return datetime.strptime(self.stamp, STAMP_FORMAT).replace(tzinfo=UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def first_stamp(week: str) -> datetime:
    """The DTSTAMP of an event's first version: derived from the plan's week, not the clock.

    The Monday 00:00 UTC one week before the plan's week, so fresh exports of the same plan are identical.
    """
    monday = stridelink.week_start(week) - timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def stored(memory: dict[str, str]) -> dict[str, Revision]:
    """The records in ``memory``; entries this module did not write are ignored."""
    records = {}
    for uid, raw in memory.items():
        try:
            records[uid] = Revision(**json.loads(raw))
        except (ValueError, TypeError):
            continue
    return records


def revise(
    memory: dict[str, str],
    uid: str,
    *,
    week: str,
    day: date,
    title: str,
    duration_min: int,
    digest: str,
    now: Callable[[], datetime] = _utc_now,
) -> Revision:
    """The revision to write for ``uid``: the stored one if the digest is unchanged, else the next one."""
    raw = memory.get(uid)
    previous = stored({uid: raw}).get(uid) if raw is not None else None
    if previous is None:
        revision = Revision(
            week, day.isoformat(), title, duration_min, digest, 0, first_stamp(week).strftime(STAMP_FORMAT)
        )
    elif previous.digest == digest:
        return previous
    else:
        stamp = max(now(), previous.stamp_utc + timedelta(seconds=1))
        revision = replace(
            previous,
            date=day.isoformat(),
            title=title,
            duration_min=duration_min,
            digest=digest,
            sequence=previous.sequence + 1,
            stamp=stamp.strftime(STAMP_FORMAT),
        )
    memory[uid] = json.dumps(asdict(revision), sort_keys=True)
    return revision
