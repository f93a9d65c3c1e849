"""The decoder's FIT profile table says what the official profile (garmin-fit-sdk) says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stridelink.readers import fitprofile, fitprofile_table
from stridelink.readers.fitprofile_build import (
    TABLE_MESSAGES,
    TABLE_PATH,
    base_types_from_sdk,
    enum_from_sdk,
    message_fields_from_sdk,
    table_source,
)
from tests.conftest import CORPUS, needs_corpus


def test_the_table_is_generated_from_the_installed_sdk() -> None:
    assert TABLE_PATH.read_text(encoding="utf-8") == table_source(), (
        "garmin-fit-sdk changed: run `python -m stridelink.readers.fitprofile_build`"
    )


@pytest.mark.parametrize("mesg", TABLE_MESSAGES)
def test_message_fields_equal_the_sdk_profile(mesg: int) -> None:
    assert dict(fitprofile.message_fields(mesg)) == message_fields_from_sdk(mesg)


def test_enum_names_and_base_types_equal_the_sdk_profile() -> None:
    for name in fitprofile_table.ENUMS:
        assert dict(fitprofile.enum_values(name) or {}) == enum_from_sdk(name), name
    assert {row[0]: row for row in base_types_from_sdk()} == {
        ident: (base.ident, base.name, base.size, base.code, base.invalid)
        for ident, base in fitprofile.BASE_TYPES.items()
    }


def test_messages_and_types_outside_the_table_come_from_the_sdk() -> None:
    event = 21
    assert event not in fitprofile_table.MESSAGES
    assert fitprofile.message_fields(event)[0].name == "event"
    assert "hr_type" in fitprofile_table.OTHER_ENUMS
    assert dict(fitprofile.enum_values("hr_type") or {}) == enum_from_sdk("hr_type")
    assert fitprofile.enum_values("uint16") is None and fitprofile.enum_values("date_time") is None


@pytest.mark.slow  # a fresh interpreter
@needs_corpus
def test_reading_a_fit_file_does_not_load_the_sdk() -> None:
    code = (
        "import sys\n"
        "from stridelink.readers.fit import read_fit\n"
        f"(run,) = read_fit(open({str(CORPUS / 'stride' / 'run.fit')!r}, 'rb').read())\n"
        "assert run.product == 'fr965' and run.sport == 'running', (run.product, run.sport)\n"
        "print(sorted(m for m in sys.modules if m.startswith('garmin_fit_sdk')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
