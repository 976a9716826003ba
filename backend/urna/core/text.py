"""Text from outside (a request, a file) made inert before it is stored, shown or exported:
control and direction-override characters escaped, the length bounded."""

from __future__ import annotations

import re

MAX_TEXT = 500
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape_control(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def inert(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """No control or direction-override characters; bounded length."""
    if text is None:
        return None
    if CONTROL.search(text):
        text = CONTROL.sub(_escape_control, text)
    return text[:limit]
