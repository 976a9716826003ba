"""What a staff account proves itself with: an argon2id password and a TOTP second factor
(its secret encrypted at rest)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from urna.core.crypto import Crypto
from urna.staff.models import StaffUser
from urna.staff.schemas import PASSWORD_MAX_LENGTH

# OWASP's argon2id floor: 19 MiB, 2 iterations, 1 lane. Raising these makes every stored
# hash "need rehash": it is replaced at the account's next successful login.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
TOTP_CONTEXT = "staff-totp"
TOTP_ISSUER = "Urna"
TOTP_INTERVAL = 30
_dummy: list[str] = []


# ---- passwords ----------------------------------------------------------------------


def password_generate() -> str:
    """Four groups of five unambiguous characters: about 99 bits."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))


def password_hash(password: str) -> str:
    return HASHER.hash(password)


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(HASHER.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def password_verify(stored: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: an unknown account is checked
    against a dummy hash with the same parameters (no timing oracle)."""
    try:
        matched = HASHER.verify(stored or _dummy_hash(), password[:PASSWORD_MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and stored is not None


def password_needs_rehash(stored: str) -> bool:
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# ---- TOTP ---------------------------------------------------------------------------


def totp_secret_new() -> str:
    return pyotp.random_base32()


def totp_secret_encrypt(crypto: Crypto, secret: str) -> bytes:
    return crypto.encrypt({"secret": secret}, context=TOTP_CONTEXT)


def totp_secret_of(crypto: Crypto, user: StaffUser) -> str:
    return crypto.decrypt(user.totp_secret_enc, context=TOTP_CONTEXT)["secret"]


def totp_match_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step a 6-digit code belongs to (now, one step back or ahead), or None."""
    code = "".join(ch for ch in code if ch in "0123456789")  # not "²": isdigit() takes it
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    step = int((at if at is not None else time.time()) // TOTP_INTERVAL)
    for candidate in (step - 1, step, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg_data_uri: str


def totp_enrolment(*, crypto: Crypto, user: StaffUser) -> Enrolment:
    secret = totp_secret_of(crypto, user)
    uri = pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.email, issuer_name=TOTP_ISSUER
    )
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=4)
    return Enrolment(secret=secret, uri=uri, qr_svg_data_uri=qr)
