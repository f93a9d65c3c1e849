"""Exceptions the library raises; the CLI turns them into one-line messages."""

from __future__ import annotations


class StridelinkError(Exception):
    """Base class of every error stridelink reports to the user."""


class UnreadableFileError(StridelinkError, ValueError):
    """The file is damaged or not what its name says: the import rejects it."""


class NotARunError(StridelinkError):
    """The file is valid but holds no foot activity: the import skips it."""


class UnknownExporterError(StridelinkError, LookupError):
    """No exporter plugin has that name."""


class UnknownRunError(StridelinkError, LookupError):
    """No run in the library has that id."""


class UnknownLogEntryError(StridelinkError, LookupError):
    """No log entry has that id."""


class SettingsError(StridelinkError, ValueError):
    """The settings file cannot be understood."""


class LibraryError(StridelinkError):
    """The library folder or its database cannot be used (missing rights, a file in its place, damage)."""


class DamagedDatabaseError(LibraryError):
    """The database file is damaged or is not a stridelink database."""


class LostDatabaseError(LibraryError):
    """The database was deleted or replaced while the archive still holds originals: rebuild, never start over."""


class InvalidDateError(StridelinkError, ValueError):
    """A date outside the range an entry can have (a typo such as 0001-01-01)."""


class TrainingSessionFile(NotARunError):
    """A watch recording of a strength or mobility session: not a run, but an ankle session done."""

    def __init__(self, reason: str, *, start_utc: object, duration_s: float, label: str) -> None:
        super().__init__(reason)
        self.start_utc = start_utc
        self.duration_s = duration_s
        self.label = label
