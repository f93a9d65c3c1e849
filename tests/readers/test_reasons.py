"""Reasons a FIT file is skipped read as plain words, never a Python value or a bare profile number."""

from __future__ import annotations

import pytest

from stridelink.errors import NotARunError
from stridelink.readers.fit import activities_from_messages
from stridelink.readers.fitmessages import FitMessages


@pytest.mark.parametrize(
    ("file_type", "reason"),
    [
        ("8", "a FIT file of unknown type 8, not an activity"),
        (8, "a FIT file of unknown type 8, not an activity"),
        ("monitoring_b", "a FIT monitoring b file, not an activity"),
        ("settings", "a FIT settings file, not an activity"),
        ("2", "a FIT settings file, not an activity"),
    ],
)
def test_file_types_are_named(file_type: object, reason: str) -> None:
    with pytest.raises(NotARunError) as caught:
        activities_from_messages(FitMessages(file_type=file_type))  # type: ignore[arg-type]
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("sports", "reason"),
    [
        ([None], "the file does not say which sport it recorded"),
        ([None, "cycling"], "a cycling activity, not a foot activity"),
        (["stand_up_paddleboarding", "swimming"], "a stand up paddleboarding, swimming activity, not a foot activity"),
        (["e_biking"], "an e biking activity, not a foot activity"),
        ([199], "a sport 199 activity, not a foot activity"),
    ],
)
def test_sports_are_named_in_words(sports: list[object], reason: str) -> None:
    msgs = FitMessages(file_type="activity", sessions=[{"sport": sport} for sport in sports])
    with pytest.raises(NotARunError) as caught:
        activities_from_messages(msgs)
    assert str(caught.value) == reason
    assert "None" not in str(caught.value) and "_" not in str(caught.value)
