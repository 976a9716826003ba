"""Receipt codes: random (never derived from the identity, so a code tells nobody who
voted), 12 characters of Crockford base32, stored only as a keyed hash."""

from __future__ import annotations

import secrets
import time
import unicodedata

from cryptography.exceptions import InvalidTag

from urna.core.crypto import Crypto

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LENGTH = 12
# How long the receipt page's address shows the receipt without the session.
LINK_SECONDS = 15 * 60
_LINK_CONTEXT = "receipt-link"


def receipt_new() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def _hyphens_plain(code: str) -> str:
    """Every dash (en and em dashes, the Unicode hyphens, the minus sign) as the ASCII
    hyphen the code is printed with: a word processor or a phone's keyboard turns "-" into
    "–" when the resident copies the code into a note."""
    return "".join("-" if ch == "\u2212" or unicodedata.category(ch) == "Pd" else ch for ch in code)


def receipt_normalise(code: str) -> str:
    code = _hyphens_plain(code).upper().replace("-", "").replace(" ", "")
    return code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def receipt_format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_hash(crypto: Crypto, code: str) -> str:
    return crypto.keyed_hash(scope="receipt", value=receipt_normalise(code))


def receipt_link_token(crypto: Crypto, *, slug: str, code: str) -> str:
    """The receipt, sealed (encrypted and authenticated) for the receipt page's address:
    the resident sees it even when the session store fails after the ballot committed.
    It expires after ``LINK_SECONDS``; request logs redact it (a ``receipt`` parameter)."""
    return crypto.encrypt_text(
        {"edition": slug, "code": code, "until": time.time() + LINK_SECONDS},
        context=_LINK_CONTEXT,
    )


def receipt_link_open(crypto: Crypto, token: str, *, slug: str) -> str | None:
    """The receipt code a link token carries for edition ``slug``, or None when the token
    is forged, damaged, for another edition or expired."""
    try:
        sealed = crypto.decrypt_text(token[:400], context=_LINK_CONTEXT)
    except (InvalidTag, ValueError):  # forged or damaged: bad tag, base64 or JSON
        return None
    if sealed.get("edition") != slug or not time.time() < float(sealed.get("until", 0)):
        return None
    return str(sealed.get("code"))


_HASH_BYTES = 32  # receipt_hash is an HMAC-SHA-256 (``Crypto.keyed_hash``)


def receipt_hashes_unheld(count: int) -> list[str]:
    """``count`` stored receipts, in ``receipt_hash``'s form (64 hex digits), for ballots
    whose receipt nobody holds (an import's): random, as a hash of a random code is, but
    from one read of the system's random source instead of a code and a keyed hash each."""
    digits = secrets.token_bytes(_HASH_BYTES * count).hex()
    step = 2 * _HASH_BYTES
    return [digits[start : start + step] for start in range(0, len(digits), step)]
