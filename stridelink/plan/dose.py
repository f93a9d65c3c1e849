"""A dose as the programme words it ("3 x 12 per side") and as numbers: sets, reps or seconds, per side.

Adjustments change doses through these numbers (one set fewer, one set more, a side favoured), and the
wording follows, so what the athlete reads is always what was counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# "[sets x] amount [unit] [rest]": "2 x 10 each direction", "3 x 20 s per side", "4 x 15 m", "6 x 10 s"
_DOSE = re.compile(
    r"^\s*(?:(?P<sets>\d+)\s*[x×]\s*)?(?P<amount>\d+)\s*(?P<unit>s|m|tries)?\b[\s,]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SIDES = re.compile(r"\b(?:per|each)\s+(?:side|foot|leg)\b|\bsingle leg\b", re.IGNORECASE)
MAX_SETS = 5


@dataclass(frozen=True, slots=True)
class Dose:
    text: str
    sets: int = 1
    reps: int | None = None
    seconds: int | None = None
    metres: int | None = None
    per_side: bool = False
    countable: bool = False  # the text starts with "sets x amount", so sets can change

    @property
    def volume(self) -> int:
        """Sets x reps (or seconds, or metres): what "lighter" and "more" compare."""
        amount = self.reps or self.seconds or self.metres or 1
        return self.sets * amount * (2 if self.per_side else 1)

    def with_sets(self, sets: int) -> Dose:
        """The same dose with ``sets`` sets (at least 1, at most MAX_SETS); the wording follows."""
        sets = min(max(sets, 1), max(MAX_SETS, self.sets))
        if not self.countable or sets == self.sets:
            return self
        text = re.sub(r"^\s*\d+(\s*[x×]\s*)", lambda m: f"{sets}{m[1]}", self.text, count=1)
        if text == self.text:  # "10 each way": no sets written yet
            text = f"{sets} x {self.text.strip()}"
        return replace(self, text=text, sets=sets)

    def with_note(self, note: str) -> Dose:
        return replace(self, text=f"{self.text}; {note}")


def parse_dose(text: str) -> Dose:
    """``"3 x 20 s per side"`` -> 3 sets of 20 s on each side; a dose without numbers counts one set."""
    match = _DOSE.match(text)
    per_side = bool(_SIDES.search(text))
    if match is None:
        return Dose(text, per_side=per_side)
    sets = max(int(match["sets"] or 1), 1)
    amount = int(match["amount"])
    unit = (match["unit"] or "").lower()
    if unit == "tries":  # "3 tries per side": a check, not a set of reps
        return Dose(text, 1, amount, per_side=per_side)
    if unit == "s":
        return Dose(text, sets, None, amount, per_side=per_side, countable=match["sets"] is not None)
    if unit == "m":
        return Dose(text, sets, None, None, amount, per_side=per_side, countable=match["sets"] is not None)
    return Dose(text, sets, amount, per_side=per_side, countable=match["sets"] is not None)
