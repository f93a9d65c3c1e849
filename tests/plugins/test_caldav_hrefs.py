"""The CalDAV publisher sends the user's login only to the configured calendar, whatever hrefs a server returns."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("caldav")

from stridelink_caldav.config import CalDAVConfig  # noqa: E402
from stridelink_caldav.remote import CalDAVCalendar, CalDAVError, inside  # noqa: E402

CALENDAR = "https://cal.example.com/dav/calendars/ann/ankle/"

HOSTILE = [
    "https://evil.example/steal.ics",
    "http://cal.example.com/dav/calendars/ann/ankle/x.ics",  # the same host, but without TLS
    "https://cal.example.com:8443/dav/calendars/ann/ankle/x.ics",  # another port
    "https://cal.example.com/dav/calendars/bob/work/x.ics",  # another calendar of the server
    "https://cal.example.com/dav/calendars/ann/ankle/../../bob/work/x.ics",
    "https://cal.example.com/dav/calendars/ann/ankle/%2e%2e/%2e%2e/bob/x.ics",
    "/dav/calendars/ann/ankle-other/x.ics",  # a sibling whose name starts like the calendar's
    "//evil.example/dav/calendars/ann/ankle/x.ics",  # scheme-relative: another host
    "https://ann:pw@evil.example/dav/calendars/ann/ankle/x.ics",
    CALENDAR,  # the collection itself is no event
]
OWN = [
    "https://cal.example.com/dav/calendars/ann/ankle/2026-W49-tue.ics",
    "https://CAL.example.com:443/dav/calendars/ann/ankle/x.ics",
    "/dav/calendars/ann/ankle/x.ics",
    "x.ics",
]


@pytest.mark.parametrize("href", HOSTILE)
def test_hrefs_outside_the_calendar_are_refused(href: str) -> None:
    assert inside(CALENDAR, href) is None


@pytest.mark.parametrize("href", OWN)
def test_hrefs_inside_the_calendar_are_allowed(href: str) -> None:
    absolute = inside(CALENDAR, href)
    assert absolute is not None and absolute.lower().startswith("https://cal.example.com")


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> tuple[CalDAVCalendar, list[tuple[str, str]]]:
    monkeypatch.setenv("STRIDELINK_CALDAV_PASSWORD", "s3cret")
    config = CalDAVConfig.from_table({"url": "https://cal.example.com/dav/", "username": "ann", "calendar": "Ankle"})
    cal = CalDAVCalendar(config)
    sent: list[tuple[str, str]] = []

    def request(url: Any, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        sent.append((method, str(url)))
        raise OSError("no network in this test")

    monkeypatch.setattr(cal.client, "request", request)
    cal.calendar = cal._caldav.Calendar(client=cal.client, url=CALENDAR)
    cal.url = CALENDAR
    return cal, sent


@pytest.mark.parametrize("href", HOSTILE)
def test_put_and_delete_never_send_the_login_elsewhere(remote: Any, href: str) -> None:
    cal, sent = remote
    with pytest.raises(CalDAVError, match="outside the calendar"):
        cal.put("uid-1", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", href)
    with pytest.raises(CalDAVError, match="outside the calendar"):
        cal.delete(href)
    assert sent == []  # not one request left


def test_put_and_delete_inside_the_calendar_reach_the_server(remote: Any) -> None:
    cal, sent = remote
    with pytest.raises(CalDAVError):  # the request itself fails here: no network
        cal.delete("/dav/calendars/ann/ankle/x.ics")
    assert sent == [("DELETE", "https://cal.example.com/dav/calendars/ann/ankle/x.ics")]


@pytest.mark.parametrize(("week", "ok"), [("2026-w49", True), ("9999-W52", False), ("0001-W01", False)])
def test_push_takes_the_week_in_any_case_and_refuses_weeks_out_of_range(week: str, ok: bool) -> None:
    from click.testing import CliRunner

    from stridelink.cli import cli

    result = CliRunner().invoke(cli, ["caldav", "push", "--week", week])
    assert "Traceback" not in result.output and not isinstance(result.exception, (OverflowError, ValueError))
    if ok:  # accepted: it fails later, for want of a [caldav] table in settings.toml
        assert "[caldav]" in result.output and result.exit_code == 1, result.output
    else:
        assert result.exit_code == 2 and "out of range" in result.output
