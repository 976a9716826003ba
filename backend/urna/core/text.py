"""Text as people type it: one folded form for comparing names, and the characters no
form accepts.

``text_fold`` makes "ul. Łąkowa" and "UL.  LAKOWA" the same key (case, spaces and
diacritics ignored); the street register and the resident's address are compared by it.
``text_unsafe`` finds what only hides text: control characters (NUL among them) and the
direction overrides that make a line read differently from what it holds.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss"})
# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): "Trojan Source".
_DIRECTION = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_LINE_BREAKS = frozenset("\n\r\t\u2028\u2029")


def text_fold(text: str) -> str:
    """Case-, space- and diacritic-insensitive form of a name, for comparing and hashing."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip().casefold()


def text_unsafe(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a control character or a direction override; line breaks
    and tabs are allowed only in ``multiline`` text."""
    for ch in text:
        if ch in _LINE_BREAKS:
            if not multiline:
                return True
        elif ch in _DIRECTION or unicodedata.category(ch) == "Cc":
            return True
    return False
