"""Text from outside (file names, zip entry names, reasons that quote them) made safe to print on a terminal.

A file name may hold escape sequences (which retitle the window or clear the screen), a newline (which forges
whole output lines) or bytes that are not UTF-8. ``safe`` shows each such character as a visible escape, so
what is printed is exactly one line that shows the name as it is. JSON output needs none of this: json escapes.
"""

from __future__ import annotations

import re

# C0 and C1 control characters, DEL, line and paragraph separators, and the bidirectional overrides that reorder
# what is shown; lone surrogates stand for bytes that are not UTF-8 (os.fsdecode's surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object) -> str:
    """``text`` as one printable line: control characters and the like shown as escapes (``\\n``, ``\\e``)."""
    return _UNSAFE.sub(_escape, str(text))


def words(key: str | None) -> str:
    """An internal key as words for people: ``calf_strength`` -> ``calf strength``; None -> ``""``."""
    return "" if key is None else str(key).replace("_", " ")
