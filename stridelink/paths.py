"""The one place that decides where stridelink keeps things."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "STRIDELINK_HOME"


def library_path() -> Path:
    """The library folder: ``$STRIDELINK_HOME`` or the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("stridelink")


def db_path(home: Path | None = None) -> Path:
    return (home or library_path()) / "stridelink.db"


def archive_path(home: Path | None = None) -> Path:
    """Original files, stored by the SHA-256 of their bytes."""
    return (home or library_path()) / "archive"


def settings_path(home: Path | None = None) -> Path:
    return (home or library_path()) / "settings.toml"


def exports_path(home: Path | None = None) -> Path:
    """Default destination of automatic exports."""
    return (home or library_path()) / "exports"
