"""schemathesis against the app's own OpenAPI document: every operation (public pages,
the vote, the staff console), its path, query and form body generated from the schemas,
valid and invalid; no answer may be a server error.

The app runs in schemathesis' ASGI transport (its own event loop), on a database of its
own with one open edition. The console is exercised as a logged-in admin: the staff
session and its CSRF token come from the real login forms (set up by a second app on the
same database and Redis prefix); public forms carry a resident session's token. Path
parameters that name something (an edition, a project, an account) are drawn from the
real one and a missing one, so the forms are reached, not only the 404 page.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi as schemathesis_asgi

from tests.conftest import fresh_database, make_settings
from tests.factories.editions import edition_create, unique_slug
from tests.factories.staff import asgi_client, csrf_of, staff_client, staff_user_create
from urna.core.cookies import COOKIE_NAME, STAFF_COOKIE
from urna.main import create_app

# Per operation and mode: ~120 operations must fit in `make test` (about 100 s at 2);
# URNA_SCHEMATHESIS_EXAMPLES=50 for a deeper run.
MAX_EXAMPLES = int(os.environ.get("URNA_SCHEMATHESIS_EXAMPLES", "2"))
SLUG = unique_slug("st")  # the edition the run seeds
OTHER_ACCOUNT = 0  # stands for the id of the account the run seeds (known only then)
# A path parameter that names something is the real one or a missing one: so the forms
# are reached, not only the 404 page, and "not found" is tried too.
NAMES = {
    "slug": [SLUG, "nie-ma-takiej"],
    "number": ["C1", "ZZ9"],
    "user_id": [OTHER_ACCOUNT, 999_999_999],
}


class Realm:
    """What the run knows of its app: the other account, and a session for each side."""

    def __init__(self) -> None:
        self.other_account = 0
        self.cookies: dict[str, str] = {}
        self.tokens: dict[str, str] = {}


async def _seed(settings) -> Realm:
    """An open edition, an admin logged in through the real forms, a second account to act
    on, and a resident session: made by an app of its own (its connections stay in this
    event loop), which the tested app then shares the database and Redis with."""
    realm = Realm()
    app = create_app(settings)
    async with LifespanManager(app):
        edition = await edition_create(app, slug=SLUG)
        other, _, _ = await staff_user_create(app, "verifier")
        realm.other_account = other.id
        admin = await staff_client(app, "admin", enrolled=True)
        async with admin:
            page = await admin.get("/staff/account")
            realm.tokens["staff"] = csrf_of(page.text)
            realm.cookies[STAFF_COOKIE.name] = admin.cookies[STAFF_COOKIE.name]
        async with asgi_client(app) as resident:
            page = await resident.get(f"/e/{edition.slug}/vote")
            realm.tokens["public"] = csrf_of(page.text)
            realm.cookies[COOKIE_NAME] = resident.cookies[COOKIE_NAME]
    return realm


def _document() -> dict[str, Any]:
    """The document the app serves (it needs no database), each naming path parameter
    drawn from ``NAMES`` instead of any string: only for this run."""
    document = create_app(make_settings("sqlite+aiosqlite://", redis_url=None)).openapi()
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "path" and parameter["name"] in NAMES:
                    parameter["schema"] = {"enum": NAMES[parameter["name"]]}
    return document


@pytest.fixture(scope="module")
def app_under_test(tmp_path_factory) -> Iterator[tuple[Any, Realm]]:
    url, drop = asyncio.run(fresh_database(tmp_path_factory.mktemp("schemathesis")))
    settings_ = make_settings(url)
    realm = asyncio.run(_seed(settings_))
    app = create_app(settings_)
    try:
        yield app, realm
    finally:
        schemathesis_asgi.shutdown_lifespans()  # the app's engine closes in its own loop
        asyncio.run(drop())


schema = schemathesis.openapi.from_dict(
    _document(),
    config=schemathesis.Config.from_dict(
        {
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        }
    ),
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error(case, app_under_test):
    """No generated request answers 5xx; the console's operations run as an admin."""
    app, realm = app_under_test
    if case.path_parameters and case.path_parameters.get("user_id") == OTHER_ACCOUNT:
        case.path_parameters["user_id"] = realm.other_account
    cookies = dict(realm.cookies)
    if case.path == "/staff/logout":
        cookies.pop(STAFF_COOKIE.name)  # the run's admin stays logged in
    staff = case.path.startswith("/staff")
    token = realm.tokens["staff" if staff else "public"]
    response = case.call(app=app, headers={"X-CSRF-Token": token}, cookies=cookies)
    request = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, (
        f"{request} answered {response.status_code}\n{case.as_curl_command()}"
    )
    if staff and not case.path.startswith(("/staff/login", "/staff/logout")):
        # exercised as the admin, not turned away at the login page
        assert "/staff/login" not in response.headers.get("location", ""), request
        assert response.status_code != 403, request
