"""The calendar on a CalDAV server (Nextcloud, Fastmail, iCloud, Radicale, ...), through the caldav library."""

from __future__ import annotations

import posixpath
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from stridelink import StridelinkError
from stridelink_caldav.config import CalDAVConfig, redact
from stridelink_caldav.publish import RemoteEvent

MESSAGE_MAX_CHARS = 240


class CalDAVError(StridelinkError):
    """The server could not be reached or refused a request; the message never holds the password."""


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is no number
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def inside(calendar_url: str, href: str) -> str | None:
    """``href`` as an absolute URL when it names something inside the calendar collection ``calendar_url``
    (same scheme, host and port, a path under the calendar's, no ``..``); None otherwise."""
    absolute = urljoin(calendar_url, href)
    if _origin(absolute) != _origin(calendar_url):
        return None
    base = unquote(urlsplit(calendar_url).path).rstrip("/") + "/"
    path = unquote(urlsplit(absolute).path)
    if ".." in path.split("/") or posixpath.normpath(path) + ("/" if path.endswith("/") else "") != path:
        return None
    return absolute if path.startswith(base) and len(path) > len(base) else None


def _import_caldav() -> Any:
    try:
        import caldav
    except ModuleNotFoundError:
        raise CalDAVError("the caldav package is not installed: pip install caldav") from None
    return caldav


class CalDAVCalendar:
    """One calendar of the account: found by display name (created on request), or by ``calendar_url``."""

    def __init__(self, config: CalDAVConfig) -> None:
        self.config = config
        self._password = config.password()
        self._caldav = _import_caldav()
        self.client = self._caldav.DAVClient(
            url=config.url,
            username=config.username,
            password=self._password,
            timeout=config.timeout_s,
            ssl_verify_cert=config.verify_tls,
        )
        # what a request can raise: DAV and HTTP errors, network and TLS errors (OSError), bad answers
        # (ValueError; lxml's XMLSyntaxError is a SyntaxError)
        self._failures = (self._caldav.error.DAVError, OSError, ValueError, SyntaxError)
        self.calendar: Any = None
        self.url = ""

    def error(self, doing: str, exc: BaseException, where: str | None = None) -> CalDAVError:
        """A one-line message for ``exc``, with credentials removed."""
        name = type(exc).__name__
        text = str(exc)
        if name == "AuthorizationError" or "401" in text or "Unauthorized" in text:
            who = f" for {self.config.username!r}" if self.config.username else ""
            hint = f"the server refused the login{who}; check the password in ${self.config.password_env}"
            if self._password is None:
                hint = f"the server wants a login: set the environment variable {self.config.password_env}"
            return CalDAVError(f"{doing}: {hint}")
        where = redact(where or self.config.url)
        if name == "NotFoundError":
            return CalDAVError(f"{doing}: nothing found at {where}")
        detail = " ".join(redact(text, self._password).split()) or name
        if len(detail) > MESSAGE_MAX_CHARS:
            detail = detail[: MESSAGE_MAX_CHARS - 1] + "…"
        return CalDAVError(f"{doing} ({where}): {name}: {detail}")

    def open(self, *, create: bool) -> bool:
        """Find the calendar; returns True when it was created now. With ``create`` False, raises if missing."""
        error = self._caldav.error
        try:
            if self.config.calendar_url:
                self.calendar = self.client.calendar(url=self.config.calendar_url)
                self.calendar.get_display_name()  # a request: fails here when the URL is wrong
                created = False
            else:
                principal = self.client.principal()
                try:
                    self.calendar = principal.calendar(name=self.config.calendar)
                    created = False
                except error.NotFoundError:
                    if not create:
                        raise CalDAVError(
                            f"no calendar named {self.config.calendar!r} yet; `stridelink caldav push` creates it"
                        ) from None
                    self.calendar = principal.make_calendar(name=self.config.calendar)
                    created = True
        except CalDAVError:
            raise
        except self._failures as exc:
            raise self.error("cannot open the calendar", exc, self.config.calendar_url) from None
        url = str(self.calendar.url)
        trusted = {_origin(self.config.url)} | ({_origin(self.config.calendar_url)} if self.config.calendar_url else set())
        if _origin(url) not in trusted:
            raise CalDAVError(
                f"the server named a calendar on another server ({redact(url)}): refused; set calendar_url in"
                " [caldav] if that is really your calendar"
            )
        self.url = url
        return created

    def _own(self, href: str, doing: str) -> str:
        """``href`` made absolute, or CalDAVError when it leaves the calendar: the login goes nowhere else."""
        absolute = inside(self.url, href)
        if absolute is None:
            raise CalDAVError(
                f"{doing}: the server pointed to {redact(href)}, outside the calendar {redact(self.url)}: refused"
                " (credentials are only ever sent to the configured calendar)"
            )
        return absolute

    def existing(self, first_day: date, last_day: date) -> dict[str, RemoteEvent] | None:
        start = datetime.combine(first_day - timedelta(days=1), time(0))
        end = datetime.combine(last_day + timedelta(days=2), time(0))  # a margin for time zones
        try:
            found = self.calendar.search(start=start, end=end, event=True)
        except self._failures:  # some servers answer time-range searches badly: fall back to the records
            return None
        events = {}
        for event in found:
            component = event.icalendar_component
            uid = str(component.get("UID", ""))
            if uid:
                events[uid] = RemoteEvent(str(event.url), int(component.get("SEQUENCE", 0)))
        return events

    def put(self, uid: str, body: bytes, href: str | None) -> str:
        try:
            if href is None:
                event = self.calendar.add_event(body.decode("utf-8"), increase_seqno=False)
            else:
                event = self._caldav.Event(
                    self.client, url=self._own(href, f"cannot save event {uid}"), data=body.decode("utf-8"),
                    parent=self.calendar,
                )
                event.save(increase_seqno=False)
        except self._failures as exc:
            raise self.error(f"cannot save event {uid}", exc) from None
        return str(event.url)

    def delete(self, href: str) -> None:
        url = self._own(href, "cannot delete an event")
        try:
            self._caldav.Event(self.client, url=url, parent=self.calendar).delete()
        except self._caldav.error.NotFoundError:
            return
        except self._failures as exc:
            raise self.error(f"cannot delete {href}", exc) from None

    def events(self) -> list[Any]:
        """Every event on the calendar (for `caldav check`)."""
        try:
            return list(self.calendar.get_events())
        except self._failures as exc:
            raise self.error("cannot list the calendar's events", exc) from None
