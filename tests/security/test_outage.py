"""A Redis outage is the outage's 503 page (Polish first, Retry-After), never a refusal
meant for the visitor: a form posted by a browser with no session cookie is not a CSRF
failure (403), and a console page is not "log in again" (303 to the login page).

Enumerated: every state-changing route of the app (from ``app.routes``) posted without a
cookie, and every console route behind a login, against an app whose Redis is a closed
port; and a logged-in admin and a resident mid-vote whose private redis-server is stopped
under them (their cookies point at sessions that cannot be read)."""

from __future__ import annotations

import socket

import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, reach_identity
from tests.hardening.test_redis_down import private_redis as private_redis  # noqa: F401
from tests.security.checklist import (
    STATE_CHANGING,
    header_faults,
    plain_client,
    row_counts,
    staff_login_client,
    text_of,
)
from tests.world import routes, world_seed
from urna.core.errors import ServiceUnavailable
from urna.main import create_app
from urna.staff.matrix import PUBLIC, ROUTE_ROLES

pytestmark = pytest.mark.flow


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the socket is: nothing listens


def assert_outage(response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:200])
    assert response.headers["Retry-After"] == "30"
    assert text_of(ServiceUnavailable.message) in response.text
    assert "set-cookie" not in response.headers
    assert header_faults(response, template=response.request.url.path) == []


@pytest.fixture(scope="module")
async def no_redis(database_url):
    settings = make_settings(database_url, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    app = create_app(settings)
    async with LifespanManager(app):
        yield app


async def test_every_cookieless_post_gets_the_outage_page_not_a_csrf_refusal(app, no_redis):
    world = await world_seed(app)  # seeded through the working app
    targets = routes(no_redis, STATE_CHANGING)
    before = await row_counts(no_redis)
    wrong = []
    async with plain_client(no_redis) as browser:
        for method, path in targets:
            response = await browser.request(
                method, world.url(path), data={"csrf_token": "from-a-page-never-stored"}
            )
            try:
                assert_outage(response)
            except AssertionError as error:
                wrong.append((method, path, str(error)[:120]))
    assert wrong == []
    assert await row_counts(no_redis) == before
    assert len(targets) >= 50


async def test_every_console_page_gets_the_outage_page_not_the_login_page(app, no_redis):
    world = await world_seed(app)
    guarded = [
        path
        for method, path in routes(no_redis, frozenset({"GET"}))
        if path.startswith("/staff") and ROUTE_ROLES[method, path] != PUBLIC
    ]
    wrong = []
    async with plain_client(no_redis) as browser:
        for path in [*guarded, "/staff/login"]:
            response = await browser.get(world.url(path))
            try:
                assert_outage(response)
            except AssertionError as error:
                wrong.append((path, str(error)[:120]))
            htmx = await browser.get(world.url(path), headers={"HX-Request": "true"})
            if htmx.status_code != 503 or "hx-redirect" in htmx.headers:
                wrong.append((path, "htmx", htmx.status_code))
    assert wrong == []
    assert len(guarded) >= 30
    # what needs no session still answers
    async with plain_client(no_redis) as browser:
        assert (await browser.get("/healthz")).status_code == 200
        assert (await browser.get(f"/e/{world.open}")).status_code == 200


async def test_logged_in_staff_and_a_resident_mid_vote_get_503_when_redis_stops(
    database_url,
    private_redis,  # noqa: F811
):
    app = create_app(make_settings(database_url, redis_url=private_redis.url))
    edition = await edition_create(app)
    async with LifespanManager(app):
        staff = await staff_login_client(app)
        async with staff, plain_client(app) as resident:
            page = await reach_identity(resident, edition.slug)
            assert (await staff.get("/staff/users")).status_code == 200
            private_redis.stop()
            assert_outage(await staff.get("/staff/users"))
            assert_outage(await staff.get("/staff"))
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            assert_outage(await staff.post("/staff/logout", data={"csrf_token": token}))
            assert_outage(
                await post_form(resident, f"/e/{edition.slug}/vote/identity", person(), page)
            )
            # Back, empty (this private Redis keeps nothing on disk): the sessions are
            # gone, and now, with the store answering, that is the login page again.
            private_redis.start()
            back = await staff.get("/staff/users")
            assert back.status_code == 303 and back.headers["location"].startswith("/staff/login")
            assert (await resident.get(f"/e/{edition.slug}/vote/identity")).status_code == 409
