"""ISO week arithmetic: the standard library's ISO calendar, on "2026-W49" strings."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from stridelink.weeks import current_week, iso_week, monday_of, shift_week, week_days, week_start, year_and_week


def test_a_week_and_its_monday_round_trip_across_year_ends() -> None:
    assert iso_week(date(2026, 12, 3)) == "2026-W49" and week_start("2026-W49") == date(2026, 11, 30)
    assert iso_week(date(2027, 1, 1)) == "2026-W53"  # a Friday: still the old year's week 53
    assert iso_week(date(2024, 12, 30)) == "2025-W01"  # a Monday: already the new year's week 1
    assert year_and_week(date(2024, 12, 30)) == (2025, 1)
    for day in (date(2020, 12, 31), date(2021, 1, 3), date(2026, 6, 15)):
        assert week_start(iso_week(day)) == monday_of(day) <= day


@pytest.mark.parametrize("bad", ["2026-49", "2026-W1", "2026-W54", "2021-W53", "W49", "", "2026-W00"])
def test_what_is_not_an_iso_week_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        week_start(bad)


def test_shifting_crosses_years_both_ways() -> None:
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2027-W01", -1) == "2026-W53"
    assert shift_week("2026-W49", 0) == "2026-W49"


def test_the_days_of_a_week_run_monday_to_sunday() -> None:
    days = week_days("2026-W53")
    assert days[0] == date(2026, 12, 28) and days[-1] == date(2027, 1, 3)
    assert [d.weekday() for d in days] == list(range(7))


def test_this_week_is_the_week_of_today_in_the_time_zone() -> None:
    tz = ZoneInfo("Pacific/Auckland")
    before = datetime.now(tz).date()
    week = current_week(tz)
    after = datetime.now(tz).date()
    assert week in {iso_week(before), iso_week(after)}  # midnight may pass in between
    assert current_week(tz, today=date(2026, 12, 6)) == "2026-W49"
