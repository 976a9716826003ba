"""The hostile-input corpus over every route of the app (``app.routes``): each field of
each form (read from the page that renders it), each query filter, each path parameter and
each body as a whole. Staff routes are called as an admin with a valid CSRF token (in the
form and in ``X-CSRF-Token``), so that validation, not CSRF, is what answers; public
routes as a resident with a session of their own.

Every answer is below 500; a refusal (4xx) of a page is a page in Polish that says what is
wrong, and leaves every domain table — the audit log among them — exactly as it was."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.factories.staff import asgi_client, csrf_of, random_ip, staff_client
from tests.hardening.corpus import (
    HOSTILE,
    HOSTILE_PATH,
    INVALID_UTF8_BODY,
    TOO_LARGE_BYTES,
    Form,
    Route,
    digest_changes,
    forms_of,
    routes_of,
    state_digest,
)
from tests.world import World, world_seed
from urna.staff.matrix import PUBLIC, roles_for

MAX_QUERY = 8_000  # what servers and proxies accept in an address (nginx: 8 kB lines)
# Routes whose call ends the admin's session: sent last, from a client of their own.
SESSION_ENDING = {("POST", "/staff/logout")}
# The fields of forms that a page shows only in a state the world does not reach.
FALLBACK_FIELDS = {
    "/staff/editions/{slug}/extend": ["voting_closes_at", "reason"],
    "/staff/editions/{slug}/import/{kind}": ["text"],
    "/staff/editions/{slug}/results/{run_id}/draw": ["seed", "order"],
    "/staff/editions/{slug}/results/{run_id}/publish": ["confirm"],
    "/staff/login": ["email", "password"],
    "/staff/login/code": ["code"],
    "/staff/verify/{slug}/decisions/{decision_id}/confirm": ["next"],
    "/staff/verify/{slug}/decisions/{decision_id}/reverse": ["note", "next"],
    "/my-data/code": ["code"],
    "/my-data/request": ["kind", "body"],
}
# What a person picks in a form before typing the rest (a page offers these unchosen):
# with them, each hostile text of the form's other fields gets past the choice's own check
# and reaches the service and the database.
CHOSEN = {
    "/staff/verify/{slug}/ballots/{ballot_id}/decide": {"verdict": "invalid", "reason": "other"},
    "/staff/verify/{slug}/cases/{case_id}/decide": {"verdict": "invalid", "reason": "other"},
    "/staff/verify/{slug}/export": {"category": "police", "scope": "case"},
    "/staff/fraud/allow": {"cidr": "192.0.2.0/24"},
    "/my-data/request": {"kind": "rectification"},
}
# Query parameters read by views but not offered by any form (links build them).
LINK_PARAMS = {
    "/e/{slug}": ["from", "pool", "area", "q", "category", "page"],
    "/e/{slug}/projects": ["pool", "area", "q", "category", "page"],
    "/staff/verify/{slug}/export": ["case"],
    "/staff/editions/{slug}/projects": ["added"],
    "/staff/editions/{slug}/streets": ["added"],
    "/lang/{code}": ["next"],
    "/staff/lang/{code}": ["next"],
    "/staff/audit": ["actor", "action", "target", "before", "q", "since", "until"],
}
BROKEN_MULTIPART = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff'
POLISH_REFUSAL = ("Popraw", "Nie ", "nie ", "Podaj", "Wybierz", "Ten ", "Ta ", "Ta liczba", "błęd")


@dataclass
class Tally:
    """What the corpus sent, counted: routes, fields and hostile requests."""

    routes: set[tuple[str, str]] = field(default_factory=set)
    fields: set[tuple[str, str, str]] = field(default_factory=set)
    requests: int = 0
    by_kind: Counter = field(default_factory=Counter)
    refusals_storing: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def _values(app, world: World, route: Route) -> dict[str, str]:
    """The path parameters of ``route``: real objects of the world's editions, the latest
    result run, paper entry and decision among them (the corpus adds some as it goes)."""
    await world.refresh(app)
    return world.values_for(route.path)


def _matching(forms: dict[str, tuple[Form, str]], route: Route, url: str) -> Form | None:
    """The form (with its page's values) that posts to ``url``; forms with the same action
    on several pages are merged (each field once)."""
    pattern = route.pattern()
    found: Form | None = None
    for action, (form, _) in forms.items():
        if action == url or (pattern.match(action) and found is None):
            if found is None or action == url:
                found = Form(
                    form.action, form.method, form.enctype, dict(form.fields), dict(form.kinds)
                )
    return found


def progress(route: Route, tally: Tally) -> None:
    print(f"{route.method} {route.path}: {tally.requests} sent, {len(tally.failures)} failed",
          file=sys.stderr, flush=True)  # fmt: skip


class Corpus:
    def __init__(self, app, admin: httpx.AsyncClient, resident: httpx.AsyncClient, tally: Tally):
        self.app, self.admin, self.resident, self.tally = app, admin, resident, tally
        self.digest: dict[str, str] | None = None
        self.refused: list[tuple[str, int, Route, dict]] = []

    def who(self, route: Route) -> str:
        """The admin for the console, a visitor for the staff login, a resident elsewhere."""
        if roles_for(route.method, route.path) != PUBLIC:
            return "admin"
        return "visitor" if route.path.startswith("/staff") else "resident"

    def http(self, route: Route) -> httpx.AsyncClient:
        return {"admin": self.admin, "visitor": self.visitor, "resident": self.resident}[
            self.who(route)
        ]

    async def send(self, route: Route, kind: str, where: str, value: str, **request) -> None:
        """One hostile request; checks the answer. The stored state is compared after each
        group of requests (``settle``): a refusal leaves it as it was, an accepted request
        (2xx, 3xx) starts the comparison afresh."""
        if self.digest is None:
            self.digest = await state_digest(self.app)
        http = self.http(route)
        label = f"{route.method} {route.path} [{kind}] {where}={value[:40]!r}"
        self.tally.requests += 1
        self.tally.by_kind[kind] += 1
        try:
            response = await http.request(route.method, **request)
        except Exception as error:  # noqa: BLE001 - an exception out of the app is a 500
            self.fail(f"{label}: raised {type(error).__name__}: {error}"[:300])
            self.digest = None
            return
        status = response.status_code
        if status >= 500:
            self.fail(f"{label}: {status} {response.text[:200]!r}")
        if 400 <= status < 500:
            self.refused.append((label, status, route, request))
            kind_html = response.headers.get("content-type", "").startswith("text/html")
            if (
                kind_html
                and status not in (404, 405)
                and not any(word in response.text for word in POLISH_REFUSAL)
            ):
                self.fail(f"{label}: {status} without a Polish message")
        elif route.method != "GET":  # a page read may audit itself: settle() tells
            await self.settle()
            self.digest = None

    def fail(self, text: str) -> None:
        self.tally.failures.append(text)
        print("  FAILED", text[:300], file=sys.stderr, flush=True)

    async def settle(self) -> None:
        """The refusals since the last comparison stored nothing; if something changed,
        each is sent again alone to name the one that stored it."""
        refused, self.refused = self.refused, []
        if not refused or self.digest is None:
            return
        after = await state_digest(self.app)
        if not digest_changes(self.digest, after):
            self.digest = after
            return
        for label, status, route, request in refused:
            before = await state_digest(self.app)
            await self.http(route).request(route.method, **request)
            changed = digest_changes(before, await state_digest(self.app))
            if changed:
                self.tally.refusals_storing.append(f"{label}: {status} changed {changed}")
                print("  STORED", label, changed, file=sys.stderr, flush=True)
        self.digest = await state_digest(self.app)

    async def get_route(self, route: Route, values: dict[str, str], filters: list[str]) -> None:
        progress(route, self.tally)
        url = route.url(values)
        self.tally.routes.add((route.method, route.path))
        for name in filters:
            self.tally.fields.add((route.method, route.path, "?" + name))
            for label, value in HOSTILE.items():
                value = value[:MAX_QUERY]  # a longer address is refused by the client itself
                await self.send(
                    route, "query " + label, "?" + name, value, url=url, params={name: value}
                )
        await self._path_probes(route, values)
        await self.settle()

    async def _path_probes(self, route: Route, values: dict[str, str]) -> None:
        for param in route.params:
            if param == "code":
                continue  # /lang/{code}: any code is a language the site may not have
            for label, raw in HOSTILE_PATH.items():
                url = route.url(values, **{param: raw})
                await self.send(
                    route,
                    "path " + label,
                    "{" + param + "}",
                    raw,
                    url=url,
                    **self._body(route, None),
                )

    def _body(self, route: Route, form: Form | None) -> dict:
        if route.method == "GET":
            return {}
        token = self.token(route, form)
        return {"data": {"csrf_token": token}, "headers": {"x-csrf-token": token}}

    def token(self, route: Route, form: Form | None) -> str:
        if form is not None and form.fields.get("csrf_token"):
            return form.fields["csrf_token"][0]
        return self.tokens[self.who(route)]

    tokens: dict[str, str]
    visitor: httpx.AsyncClient

    async def post_route(self, route: Route, values: dict[str, str], form: Form | None) -> None:
        progress(route, self.tally)
        url = route.url(values)
        self.tally.routes.add((route.method, route.path))
        token = self.token(route, form)
        headers = {"x-csrf-token": token}
        base = form.fields if form else {"csrf_token": [token]}
        base = {**base, **{k: [v] for k, v in CHOSEN.get(route.path, {}).items()}}
        multipart = form is not None and "multipart" in form.enctype
        files = {
            n: ("a.txt", b"x", "text/plain")
            for n, k in (form.kinds.items() if form else [])
            if k == "file"
        }
        text_fields = [
            n for n, k in (form.kinds.items() if form else [])
            if n != "csrf_token" and k not in ("file", "submit", "button")
        ]  # fmt: skip
        for name in text_fields:
            self.tally.fields.add((route.method, route.path, name))
            for label, value in HOSTILE.items():
                data = {**base, name: [value]}
                kw = {"data": data, "headers": headers}
                if multipart:
                    kw["files"] = files or {"_": ("", b"", "application/octet-stream")}
                await self.send(route, "field " + label, name, value, url=url, **kw)
            # the field twice: a hostile and an ordinary value
            data = {**base, name: ["①", *(base.get(name) or ["1"])]}
            await self.send(route, "duplicated", name, "①", url=url, data=data, headers=headers)
            await self.settle()
        # every field missing but the token
        await self.send(
            route, "missing fields", "*", "", url=url, data={"csrf_token": token}, headers=headers
        )
        plain = {"x-csrf-token": token}
        bodies = {
            "invalid UTF-8 body": (INVALID_UTF8_BODY, "application/x-www-form-urlencoded"),
            "JSON body": (json.dumps(base).encode(), "application/json"),
            "deep JSON body": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
            "text/plain body": (b"name=x&csrf_token=" + token.encode(), "text/plain"),
            "multipart without boundary": (b"name=x", "multipart/form-data"),
            "broken multipart": (BROKEN_MULTIPART, "multipart/form-data; boundary=x"),
            "too large body": (b"a=" + b"x" * TOO_LARGE_BYTES, "application/x-www-form-urlencoded"),
        }  # fmt: skip
        for label, (content, content_type) in bodies.items():
            await self.send(
                route, label, "body", content[:40].decode("latin-1"), url=url, content=content,
                headers={**plain, "content-type": content_type},
            )  # fmt: skip
        await self._path_probes(route, values)
        await self.settle()


# The corpus in parts (each a test of its own, with a world of its own), by address.
GROUPS = {
    "public site": lambda path: not path.startswith("/staff"),
    "edition setup": lambda path: path.startswith("/staff/editions") and "/results" not in path,
    "results, paper ballots, verification": lambda path: (
        path.startswith(("/staff/paper", "/staff/verify", "/staff/fraud"))
        or (path.startswith("/staff/editions") and "/results" in path)
    ),
    "staff accounts, logs, audit": lambda path: (
        path.startswith("/staff")
        and not path.startswith(
            ("/staff/editions", "/staff/paper", "/staff/verify", "/staff/fraud")
        )
    ),
}


def _group_of(path: str) -> str:
    [group] = [name for name, member in GROUPS.items() if member(path)]
    return group


def _fallback(route: Route, url: str, forms: dict[str, tuple[Form, str]]) -> Form | None:
    """The fields of a form no page of the world shows (it needs a state the world does
    not have: a decision to confirm, a second paper entry): named by its view, else those
    of the nearest form above its address."""
    named = FALLBACK_FIELDS.get(route.path)
    if named is not None:
        return Form(url, "post", "", {n: [""] for n in named}, {n: "text" for n in named})
    parts = url.split("/")
    while len(parts) > 2:
        parts.pop()
        found = forms.get("/".join(parts))
        if found is not None:
            form = found[0]
            return Form(url, "post", form.enctype, dict(form.fields), dict(form.kinds))
    return None


async def _crawl(corpus: Corpus, world: World, routes: list[Route]):
    """Every page read for its forms (POST) and its filters (GET forms)."""
    forms: dict[str, tuple[Form, str]] = {}
    filters: dict[str, set[str]] = {}
    for route in routes:
        if route.method != "GET":
            continue
        values = await _values(corpus.app, world, route)
        url = route.url(values)
        response = await corpus.http(route).get(url)
        assert response.status_code < 500, (url, response.text[:300])
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for form in forms_of(response.text, url):
            if form.method == "post":
                forms.setdefault(form.action, (form, url))
            else:
                names = {n for n in form.fields if n != "csrf_token"}
                filters.setdefault(form.action, set()).update(names)
    return forms, filters


@pytest.mark.parametrize("group", list(GROUPS))
async def test_hostile_input_answers_below_500_and_a_refusal_stores_nothing(app, group):
    world = await world_seed(app, results=False)  # the corpus computes its own
    tally = Tally()
    every = routes_of(app)
    assert all(_group_of(route.path) for route in every)  # each route in one group
    routes = [route for route in every if _group_of(route.path) == group]
    async with (
        await staff_client(app, "admin") as admin,
        asgi_client(app, ip=random_ip()) as resident,
        asgi_client(app, ip=random_ip()) as visitor,
    ):
        corpus = Corpus(app, admin, resident, tally)
        corpus.visitor = visitor
        corpus.tokens = {
            "admin": csrf_of((await admin.get("/staff")).text),
            "resident": csrf_of((await resident.get(f"/e/{world.open}/vote")).text),
            "visitor": csrf_of((await visitor.get("/staff/login")).text),
        }
        forms, filters = await _crawl(corpus, world, every)
        for route in routes:  # GET routes: each filter, each path parameter
            if route.method == "GET":
                values = await _values(app, world, route)
                url = route.url(values)
                names = sorted(filters.get(url, set()) | set(LINK_PARAMS.get(route.path, [])))
                await corpus.get_route(route, values, names)
        unformed = []
        for route in routes:  # state-changing routes: each field of their form, each body
            if route.method == "GET" or (route.method, route.path) in SESSION_ENDING:
                continue
            values = await _values(app, world, route)
            url = route.url(values)
            form = _matching(forms, route, url) or _fallback(route, url, forms)
            if form is None:
                unformed.append(f"{route.method} {route.path}")
            await corpus.post_route(route, values, form)
        await corpus.settle()
    for method, path in SESSION_ENDING:
        if _group_of(path) == group:
            async with await staff_client(app, "admin") as other:
                corpus.admin = other
                corpus.tokens["admin"] = csrf_of((await other.get("/staff")).text)
                await corpus.post_route(Route(method, path), {}, None)
                await corpus.settle()
    print(
        f"\nhostile corpus, {group}: {len(tally.routes)} routes, {len(tally.fields)} fields and "
        f"filters, {len(HOSTILE)} field values, {len(HOSTILE_PATH)} path values, "
        f"{tally.requests} requests; without a form: {', '.join(unformed) or 'none'}"
    )
    assert not tally.failures, "\n".join(tally.failures[:60]) + f"\n… {len(tally.failures)} in all"
    assert not tally.refusals_storing, "\n".join(tally.refusals_storing[:60])
    assert tally.routes == {(route.method, route.path) for route in routes}
