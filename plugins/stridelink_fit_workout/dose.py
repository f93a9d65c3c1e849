"""Reading a dose such as ``3 x 20 s per side`` into sets, an amount and its unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

REPS = "reps"
SECONDS = "s"
METRES = "m"

# "[sets x] amount [unit] [rest]": "2 x 10 each direction", "3 x 20 s per side", "4 x 15 m", "10 each way"
_DOSE = re.compile(
    r"""^\s*(?:(?P<sets>\d+)\s*[x×]\s*)?
    (?P<amount>\d+(?:\.\d+)?)\s*
    (?P<unit>min(?:utes?|s)?|s(?:ec(?:onds?|s)?)?|m(?:etres?|eters?)?)?\b
    [\s,]*(?P<rest>.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIDES = re.compile(r"\b(?:per|each)\s+(?:side|foot|leg)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Dose:
    """What a watch can count: ``sets`` of ``amount`` reps, seconds or metres (``unit`` None: not countable)."""

    text: str
    sets: int = 1
    amount: int = 0
    unit: str | None = None
    per_side: bool = False  # the amount is done on each side in turn


def parse_dose(text: str) -> Dose:
    """``"3 x 20 s per side"`` -> 3 sets of 20 s on each side; a dose without numbers counts nothing."""
    match = _DOSE.match(text)
    if match is None:
        return Dose(text)
    sets = max(int(match["sets"] or 1), 1)
    amount = float(match["amount"])
    unit_word = (match["unit"] or "").lower()
    if unit_word.startswith("min"):
        unit, amount = SECONDS, amount * 60
    elif unit_word.startswith("s"):
        unit = SECONDS
    elif unit_word.startswith("m"):
        unit = METRES
    else:
        unit = REPS
    if amount < 1:
        return Dose(text)
    return Dose(text, sets, round(amount), unit, bool(_SIDES.search(match["rest"])))
