"""The two kinds of session cookie (residents' and staff's) and reading one from a request.

The cookie carries nothing but the session's id; its attributes are set by
``sessions.SessionMiddleware``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import Scope

COOKIE_NAME = "urna_sid"
SECURE_COOKIE_NAME = "__Host-urna_sid"
# After a resident's rotation the old id stays valid this long: a worker killed between
# storing the new id and the browser receiving its cookie does not lose the session.
ROTATION_GRACE_SECONDS = 60


@dataclass(frozen=True)
class CookiePolicy:
    """One kind of session: residents' (whole site, Lax) or staff's (/staff, Strict)."""

    name: str
    secure_name: str
    path: str
    same_site: str
    key_prefix: str
    count_visits: bool
    # Seconds the old id lives on after rotate(); 0: deleted at once (staff: a login's
    # pre-login session must not outlive it).
    rotation_grace: int = 0


RESIDENT_COOKIE = CookiePolicy(
    COOKIE_NAME, SECURE_COOKIE_NAME, "/", "Lax", "sess:", True, ROTATION_GRACE_SECONDS
)
# Staff: scoped to /staff, so ``__Secure-`` (``__Host-`` requires Path=/); Strict.
STAFF_COOKIE = CookiePolicy(
    "urna_staff", "__Secure-urna_staff", "/staff", "Strict", "staff:", False
)


def read_cookie(scope: Scope, policy: CookiePolicy) -> str | None:
    """The id in the request's cookie of this kind (the HTTPS name first), or None."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            # Starlette's parser, as browsers read a header (a tenth of SimpleCookie's
            # cost, which every request paid); a malformed pair is skipped, not the rest
            cookie = cookie_parser(value.decode("latin-1"))
            for key in (policy.secure_name, policy.name):
                if key in cookie:
                    return cookie[key]
    return None
