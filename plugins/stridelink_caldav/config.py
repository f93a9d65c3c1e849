"""The ``[caldav]`` table of settings.toml, and keeping the password out of everything printed.

    [caldav]
    url = "https://cloud.example.com/remote.php/dav"   # the server (or its CalDAV root)
    username = "runner"
    calendar = "Ankle plan"          # display name; created on the first push when missing
    password_env = "NEXTCLOUD_APP_PASSWORD"   # default: STRIDELINK_CALDAV_PASSWORD
    weeks = 2                        # `stridelink caldav push` default: this week and next

The password is read from the environment only, never from the settings file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stridelink
from stridelink import SettingsError

DEFAULT_PASSWORD_ENV = "STRIDELINK_CALDAV_PASSWORD"
DEFAULT_CALENDAR = "Ankle plan"
DEFAULT_WEEKS = 2
DEFAULT_TIMEOUT_S = 30
_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


@dataclass(frozen=True)
class CalDAVConfig:
    url: str
    username: str | None
    calendar: str
    calendar_url: str | None  # the calendar collection itself: skips discovery by name
    password_env: str
    weeks: int
    timeout_s: int
    verify_tls: bool | str  # True, False, or a CA bundle's path

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> CalDAVConfig:
        if not table:
            raise SettingsError(
                "no [caldav] table in settings.toml: add url, username and calendar "
                "(`stridelink path` shows the folder it lives in)"
            )
        if "password" in table:
            raise SettingsError(
                "[caldav] password: keep the password out of settings.toml; set the environment variable "
                f"named by password_env (default {DEFAULT_PASSWORD_ENV}) instead"
            )
        url = table.get("url") or table.get("calendar_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SettingsError("[caldav] url: give the server's address, starting with https://")
        weeks = table.get("weeks", DEFAULT_WEEKS)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 52:
            raise SettingsError("[caldav] weeks: a whole number from 1 to 52")
        timeout = table.get("timeout_s", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise SettingsError("[caldav] timeout_s: a number of seconds above 0")
        verify = table.get("verify_tls", True)
        if not isinstance(verify, bool | str):
            raise SettingsError("[caldav] verify_tls: true, false, or the path of a CA bundle")
        username = table.get("username")
        calendar_url = table.get("calendar_url")
        return cls(
            url=url,
            username=str(username) if username else None,
            calendar=str(table.get("calendar") or DEFAULT_CALENDAR),
            calendar_url=str(calendar_url) if calendar_url else None,
            password_env=str(table.get("password_env") or DEFAULT_PASSWORD_ENV),
            weeks=weeks,
            timeout_s=int(timeout),
            verify_tls=verify,
        )

    @classmethod
    def from_settings(cls, settings: stridelink.Settings) -> CalDAVConfig:
        return cls.from_table(settings.tables.get("caldav"))

    def password(self) -> str | None:
        """From the environment variable ``password_env``; None when it is not set (no authentication)."""
        return os.environ.get(self.password_env) or None


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without the secrets and without ``user:password@`` in URLs, fit to print."""
    text = _USERINFO.sub("", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
