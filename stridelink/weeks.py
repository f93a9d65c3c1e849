"""ISO weeks, the unit the plan is made in: ``"2026-W49"`` runs Monday to Sunday, local time.

Everything here is the standard library's ISO calendar (``date.isocalendar``, ``date.fromisocalendar``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
WEEK_YEARS = (1990, 2100)  # the weeks a plan can be asked for: a typo beyond them is an error, not a plan


def iso_week(d: date) -> str:
    """The ISO week holding ``d``: ``"2026-W49"``."""
    year, week = year_and_week(d)
    return f"{year}-W{week:02d}"


def year_and_week(d: date) -> tuple[int, int]:
    """The ISO year and week number of ``d``: ``(2026, 49)``."""
    year, week, _ = d.isocalendar()
    return year, week


def week_start(week: str) -> date:
    """The Monday of ISO week ``week`` (``YYYY-Www``); ValueError for anything else."""
    match = _WEEK_RE.match(week.strip().upper()) if isinstance(week, str) else None
    if match is None:
        raise ValueError(f"{week!r} is not an ISO week such as 2026-W49")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{week!r} is not an ISO week: {match[1]} has no week {match[2]}") from None


def check_week(week: str) -> str:
    """``week`` in canonical form (``2026-w49`` -> ``2026-W49``); ValueError when malformed or out of range."""
    monday = week_start(week)
    year = int(week.strip()[:4])
    if not WEEK_YEARS[0] <= year <= WEEK_YEARS[1]:
        raise ValueError(f"{week!r} is out of range: give a week from {WEEK_YEARS[0]} to {WEEK_YEARS[1]}")
    return iso_week(monday)


def week_days(week: str) -> list[date]:
    """The seven days of ``week``, Monday first."""
    monday = week_start(week)
    return [monday + timedelta(days=i) for i in range(7)]


def monday_of(d: date) -> date:
    """The Monday of the ISO week holding ``d``."""
    return d - timedelta(days=d.weekday())


def shift_week(week: str, weeks: int) -> str:
    """The ISO week ``weeks`` after ``week`` (before it when negative)."""
    return iso_week(week_start(week) + timedelta(weeks=weeks))


def current_week(tz: tzinfo, today: date | None = None) -> str:
    """This week in time zone ``tz`` (or the week holding ``today``)."""
    return iso_week(today or datetime.now(tz).date())
