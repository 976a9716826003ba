"""Receipt codes: random (never derived from the identity, so a code tells nobody who
voted), 12 characters of Crockford base32, stored only as a keyed hash."""

from __future__ import annotations

import secrets

from urna.core.crypto import Crypto

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LENGTH = 12


def receipt_new() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def receipt_normalise(code: str) -> str:
    code = code.upper().replace("-", "").replace(" ", "")
    return code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def receipt_format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_hash(crypto: Crypto, code: str) -> str:
    return crypto.keyed_hash(scope="receipt", value=receipt_normalise(code))
