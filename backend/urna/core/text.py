"""Text as people type it and as it leaves the system.

``text_fold`` makes "ul. Łąkowa" and "UL.  LAKOWA" the same key (case, spaces and
diacritics ignored); the street register and the resident's address are compared by it.
``text_unsafe`` finds what only hides text: control characters (NUL among them) and the
direction overrides that make a line read differently from what it holds. ``inert`` makes
text from outside (a request, a file) safe to store, show or export: those characters
escaped, the length bounded.
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
    """Case-, space- and diacritic-insensitive form of a name, for comparing and hashing.

    A voter's identity key is made of it (``voting.identity``): a change here can let a
    resident who has voted vote again, so it must not be deployed while an edition is open."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip().casefold()


# The Polish alphabet's order: each letter with a diacritic right after its base letter.
_POLISH_ORDER = {letter: i for i, letter in enumerate("aąbcćdeęfghijklłmnńoóprsśtuvwxyzźż")}
_POLISH_ORDER.update({"q": _POLISH_ORDER["p"] + 0.5})  # q (foreign names) between p and r


def polish_order(text: str) -> tuple:
    """A sort key putting names in Polish alphabetical order (Łąkowa after Lipowa, Śląska
    after Szkolna), whatever the database's collation; case and punctuation come second."""
    folded = text.casefold()
    return (
        tuple(_POLISH_ORDER.get(c, 100 + ord(c)) for c in folded if c.isalnum()),
        folded,
        text,
    )


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


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 case", "2 cases": an English count for the command line (the pages count in
    their language with gettext's plurals)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
