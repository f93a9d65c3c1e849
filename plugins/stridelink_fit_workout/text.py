"""FIT strings: UTF-8, zero-terminated, at most 255 bytes a field (the definition's size byte)."""

from __future__ import annotations

FIELD_MAX_BYTES = 255
NOTES_MAX_BYTES = FIELD_MAX_BYTES - 1  # the terminating zero counts
NAME_MAX_BYTES = 48  # watches show names on one or two lines; longer ones are cut on screen anyway
ELLIPSIS = "…"


def clip(text: str, max_bytes: int) -> str:
    """``text`` on one line, cut to ``max_bytes`` UTF-8 bytes at a character boundary (with an ellipsis)."""
    text = " ".join(text.split())
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max_bytes - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip()
    return cut + ELLIPSIS
