"""One mistyped date must not poison the library: it is refused, and rows stored before are harmless."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink.cli import cli
from stridelink.errors import InvalidDateError
from stridelink.store.library import Library
from tests.conftest import CORPUS, needs_corpus

RUN = CORPUS / "python-fitparse" / "garmin-fenix-5-run.fit"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31", "9999-12-31"])
def test_a_date_out_of_range_is_refused_and_nothing_is_stored(day: str) -> None:
    code, out = _invoke("log", "pain", "3", "--date", day)
    assert code == 2 and "out of range" in out  # a usage error
    with Library.open() as library:
        assert library.logs(out_of_range=True) == []


def test_the_range_is_1990_to_tomorrow() -> None:
    tomorrow = date.today() + timedelta(days=1)
    with Library.open() as library:
        assert library.add_log(date(1990, 1, 1), "pain", value=2.0) is not None
        assert library.add_log(tomorrow, "soreness", value=2.0) is not None
        with pytest.raises(InvalidDateError):
            library.add_log(tomorrow + timedelta(days=2), "pain", value=2.0)


@needs_corpus
def test_a_bad_row_stored_by_an_older_version_does_not_break_any_command(library_home: Path) -> None:
    code, out = _invoke("import", str(RUN))
    assert code == 0, out
    with Library.open() as library:
        with library.transaction() as db:
            db.execute(
                "INSERT INTO logs (day, kind, side, value, note, source, created_utc)"
                " VALUES ('0001-01-01', 'pain', 'both', 3, '', 'manual', '2026-01-01T00:00:00+00:00')"
            )
            db.execute(
                "INSERT INTO logs (day, kind, side, value, note, source, created_utc)"
                " VALUES ('not a day', 'pain', 'both', 3, '', 'manual', '2026-01-01T00:00:00+00:00')"
            )
        assert library.logs() == []  # neither counts in a plan
        assert len(library.logs(out_of_range=True)) == 2
    for command in (
        ["plan"],
        ["plan", "--week", "2026-W49", "--json"],
        ["export", "json"],
        ["export", "ics"],
        ["log", "list"],
        ["log", "session"],
        ["import", str(RUN)],
        ["report", "-o", str(library_home.parent / "report.html")],
    ):
        code, out = _invoke(*command)
        assert code == 0, (command, out)


@pytest.mark.parametrize(
    "start", [datetime(2099, 6, 1, 8, tzinfo=UTC), datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)]
)
def test_a_watch_session_dated_ahead_is_skipped_not_logged(tmp_path: Path, start: datetime) -> None:
    """A watch whose clock runs ahead (FIT cannot even hold times before 1998 as clock times)."""
    from stridelink.demo.simulator import make_strength_session

    path = tmp_path / "mobility.fit"
    path.write_bytes(make_strength_session(start, kind="mobility", duration_s=1200, seed=1))
    code, out = _invoke("import", "--json", str(path))
    assert code == 0, out
    assert json.loads(out.splitlines()[0])["status"] == "skipped"
    with Library.open() as library:
        assert library.logs(out_of_range=True) == []
