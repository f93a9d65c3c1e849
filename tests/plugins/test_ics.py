from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from stridelink.models import Exercise

MONDAY = date(2026, 11, 30)  # of the test plans' week, 2026-W49


@pytest.fixture
def ics(exporter_of):
    return exporter_of("stridelink_ics")


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def events(data: bytes) -> dict[str, icalendar.Event]:
    """Events by title."""
    return {str(e["SUMMARY"]): e for e in parse(data).walk("VEVENT")}


def test_registered_as_ics_with_its_suffix(ics):
    assert (ics.name, ics.suffix) == ("ics", ".ics")


def test_calendar_is_rfc5545_shaped(ics, plan, context):
    data = ics.write([plan], context())
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)  # CRLF only, folded at 75 octets
    cal = parse(data)
    assert cal["VERSION"] == "2.0"
    assert cal["PRODID"] == "-//stridelink//ankle plan//EN"
    assert cal["X-WR-CALNAME"]
    for event in cal.walk("VEVENT"):
        names = [name for name, _ in event.property_items(recursive=False)]
        assert [names.count(required) for required in ("UID", "DTSTAMP", "DTSTART")] == [1, 1, 1]
        assert event["DTSTAMP"].dt.tzinfo is not None and event["DTSTAMP"].dt.utcoffset() == timedelta(0)


def test_one_event_per_planned_session_in_the_week(ics, plan, context):
    cal = parse(ics.write([plan], context()))
    found = recurring_ical_events.of(cal).between(MONDAY, MONDAY + timedelta(days=7))
    assert sorted((e["DTSTART"].dt, str(e["SUMMARY"])) for e in found) == [
        (date(2026, 12, 1), "Ankle strength A"),
        (date(2026, 12, 4), "Ankle strength B"),
        (date(2026, 12, 6), "Mobility flow"),
    ]
    assert not recurring_ical_events.of(cal).between(MONDAY + timedelta(days=7), MONDAY + timedelta(days=14))


def test_several_weeks_in_one_calendar(ics, make_plan, context):
    data = ics.write([make_plan("2026-W49"), make_plan("2026-W50")], context())
    uids = [str(e["UID"]) for e in parse(data).walk("VEVENT")]
    assert len(uids) == len(set(uids)) == 6


def test_description_says_what_to_do_why_what_changed_and_what_to_watch(ics, plan, context):
    text = str(events(ics.write([plan], context()))["Ankle strength A"]["DESCRIPTION"])
    for expected in (
        "Knee-to-wall rocks: 2 x 10 each side",
        "Keep the heel down",
        "Calf raises, slow lowering: 3 x 12",
        "Builds the range your push-off needs.",
        "More side-to-side work this week.",
        "You ran 2 trail runs last week.",
        "Stop an exercise that hurts; sharp or lasting pain is a reason to get advice.",
    ):
        assert expected in text


def test_same_uids_and_same_bytes_when_exported_twice(ics, plan, context):
    memory: dict[str, str] = {}
    first = ics.write([plan], context(memory))
    again = ics.write([plan], context(memory))
    fresh = ics.write([plan], context())  # another machine, nothing remembered
    assert first == again == fresh
    uids = [str(e["UID"]) for e in parse(first).walk("VEVENT")]
    assert len(set(uids)) == 3 and all(uid.endswith("@stridelink") for uid in uids)


def test_uids_depend_on_week_and_slot_not_on_content(ics, make_plan, replan, context):
    base = {t: str(e["UID"]) for t, e in events(ics.write([make_plan()], context())).items()}
    retitled = events(ics.write([replan(make_plan(), "ankle-1", title="Ankle strength A+")], context()))
    assert str(retitled["Ankle strength A+"]["UID"]) == base["Ankle strength A"]
    next_week = {str(e["UID"]) for e in events(ics.write([make_plan("2026-W50")], context())).values()}
    assert next_week.isdisjoint(base.values())


def test_sequence_rises_for_exactly_the_changed_session(ics, plan, replan, context):
    memory: dict[str, str] = {}
    before = events(ics.write([plan], context(memory)))
    assert {int(e["SEQUENCE"]) for e in before.values()} == {0}
    changed = replan(plan, "ankle-2", exercises=(Exercise("Lateral band walks", "3 x 12 steps", "lateral"),))
    after = events(ics.write([changed], context(memory)))
    assert {t: int(e["SEQUENCE"]) for t, e in after.items()} == {
        "Ankle strength A": 0,
        "Ankle strength B": 1,
        "Mobility flow": 0,
    }
    assert after["Ankle strength B"]["DTSTAMP"].dt > before["Ankle strength B"]["DTSTAMP"].dt
    assert after["Ankle strength A"]["DTSTAMP"].dt == before["Ankle strength A"]["DTSTAMP"].dt
    assert "Lateral band walks" in str(after["Ankle strength B"]["DESCRIPTION"])
    # exporting the re-plan again changes nothing further
    assert {t: int(e["SEQUENCE"]) for t, e in events(ics.write([changed], context(memory))).items()} == {
        "Ankle strength A": 0,
        "Ankle strength B": 1,
        "Mobility flow": 0,
    }


def test_a_session_dropped_by_a_replan_is_cancelled(ics, plan, context):
    memory: dict[str, str] = {}
    before = events(ics.write([plan], context(memory)))
    without_flow = dataclasses.replace(plan, sessions=plan.sessions[:2])
    after = events(ics.write([without_flow], context(memory)))
    flow = after["Mobility flow"]
    assert str(flow["STATUS"]) == "CANCELLED"
    assert str(flow["UID"]) == str(before["Mobility flow"]["UID"])
    assert int(flow["SEQUENCE"]) == 1
    assert flow["DTSTART"].dt == date(2026, 12, 6)
    assert {str(after[t]["STATUS"]) for t in ("Ankle strength A", "Ankle strength B")} == {"CONFIRMED"}
    # still cancelled, and not raised again, on the next export
    again = events(ics.write([without_flow], context(memory)))
    assert (str(again["Mobility flow"]["STATUS"]), int(again["Mobility flow"]["SEQUENCE"])) == (
        "CANCELLED",
        1,
    )
    # expanding the week shows only the planned sessions as confirmed
    confirmed = [
        e
        for e in recurring_ical_events.of(parse(ics.write([without_flow], context(memory)))).between(
            MONDAY, MONDAY + timedelta(days=7)
        )
        if str(e["STATUS"]) != "CANCELLED"
    ]
    assert len(confirmed) == 2


def test_a_cancelled_session_that_comes_back_is_confirmed_with_a_higher_sequence(ics, plan, context):
    memory: dict[str, str] = {}
    ics.write([plan], context(memory))
    ics.write([dataclasses.replace(plan, sessions=plan.sessions[:2])], context(memory))
    back = events(ics.write([plan], context(memory)))["Mobility flow"]
    assert (str(back["STATUS"]), int(back["SEQUENCE"])) == ("CONFIRMED", 2)


def test_exporting_another_week_does_not_cancel_this_one(ics, make_plan, context):
    memory: dict[str, str] = {}
    ics.write([make_plan("2026-W49")], context(memory))
    data = ics.write([make_plan("2026-W50")], context(memory))
    assert b"CANCELLED" not in data
    assert len(parse(data).walk("VEVENT")) == 3


def test_all_day_events_without_a_preferred_time(ics, plan, context):
    data = ics.write([plan], context())
    assert b"DTSTART;VALUE=DATE:20261201\r\n" in data
    assert b"DTEND;VALUE=DATE:20261202\r\n" in data  # exclusive end: the next day
    for event in parse(data).walk("VEVENT"):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert type(start) is date and end == start + timedelta(days=1)
    assert b"TZID" not in data and b"VTIMEZONE" not in data


def test_timed_events_with_tzid_and_vtimezone(ics, plan, context):
    data = ics.write([plan], context(timezone="Europe/Berlin", preferred_time=time(7, 30)))
    assert b"DTSTART;TZID=Europe/Berlin:20261201T073000\r\n" in data
    cal = parse(data)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    flow = events(data)["Mobility flow"]
    start, end = flow["DTSTART"].dt, flow["DTEND"].dt
    assert start == datetime(2026, 12, 6, 7, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert start.astimezone(UTC).hour == 6  # CET in December
    assert end - start == timedelta(minutes=30)


def test_timed_events_in_summer_use_the_summer_offset(ics, make_plan, context):
    data = ics.write([make_plan("2026-W27")], context(timezone="Europe/Berlin", preferred_time=time(18, 0)))
    first = min(e["DTSTART"].dt for e in parse(data).walk("VEVENT"))
    assert first.astimezone(UTC).hour == 16  # CEST


def test_changing_the_preferred_time_updates_every_event(ics, plan, context):
    memory: dict[str, str] = {}
    ics.write([plan], context(memory))
    moved = parse(ics.write([plan], context(memory, preferred_time=time(6, 45))))
    assert {int(e["SEQUENCE"]) for e in moved.walk("VEVENT")} == {1}


def test_reminder_when_set(ics, plan, context):
    data = ics.write([plan], context(preferred_time=time(7, 30), session_reminder_min=15))
    for event in parse(data).walk("VEVENT"):
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
    assert b"TRIGGER:-PT15M\r\n" in data


def test_no_reminder_unless_set(ics, plan, context):
    assert b"VALARM" not in ics.write([plan], context(preferred_time=time(7, 30)))


def test_text_with_commas_semicolons_and_newlines_round_trips(ics, make_plan, replan, context):
    title = "Hops, hops; and more\\hops"
    cue = "Land softly, then hold;\nbreathe out"
    plan = replan(
        make_plan(), "ankle-1", title=title, exercises=(Exercise("Hop, stick", "2 x 5", "balance", cue=cue),)
    )
    data = ics.write([plan], context())
    assert b"Hops\\, hops\\; and more\\\\hops" in data  # escaped on the wire
    event = events(data)[title]
    assert cue in str(event["DESCRIPTION"])
    assert "Hop, stick: 2 x 5" in str(event["DESCRIPTION"])


def test_through_the_cli_uids_stay_and_only_changed_events_are_revised(tmp_path):
    """The library keeps the exporter's memory: a re-plan revises exactly the events whose content changed."""
    from click.testing import CliRunner

    from stridelink.cli import cli

    def export(name: str) -> bytes:
        result = CliRunner().invoke(cli, ["export", "ics", "--week", "2026-W49", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        return (tmp_path / name).read_bytes()

    def by_uid(data: bytes) -> dict[str, icalendar.Event]:
        return {str(e["UID"]): e for e in parse(data).walk("VEVENT")}

    first = export("a.ics")
    assert export("b.ics") == first
    logged = CliRunner().invoke(cli, ["log", "pain", "5", "--side", "left", "--date", "2026-11-25"])
    assert logged.exit_code == 0, logged.output  # the week before 2026-W49: its plan must respond
    before, after = by_uid(first), by_uid(export("c.ics"))
    assert set(before) <= set(after)  # every earlier event is still there, planned or cancelled

    def content(event: icalendar.Event) -> tuple[object, ...]:
        return tuple(str(event.get(key)) for key in ("SUMMARY", "DESCRIPTION", "DTSTART", "DTEND", "STATUS"))

    changed = {uid for uid in before if content(before[uid]) != content(after[uid])}
    assert changed, "logging pain should change the plan"
    for uid, event in after.items():
        expected = 1 if uid in changed else 0
        assert int(event["SEQUENCE"]) == expected, str(event["SUMMARY"])
