"""What the security checklist needs besides the seeded world (``tests/world.py``: every
route of the app and its parameters filled with things that exist): the visitors who crawl
the routes, a cookie parser, row counts, a fake clock and the security headers' rules.

Each check iterates over ``routes(app)``, so a route added tomorrow is checked tomorrow
without touching these tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import httpx
from sqlalchemy import func, select

from tests.factories.staff import StaffClient, staff_login, staff_user_create
from tests.factories.voting import reach_identity
from tests.world import World
from urna.core import i18n
from urna.models import metadata
from urna.requestlog.models import RequestLog

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def text_of(msgid: str, lang: str = "pl") -> str:
    """A message as a visitor reads it in ``lang``."""
    i18n.set_language(lang)
    try:
        return i18n.gettext(msgid)
    finally:
        i18n.set_language("pl")


def plain_client(app, *, https: bool = False, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    scheme = "https" if https else "http"
    return StaffClient(  # an AsyncClient that may enter ``async with`` after first use
        transport=httpx.ASGITransport(app=app, client=(ip, 50000)),
        base_url=f"{scheme}://testserver",
        follow_redirects=False,
    )


async def visitors(app, world: World, *, https: bool = False) -> dict[str, httpx.AsyncClient]:
    """Anonymous, a resident half-way through the vote, and a logged-in admin (who may open
    every console page); the caller closes them (``visitors_close``)."""
    resident = plain_client(app, https=https)
    await reach_identity(resident, world.open)
    admin = await staff_login_client(app, https=https)  # over https: the Secure cookies
    return {"anonymous": plain_client(app, https=https), "resident": resident, "admin": admin}


async def staff_login_client(app, *, https: bool = False, role: str = "admin") -> StaffClient:
    """A client logged in through the real forms (password, TOTP) as a new account."""
    user, password, secret = await staff_user_create(app, role, enrolled=True)
    http = plain_client(app, https=https)
    response = await staff_login(http, user.email, password, secret)
    assert response.status_code == 303, response.text[:300]
    http.staff_user = user
    return http


async def visitors_close(clients: dict[str, httpx.AsyncClient]) -> None:
    for http in clients.values():
        await http.aclose()


# ---- cookies ------------------------------------------------------------------------


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-case name -> value ("" for flags)
    raw: str

    @property
    def deletion(self) -> bool:
        return self.value == "" and self.attributes.get("max-age") == "0"


def set_cookie_parse(header: str) -> SetCookie:
    name_value, *parts = [part.strip() for part in header.split(";")]
    name, _, value = name_value.partition("=")
    attributes = {}
    for part in parts:
        key, _, val = part.partition("=")
        attributes[key.strip().lower()] = val.strip()
    # SimpleCookie agrees on the name (a sanity check of this parser)
    assert name in SimpleCookie(header), header
    return SetCookie(name, value, attributes, header)


def set_cookies(response: httpx.Response) -> Iterator[SetCookie]:
    for header in response.headers.get_list("set-cookie"):
        yield set_cookie_parse(header)


class Recorder:
    """Every response a client received (an httpx response hook)."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    async def __call__(self, response: httpx.Response) -> None:
        self.responses.append(response)

    def attach(self, http: httpx.AsyncClient) -> httpx.AsyncClient:
        http.event_hooks["response"].append(self)
        return http


# ---- nothing stored -----------------------------------------------------------------

# Written by the request log for every request, refused ones too (the log is the point).
LOGGED = {RequestLog.__tablename__}


async def row_counts(app) -> dict[str, int]:
    """Rows in every table but the request log's: a refusal must leave these as they were."""
    counts = {}
    async with app.state.ctx.db() as session:
        for table in metadata.sorted_tables:
            if table.name in LOGGED:
                continue
            counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts


# ---- a clock the test moves ---------------------------------------------------------


class FakeClock:
    """Real time plus an offset the test advances: both wall time (the absolute timeout,
    ``SessionMiddleware.clock``) and monotonic time (expiry in the in-process store,
    ``MemoryStore.clock``) jump together."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


def middlewares(app, kind: type) -> list:
    """The instances of middleware ``kind`` in the app's built stack (built on the first
    request: make one before calling this)."""
    found, layer = [], app.middleware_stack
    while layer is not None:
        if isinstance(layer, kind):
            found.append(layer)
        layer = getattr(layer, "app", None)
    return found


def clock_install(app, clock: FakeClock) -> None:
    """Drive the app's sessions by ``clock`` (the app must run on the in-process store,
    whose expiry is the idle timeout; Redis keeps its own time)."""
    from urna.core.sessions import SessionMiddleware
    from urna.core.store import MemoryStore

    store = app.state.ctx.store
    assert isinstance(store, MemoryStore), "the fake clock drives the in-process store"
    store.clock = clock.monotonic
    found = middlewares(app, SessionMiddleware)
    assert len(found) == 2, found  # residents' and staff's
    for layer in found:
        layer.clock = clock.time


# ---- security headers ---------------------------------------------------------------

# Public resources a browser may keep (no personal data): everything else is no-store.
# The published results' open data is public by law (``results/views.py``: the current
# file for a minute, a file by its digest for good).
PUBLIC_CACHE = ("/static", "/favicon.ico", "/e/{slug}/projects/{number}/images/",
                "/e/{slug}/results.", "/e/{slug}/results/files/")  # fmt: skip
REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}


def header_faults(response: httpx.Response, *, template: str, https: bool = False) -> list[str]:
    """What is wrong with the security headers of ``response`` ([] when all is right);
    ``template`` is the route's path template (decides whether public caching is allowed)."""
    h = response.headers
    faults = []
    csp = h.get("content-security-policy", "")
    directives = {part.strip().split(" ")[0]: part.strip() for part in csp.split(";") if part}
    if directives.get("default-src") != "default-src 'self'":
        faults.append("CSP default-src")
    script = directives.get("script-src", "")
    if not script.startswith("script-src 'self'") or "unsafe" in script:
        faults.append("CSP script-src")
    if directives.get("frame-ancestors") != "frame-ancestors 'none'":
        faults.append("CSP frame-ancestors")
    if directives.get("object-src") != "object-src 'none'":
        faults.append("CSP object-src")
    if h.get("x-content-type-options") != "nosniff":
        faults.append("X-Content-Type-Options")
    if h.get("x-frame-options") != "DENY":
        faults.append("X-Frame-Options")
    if h.get("referrer-policy") not in REFERRER_POLICIES:
        faults.append("Referrer-Policy")
    permissions = h.get("permissions-policy", "")
    if not all(f"{feature}=()" in permissions for feature in ("camera", "microphone")):
        faults.append("Permissions-Policy")
    cache = h.get("cache-control", "")
    public = template.startswith(PUBLIC_CACHE) and response.status_code == 200
    if not public and "no-store" not in cache:
        faults.append(f"Cache-Control {cache!r}")
    hsts = h.get("strict-transport-security", "")
    if https and not (
        "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000
    ):
        faults.append("HSTS")
    if not https and hsts:
        faults.append("HSTS over plain HTTP")
    return faults
