"""A wrong value in settings.toml is one clear line naming the key, never a traceback or an unbounded run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stridelink import paths
from stridelink.cli import cli
from stridelink.errors import SettingsError
from stridelink.settings import load_settings

BAD = [
    ('[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = "two"\n', "export #1 weeks"),
    ('[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = [1]\n', "export #1 weeks"),
    ('[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = 300000\n', "export #1 weeks"),
    ('[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = 9223372036854775807\n', "export #1 weeks"),
    ('[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = true\n', "export #1 weeks"),
    ('[[export]]\nformat = 3\npath = "a.ics"\n', "export #1 format"),
    ('[[export]]\nformat = "ics"\npath = ["a.ics"]\n', "export #1 path"),
    ('export = "ics"\n', "export"),
    ("timezone = 5\n", "timezone"),
    ('session_reminder_min = "ten"\n', "session_reminder_min"),
    ("session_reminder_min = 99999999999\n", "session_reminder_min"),
    ("preferred_time = 7\n", "preferred_time"),
    ('ankle_days = "tue"\n', "ankle_days"),
    ("ankle_days = [2]\n", "ankle_days"),
    ("flow_day = 6\n", "flow_day"),
]


def _write(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    paths.settings_path(home).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("text", "key"), BAD)
def test_a_bad_value_is_named_in_one_line(library_home: Path, text: str, key: str) -> None:
    _write(library_home, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(library_home)
    assert f"{key}:" in str(caught.value) and "settings.toml" in str(caught.value)
    for command in (["plan"], ["settings"], ["log", "pain", "2"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output and not isinstance(result.exception, (TypeError, ValueError))
        assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1


def test_good_values_still_read(library_home: Path) -> None:
    _write(
        library_home,
        'timezone = "Europe/Berlin"\nankle_days = ["tue", "fri"]\npreferred_time = 07:30:00\n'
        'session_reminder_min = 15\n[[export]]\nformat = "ics"\npath = "a.ics"\nweeks = 52\n',
    )
    settings = load_settings(library_home)
    assert settings.exports[0].weeks == 52 and settings.preferred_time is not None
    assert settings.preferred_time.hour == 7 and settings.session_reminder_min == 15
