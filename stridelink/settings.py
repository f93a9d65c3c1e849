"""The athlete's preferences, kept in ``settings.toml`` in the library folder.

Example::

    timezone = "Europe/Berlin"
    ankle_days = ["tue", "fri"]     # the two ankle-focused sessions
    flow_day = "sun"                # the longer weekly mobility flow
    long_run_day = "sun"            # omit to infer it from your runs; no hops the day before
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
    long_run_day: int | None = None  # None: inferred from the runs

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _weekday(value: object, key: str) -> int:
    if isinstance(value, str) and value[:3].lower() in WEEKDAYS:
        return WEEKDAYS.index(value[:3].lower())
    raise SettingsError(f"{key}: {value!r} is not a weekday (use mon, tue, ... sun)")


def _whole(value: object, key: str, low: int, high: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{key}: {value!r} is not a whole number of {unit} from {low} to {high}")
    return value


def _text(value: object, key: str, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{key}: {value!r} is not text; write it in quotes, e.g. {example}")
    return value


MAX_EXPORT_WEEKS = 52
MAX_REMINDER_MIN = 24 * 60


def parse_settings(data: dict[str, object], *, base: Path) -> Settings:
    """Build Settings from a parsed TOML table; raises SettingsError naming the bad key and what it wants."""
    defaults = Settings()
    timezone = _text(data.get("timezone", defaults.timezone), "timezone", "'Europe/Berlin'")
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
        raw_time = data["preferred_time"]
        if isinstance(raw_time, time):  # TOML's own local time: preferred_time = 07:30:00
            preferred_time = raw_time
        else:
            try:
                preferred_time = time.fromisoformat(_text(raw_time, "preferred_time", "'07:30'"))
            except ValueError:
                raise SettingsError(f"preferred_time: {raw_time!r} is not a time; use HH:MM, e.g. '07:30'") from None
    reminder = data.get("session_reminder_min")
    if reminder is not None:
        reminder = _whole(reminder, "session_reminder_min", 0, MAX_REMINDER_MIN, "minutes")
    raw_exports = data.get("export", [])
    if not isinstance(raw_exports, list):
        raise SettingsError("export: write each automatic export as an [[export]] table with format and path")
    exports = []
    for i, item in enumerate(raw_exports):
        key = f"export #{i + 1}"
        if not isinstance(item, dict) or "format" not in item or "path" not in item:
            raise SettingsError(f"{key}: needs format and path")
        fmt = _text(item["format"], f"{key} format", "'ics'")
        target = Path(_text(item["path"], f"{key} path", "'~/Sync/ankle-plan.ics'")).expanduser()
        weeks = _whole(item.get("weeks", 1), f"{key} weeks", 1, MAX_EXPORT_WEEKS, "weeks")
        exports.append(AutoExport(fmt, target if target.is_absolute() else base / target, weeks))
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    long_run_day = _weekday(data["long_run_day"], "long_run_day") if data.get("long_run_day") else None
    return Settings(timezone, ankle_days, flow_day, preferred_time, reminder, tuple(exports), tables, long_run_day)


def load_settings(home: Path | None = None) -> Settings:
    """The settings of the library at ``home``; defaults when there is no settings file."""
    path = paths.settings_path(home)
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}; fix or delete the file") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return parse_settings(data, base=path.parent)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None
