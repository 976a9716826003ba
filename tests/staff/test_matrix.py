"""The role × route matrix (``urna.staff.matrix``) is complete and enforced: every route
of the app is listed, and each kind of visitor gets exactly what the matrix allows."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.factories.editions import edition_create
from tests.factories.staff import asgi_client, staff_client
from tests.factories.voting import reach_identity
from urna.core import i18n
from urna.core.access import ROLES, RoleForbidden
from urna.staff.matrix import PUBLIC, ROUTE_ROLES, app_routes

pytestmark = pytest.mark.flow

SAMPLE_PARAM = "999999999"  # an id, slug, code… that names nothing
HX_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')
PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    missing = sorted(routes - set(ROUTE_ROLES))
    assert missing == [], f"add these routes to urna/staff/matrix.py: {missing}"
    stale = sorted(set(ROUTE_ROLES) - routes)
    assert stale == [], f"these matrix entries name no route: {stale}"
    for key, allowed in ROUTE_ROLES.items():
        assert allowed == PUBLIC or (allowed and allowed <= set(ROLES)), key
        if key[1].startswith("/staff/") and allowed == PUBLIC:
            assert key[1].startswith(("/staff/login", "/staff/lang/")), key


def _url(path: str) -> str:
    if path == "/static":
        return "/static/css/urna.css"
    return PARAM.sub(SAMPLE_PARAM, path)


def _order(key: tuple[str, str]) -> tuple[int, str, str]:
    return (key == ("POST", "/staff/logout"), key[1], key[0])  # logging out comes last


async def _tokens(http) -> dict[str, str]:
    # a page with a form: its token (the first that needs one creates the session)
    resident = HX_CSRF.search((await http.get("/my-data")).text).group(1)
    staff_page = await http.get("/staff/login")
    if staff_page.status_code == 303:  # logged in: the console's own pages carry it
        staff_page = await http.get("/staff")
    return {"resident": resident, "staff": HX_CSRF.search(staff_page.text).group(1)}


def _verdict(response, role_denied: str) -> str:
    if response.status_code == 303 and response.headers["location"].startswith(
        "/staff/login?next="
    ):
        return "login"
    if response.status_code == 403 and role_denied in response.text:
        return "forbidden"
    return "allowed"


def _expected(allowed, principal: str) -> str:
    if allowed == PUBLIC:
        return "allowed"
    if principal in ("anonymous", "resident"):
        return "login"
    return "allowed" if principal in allowed else "forbidden"


async def test_each_role_gets_exactly_what_the_matrix_allows(app):
    i18n.set_language("pl")
    role_denied = i18n.gettext(RoleForbidden.message)
    edition = await edition_create(app)
    resident = asgi_client(app)
    await reach_identity(resident, edition.slug)  # a resident's session, mid-vote
    principals = {"anonymous": asgi_client(app), "resident": resident}
    for role in ROLES:
        principals[role] = await staff_client(app, role)
    mismatches, errors, seen = [], [], Counter()
    try:
        for principal, http in principals.items():
            tokens = await _tokens(http)
            for key in sorted(app_routes(app), key=_order):
                method, path = key
                token = tokens["staff" if path.startswith("/staff") else "resident"]
                response = await http.request(
                    method, _url(path), headers={"X-CSRF-Token": token} if method != "GET" else {}
                )
                if response.status_code >= 500:
                    errors.append((principal, method, path, response.status_code))
                got = _verdict(response, role_denied)
                seen[principal, got] += 1
                want = _expected(ROUTE_ROLES[key], principal)
                if got != want:
                    mismatches.append((principal, method, path, want, got, response.status_code))
    finally:
        for http in principals.values():
            await http.aclose()
    assert errors == []
    assert mismatches == []
    # not vacuous: each kind of answer was met
    assert seen["anonymous", "login"] > 20 and seen["resident", "login"] > 20
    assert seen["verifier", "forbidden"] > 20 and seen["netadmin", "forbidden"] > 20
    assert seen["admin", "forbidden"] == 0
