"""What a request log may keep of a URL, a referer or an error message.

Form bodies and cookies are never read. In what is kept, a query parameter whose name
could carry personal data or a secret, and any value or path segment that looks like a
PESEL, a phone number, an e-mail address or a receipt code, become ``[redacted]``.
Everything stored is also made inert: percent-encoded URLs, and no control characters.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

from urna.core.text import MAX_TEXT, inert

REDACTED = "[redacted]"
MAX_URL = 2000

# A parameter is sensitive if its name contains any of these (over-redaction is the safe
# side: "first_name", "e-mail", "csrf_token", "receipt_code" all match).
SENSITIVE_NAMES = (
    "pesel", "phone", "tel", "mail", "password", "passwd", "pwd", "pass", "token", "csrf",
    "code", "otp", "receipt", "name", "street", "address", "house", "birth", "session",
    "sid", "secret", "key", "auth", "guardian", "contact", "nip", "iban", "card",
)  # fmt: skip

EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
PESEL = r"(?<!\d)\d{11}(?!\d)"
# Phone numbers as people write them: 9 digits, grouped 3-3-3 or 2-3-2-2 by spaces or
# dashes, optionally after +48 / 0048. Dots are no separator (versions, IP addresses).
PHONE = (
    r"(?<![\d+])(?:(?:\+|00)\d{1,3}[\s-]?)?"
    r"(?:\d{3}[\s-]?\d{3}[\s-]?\d{3}|\(?\d{2}\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2})(?!\d)"
)
# A copy of `urna.voting.receipts` (requestlog may not import voting; a test in
# tests/requestlog/test_redact_receipts.py asserts both agree): 12 Crockford base32
# characters, as issued or grouped XXXX-XXXX-XXXX. Ordinary slugs ("no-such-page-bars")
# are not receipts.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 12
_RECEIPT_CHAR = "[" + RECEIPT_ALPHABET + "]"
_GROUP = _RECEIPT_CHAR + "{4}"
RECEIPT = (
    rf"(?<![0-9A-Za-z])(?:{_GROUP}-{_GROUP}-{_GROUP}|{_RECEIPT_CHAR}{{{RECEIPT_LENGTH}}})"
    r"(?![0-9A-Za-z])"
)
# What is replaced wherever it appears (the public page /privacy/logging lists these).
PERSONAL_PATTERNS = {"email": EMAIL, "pesel": PESEL, "phone": PHONE, "receipt": RECEIPT}
PERSONAL = re.compile("|".join(f"(?:{p})" for p in PERSONAL_PATTERNS.values()))
# Cheap pre-check: nothing personal hides in text without '@', two digits, a dash or a
# run of receipt characters.
MAYBE_PERSONAL = re.compile(rf"@|\d\d|-|{_RECEIPT_CHAR}{{{RECEIPT_LENGTH}}}")

PATH_SAFE = "/:@!$&'()*+,;=-._~"
QUERY_SAFE = "[]:@!$'()*+,;-._~/?"


def looks_personal(text: str) -> bool:
    return bool(MAYBE_PERSONAL.search(text)) and bool(PERSONAL.search(text))


def scrub_text(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """Free text (user agent, error message): personal-looking parts replaced, inert."""
    if text is None:
        return None
    if MAYBE_PERSONAL.search(text):
        text = PERSONAL.sub(REDACTED, text)
    return inert(text, limit)


def sensitive_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_NAMES)


def _path(path: str) -> str:
    if MAYBE_PERSONAL.search(path):
        segments = path.split("/")
        path = "/".join(REDACTED if looks_personal(s) else s for s in segments)
    return quote(path, safe=PATH_SAFE + "[]")


def _query(query: str) -> str:
    parts = []
    for pair in query.split("&"):
        if not pair:
            continue
        raw_name, eq, raw_value = pair.partition("=")
        name = unquote(raw_name.replace("+", " "), errors="replace")
        value = unquote(raw_value.replace("+", " "), errors="replace")
        if value and (sensitive_name(name) or looks_personal(value)):
            value = REDACTED
        elif looks_personal(name):
            name, value = REDACTED, REDACTED if value else value
        safe_name = quote(name, safe=QUERY_SAFE)
        parts.append(safe_name + eq + quote(value, safe=QUERY_SAFE) if eq else safe_name)
    return "&".join(parts)


def _pair_as_logged(pair: str) -> str:
    name, eq, value = pair.partition("=")
    name, value = (unquote(part.replace("+", " "), errors="replace") for part in (name, value))
    return quote(name, safe=QUERY_SAFE) + eq + quote(value, safe=QUERY_SAFE)


def typed_url(text: str) -> str:
    """A URL, or its start, as a person types it (``/e/łódź``, a space) or copies it
    (``/e/%C5%82%C3%B3d%C5%BA``), encoded as ``redact_url`` logs URLs (nothing redacted:
    it is a filter, not a record)."""
    path, question, query = text.partition("?")
    url = quote(unquote(path, errors="replace"), safe=PATH_SAFE + "[]")
    if question:
        url += "?" + "&".join(_pair_as_logged(pair) for pair in query.split("&"))
    return url


def redact_url(path: str, query_string: bytes | str = b"") -> str:
    """Path and query as logged: redacted, percent-encoded, at most ``MAX_URL`` long."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    url = _path(path)
    if query_string:
        url += "?" + _query(query_string)
    return url[:MAX_URL]


def redact_referer(referer: str | None) -> str | None:
    """A referer is a URL from anywhere: keep scheme and host, redact path and query."""
    if not referer:
        return None
    try:
        parts = urlsplit(referer.strip())
    except ValueError:
        return scrub_text(referer, 1000)
    origin = f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else ""
    if parts.port:
        origin += f":{parts.port}"
    host_personal = parts.netloc and looks_personal(parts.netloc.rpartition("@")[2])
    if host_personal:
        origin = f"{parts.scheme}://{REDACTED}"
    path = unquote(parts.path, errors="replace")
    return inert(origin + redact_url(path, parts.query), 1000)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text)
