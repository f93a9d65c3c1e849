"""The athlete's preferences, kept in ``settings.toml`` in the library folder.

Example::

    timezone = "Europe/Berlin"
    ankle_days = ["tue", "fri"]     # the two ankle-focused sessions
    flow_day = "sun"                # the longer weekly mobility flow
    preferred_time = "07:30"        # omit for all-day calendar events
    session_reminder_min = 15       # omit for no reminder

    [[export]]                      # run after every import that changes a plan
    format = "ics"
    path = "~/Sync/ankle-plan.ics"
    weeks = 2
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stridelink import paths
from stridelink.errors import SettingsError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class AutoExport:
    format: str
    path: Path
    weeks: int = 1


@dataclass(frozen=True, slots=True)
class Settings:
    timezone: str = "UTC"
    ankle_days: tuple[int, ...] = (1, 4)  # Monday = 0
    flow_day: int = 6
    preferred_time: time | None = None
    session_reminder_min: int | None = None
    exports: tuple[AutoExport, ...] = field(default_factory=tuple)
    tables: dict[str, Any] = field(default_factory=dict)  # other [sections], for plugins (e.g. [caldav])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _weekday(value: object, key: str) -> int:
    if isinstance(value, str) and value[:3].lower() in WEEKDAYS:
        return WEEKDAYS.index(value[:3].lower())
    raise SettingsError(f"{key}: {value!r} is not a weekday (use mon, tue, ... sun)")


def parse_settings(data: dict[str, object], *, base: Path) -> Settings:
    """Build Settings from a parsed TOML table; raises SettingsError naming the bad key."""
    defaults = Settings()
    timezone = str(data.get("timezone", defaults.timezone))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"timezone: {timezone!r} is not an IANA time zone such as 'Europe/Berlin'") from None
    raw_days = data.get("ankle_days", [WEEKDAYS[d] for d in defaults.ankle_days])
    if not isinstance(raw_days, list) or not raw_days:
        raise SettingsError("ankle_days: give a list such as ['tue', 'fri']")
    ankle_days = tuple(sorted({_weekday(d, "ankle_days") for d in raw_days}))
    flow_day = _weekday(data.get("flow_day", WEEKDAYS[defaults.flow_day]), "flow_day")
    preferred_time = None
    if data.get("preferred_time"):
        try:
            preferred_time = time.fromisoformat(str(data["preferred_time"]))
        except ValueError:
            raise SettingsError("preferred_time: use HH:MM, e.g. '07:30'") from None
    reminder = data.get("session_reminder_min")
    if reminder is not None and (not isinstance(reminder, int) or reminder < 0):
        raise SettingsError("session_reminder_min: give a whole number of minutes")
    exports = []
    for i, item in enumerate(data.get("export", []) or []):  # type: ignore[union-attr]
        if not isinstance(item, dict) or "format" not in item or "path" not in item:
            raise SettingsError(f"export #{i + 1}: needs format and path")
        target = Path(str(item["path"])).expanduser()
        exports.append(
            AutoExport(str(item["format"]), target if target.is_absolute() else base / target, int(item.get("weeks", 1)))
        )
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    return Settings(timezone, ankle_days, flow_day, preferred_time, reminder, tuple(exports), tables)


def load_settings(home: Path | None = None) -> Settings:
    """The settings of the library at ``home``; defaults when there is no settings file."""
    path = paths.settings_path(home)
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}; fix or delete the file") from None
    return parse_settings(data, base=path.parent)
