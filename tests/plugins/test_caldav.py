"""The CalDAV publisher against a real Radicale server started on loopback for these tests."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import icalendar
import pluggy
import pytest
import stridelink_caldav
from click.testing import CliRunner
from stridelink_caldav.config import CalDAVConfig, redact
from stridelink_caldav.publish import RemoteEvent, push

from stridelink import hookspecs
from stridelink.cli import cli
from stridelink.errors import SettingsError

HAVE_RADICALE = importlib.util.find_spec("radicale") is not None
needs_radicale = pytest.mark.skipif(
    not HAVE_RADICALE and not os.environ.get("CI"), reason="radicale is not installed (pip install radicale)"
)

USER = "runner"
PASSWORD = "Kn0chel-Pa55-2026"
PASSWORD_ENV = "STRIDELINK_TEST_CALDAV_PASSWORD"
WEEK = "2026-W49"


@dataclass(frozen=True)
class Server:
    url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--auth-delay",
            "0",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("radicale did not start")
                time.sleep(0.05)
        yield Server(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def calendar_name(request: pytest.FixtureRequest) -> str:
    return f"Ankle plan {request.node.name}"  # one calendar per test on the shared server


@pytest.fixture
def configured(radicale: Server, library_home: Path, calendar_name: str, monkeypatch) -> Path:
    library_home.mkdir(parents=True, exist_ok=True)
    write_settings(library_home, radicale.url, calendar_name)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return library_home


def write_settings(home: Path, url: str, calendar: str, head: str = "", extra: str = "") -> None:
    (home / "settings.toml").write_text(
        f'{head}\n[caldav]\nurl = "{url}"\nusername = "{USER}"\ncalendar = "{calendar}"\n'
        f'password_env = "{PASSWORD_ENV}"\nweeks = 1\n{extra}',
        encoding="utf-8",
    )


def run(*args: str) -> tuple[int, str]:
    stridelink_caldav.register_commands(cli)  # what loading the plugin does
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def push_json(*args: str) -> dict:
    code, out = run("caldav", "push", "--week", WEEK, "--json", *args)
    assert code == 0, out
    return json.loads(out[out.index("{") : out.rindex("}") + 1])


def server_events(radicale: Server, calendar_name: str) -> dict[str, icalendar.Event]:
    """The events the server holds, read back with the caldav client, by UID."""
    import caldav

    client = caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    calendar = client.principal().calendar(name=calendar_name)
    events = {}
    for item in calendar.get_events():
        (event,) = item.icalendar_instance.walk("VEVENT")
        events[str(event["UID"])] = event
    return events


def planned(*args: str) -> dict:
    code, out = run("plan", "--week", WEEK, "--json", *args)
    assert code == 0, out
    return json.loads(out)


def test_registers_the_caldav_command_group():
    pm = pluggy.PluginManager("stridelink")
    pm.add_hookspecs(hookspecs)
    pm.register(stridelink_caldav)
    pm.check_pending()
    import click

    group = click.Group()
    pm.hook.register_commands(cli=group)
    assert sorted(group.commands["caldav"].commands) == ["check", "push"]


@needs_radicale
def test_push_creates_one_event_per_session_and_a_second_push_changes_nothing(
    radicale, configured, calendar_name
):
    first = push_json()
    plan = planned()
    assert first["created"] == len(plan["sessions"]) == 7
    events = server_events(radicale, calendar_name)
    assert sorted((e.decoded("DTSTART"), str(e["SUMMARY"])) for e in events.values()) == sorted(
        (date.fromisoformat(s["date"]), s["title"]) for s in plan["sessions"]
    )
    assert {int(e["SEQUENCE"]) for e in events.values()} == {0}
    # the same UIDs the ics exporter gives, so a subscribed feed and the CalDAV calendar agree
    _, ics = run("export", "ics", "--week", WEEK)
    assert set(events) == {str(e["UID"]) for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")}

    second = push_json()
    assert (second["created"], second["updated"], second["unchanged"], second["deleted"]) == (0, 0, 7, 0)
    assert server_events(radicale, calendar_name).keys() == events.keys()


@needs_radicale
def test_a_changed_plan_updates_events_and_deletes_dropped_ones(radicale, configured, calendar_name):
    push_json()
    before = server_events(radicale, calendar_name)

    code, out = run("log", "pain", "5", "--date", "2026-11-28")  # before the week: the plan backs off
    assert code == 0, out
    assert any(a["kind"] == "pain" for a in planned()["adjustments"])
    after_pain = push_json()
    assert after_pain["updated"] == 7 and after_pain["deleted"] == 0
    events = server_events(radicale, calendar_name)
    assert events.keys() == before.keys()
    assert {int(e["SEQUENCE"]) for e in events.values()} == {1}
    assert all("You logged pain recently" in str(e["DESCRIPTION"]) for e in events.values())

    # the second ankle day moves from Friday to Thursday: Thursday's warm-up goes, Friday gets one
    write_settings(configured, radicale.url, calendar_name, head='ankle_days = ["tue", "thu"]')
    moved = push_json()
    actions = {(c["action"], c["day"], c["summary"].split(":")[0]) for c in moved["events"]}
    assert {
        ("deleted", "2026-12-03", "Ankle warm-up"),
        ("created", "2026-12-04", "Ankle warm-up"),
        ("updated", "2026-12-03", "Ankle session 2"),
    } <= actions
    events = server_events(radicale, calendar_name)
    plan = planned()
    assert sorted((e.decoded("DTSTART"), str(e["SUMMARY"])) for e in events.values()) == sorted(
        (date.fromisoformat(s["date"]), s["title"]) for s in plan["sessions"]
    )
    deleted_uid = next(c["uid"] for c in moved["events"] if c["action"] == "deleted")
    assert deleted_uid not in events
    ankle_2 = next(e for e in events.values() if str(e["SUMMARY"]).startswith("Ankle session 2"))
    assert int(ankle_2["SEQUENCE"]) == 2

    # and nothing is left to do afterwards, the cancelled session is not deleted twice
    again = push_json()
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)


@needs_radicale
def test_an_event_deleted_on_the_server_is_sent_again(radicale, configured, calendar_name):
    import caldav

    push_json()
    client = caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    calendar = client.principal().calendar(name=calendar_name)
    victim = calendar.get_events()[0]
    uid = str(victim.icalendar_component["UID"])
    victim.delete()
    report = push_json()
    assert [(c["action"], c["uid"]) for c in report["events"] if c["action"] != "unchanged"] == [
        ("created", uid)
    ]
    assert uid in server_events(radicale, calendar_name)


@needs_radicale
def test_check_finds_the_calendar_only_after_the_first_push(radicale, configured, calendar_name):
    code, out = run("caldav", "check")
    assert code == 1 and "caldav push" in out
    push_json()
    code, out = run("caldav", "check", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["events"], data["published"], data["password_set"]) == (7, 7, True)
    assert PASSWORD not in out


@needs_radicale
def test_a_refused_login_names_the_variable_never_the_password(
    radicale, configured, calendar_name, monkeypatch
):
    wrong = "Wr0ng-" + PASSWORD
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    code, out = run("caldav", "push", "--week", WEEK)
    assert code == 1
    assert PASSWORD_ENV in out and wrong not in out and PASSWORD not in out
    assert "Traceback" not in out


@needs_radicale
def test_credentials_in_the_url_are_not_printed(radicale, configured, calendar_name, monkeypatch):
    port = radicale.url.rsplit(":", 1)[1].strip("/")
    secret_url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/nowhere-at-all/"
    write_settings(configured, secret_url, calendar_name, extra=f'calendar_url = "{secret_url}"\n')
    monkeypatch.setenv(PASSWORD_ENV, "Wr0ng")
    code, out = run("caldav", "push", "--week", WEEK)
    assert code == 1 and out.startswith("Error:")
    assert PASSWORD not in out


def test_the_password_never_lives_in_settings_toml(library_home):
    library_home.mkdir(parents=True)
    write_settings(
        library_home, "https://cal.example.com/", "Ankle plan", extra='password = "hunter2-secret"\n'
    )
    code, out = run("caldav", "push")
    assert code == 1 and "password_env" in out and "hunter2-secret" not in out


def test_settings_are_checked():
    with pytest.raises(SettingsError, match=r"\[caldav\]"):
        CalDAVConfig.from_table(None)
    with pytest.raises(SettingsError, match="url"):
        CalDAVConfig.from_table({"url": "cal.example.com"})
    with pytest.raises(SettingsError, match="weeks"):
        CalDAVConfig.from_table({"url": "https://cal.example.com/", "weeks": 0})
    config = CalDAVConfig.from_table({"url": "https://cal.example.com/dav/"})
    assert (config.password_env, config.calendar, config.weeks) == (
        "STRIDELINK_CALDAV_PASSWORD",
        "Ankle plan",
        2,
    )


def test_redact_removes_userinfo_and_secrets():
    assert redact("GET https://ann:s3cret@cal.example.com/x failed: s3cret", "s3cret") == (
        "GET https://cal.example.com/x failed: ***"
    )


class FakeCalendar:
    """A calendar in memory, for the publishing rules without a server."""

    url = "https://cal.example.com/ann/ankle/"

    def __init__(self, listable: bool = True) -> None:
        self.events: dict[str, tuple[str, bytes]] = {}  # href -> (uid, body)
        self.listable = listable

    def existing(self, first_day, last_day):
        if not self.listable:
            return None
        out = {}
        for href, (uid, body) in self.events.items():
            (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
            out[uid] = RemoteEvent(href, int(event.get("SEQUENCE", 0)))
        return out

    def put(self, uid, body, href):
        href = href or f"{self.url}{uid}.ics"
        self.events[href] = (uid, body)
        return href

    def delete(self, href):
        self.events.pop(href, None)

    def sequence(self, uid: str) -> int:
        body = next(b for u, b in self.events.values() if u == uid)
        return int(icalendar.Calendar.from_ical(body).walk("VEVENT")[0]["SEQUENCE"])


def week_objects(plan, memory):
    from stridelink_caldav.sync import calendar_objects

    from stridelink.settings import Settings

    return calendar_objects([plan], Settings(), memory)


def test_a_change_goes_above_a_higher_sequence_already_on_the_server(plan, replan):
    remote, memory = FakeCalendar(), {}
    push(remote, week_objects(plan, memory), memory)
    href, (uid, body) = next(
        (h, e) for h, e in remote.events.items() if b"SUMMARY:Ankle strength A\r\n" in e[1]
    )
    remote.events[href] = (uid, body.replace(b"SEQUENCE:0", b"SEQUENCE:5"))  # someone else edited it
    changed = replan(plan, "ankle-1", title="Ankle strength A, lighter")
    report = push(remote, week_objects(changed, memory), memory)
    assert [(c.action, c.uid, c.sequence) for c in report.changes if c.action != "unchanged"] == [
        ("updated", uid, 6)
    ]
    assert remote.sequence(uid) == 6


def test_resend_sends_everything_and_an_unlistable_server_falls_back_to_memory(plan):
    remote, memory = FakeCalendar(listable=False), {}
    first = push(remote, week_objects(plan, memory), memory)
    assert first.count("created") == 3
    again = push(remote, week_objects(plan, memory), memory)
    assert again.count("unchanged") == 3
    moved = dataclasses.replace(
        plan,
        sessions=tuple(
            dataclasses.replace(s, slot="flow-moved") if s.slot == "flow" else s for s in plan.sessions
        ),
    )
    dropped = push(remote, week_objects(moved, memory), memory)
    assert (dropped.count("created"), dropped.count("deleted")) == (1, 1)
    assert len(remote.events) == 3
    resent = push(remote, week_objects(plan, memory), memory, resend=True)
    assert resent.count("unchanged") == 0 and len(remote.events) == 3
