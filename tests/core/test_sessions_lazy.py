"""A session is stored only once the browser sends its cookie back: health checks, static
files and pages without forms set nothing; a page with a form opened without a cookie sets
a signed cookie but stores nothing and counts no visit, so a bot that keeps no cookie
leaves no session and no visit behind; the cookie's return stores the session and counts
its one visit."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of
from urna.core.sessions import UNRETURNED_SECONDS, VISITS_KEY

pytestmark = pytest.mark.flow


@pytest.fixture
def sessions_stored(app, monkeypatch) -> list[str]:
    """The session keys the app writes to the store from now on."""
    store, written = app.state.ctx.store, []
    original = store.set

    async def set_recorded(key, value, *args, **kwargs):
        if key.startswith("sess:"):
            written.append(key)
            ttls[key] = kwargs.get("ttl")
        return await original(key, value, *args, **kwargs)

    ttls: dict[str, int] = {}
    app.state.session_ttls = ttls

    monkeypatch.setattr(store, "set", set_recorded)
    return written


async def _visits(app) -> int:
    return int(await app.state.ctx.store.get(VISITS_KEY) or 0)


async def test_health_checks_and_static_files_create_no_session_and_no_visit(
    app, client, sessions_stored
):
    before = await _visits(app)
    for _ in range(50):
        response = await client.get("/healthz")
        assert response.status_code == 200 and "set-cookie" not in response.headers
    static = await client.get("/static/css/urna.css")
    assert "set-cookie" not in static.headers
    assert sessions_stored == [] and await _visits(app) == before
    assert not client.cookies


async def test_cookieless_bots_opening_a_form_page_make_no_session_and_no_visit(
    app, client, sessions_stored
):
    """The vote's clause page has a form: 50 cookie-less GETs (a bot, a link checker)
    each get a cookie and a form token, but nothing is stored and no visit is counted."""
    edition = await edition_create(app)
    before = await _visits(app)
    cookies = set()
    for _ in range(50):
        client.cookies.clear()
        page = await client.get(f"/e/{edition.slug}/vote")
        assert page.status_code == 200 and csrf_of(page.text)
        cookies.add(page.headers["set-cookie"].split(";")[0])
    assert len(cookies) == 50  # each its own id, none of them stored
    assert sessions_stored == [] and await _visits(app) == before
    # a bot posting the form without the cookie is refused, and stores nothing either
    client.cookies.clear()
    page = await client.get(f"/e/{edition.slug}/vote")
    client.cookies.clear()
    refused = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    # a cookie the site never issued (not signed) is no session either
    client.cookies.set("urna_sid", "made-up-session-id")
    await client.get(f"/e/{edition.slug}/vote")
    assert sessions_stored == [] and await _visits(app) == before


async def test_a_browser_that_keeps_its_cookie_makes_one_session_and_one_visit(
    app, client, sessions_stored
):
    edition = await edition_create(app)
    before = await _visits(app)
    page = await client.get(f"/e/{edition.slug}/vote")
    assert "set-cookie" in page.headers and sessions_stored == []
    assert await _visits(app) == before  # not yet: the cookie has not come back
    token = csrf_of(page.text)
    assert f'"X-CSRF-Token": "{token}"' in page.text  # htmx requests carry it too
    again = await client.get(f"/e/{edition.slug}/vote")
    assert csrf_of(again.text) == token and "set-cookie" not in again.headers
    assert len(sessions_stored) == 1  # the cookie came back: the session is stored
    assert await _visits(app) == before + 1
    for url in (f"/e/{edition.slug}", "/privacy/logging", f"/e/{edition.slug}/vote"):
        assert (await client.get(url)).status_code == 200
    assert await _visits(app) == before + 1  # the same person's further pages: one visit
    # the form still posts: the token is accepted, a forged one is not
    forged = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    accepted = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": token}
    )
    assert accepted.status_code == 303
    assert await _visits(app) == before + 1


async def test_the_form_posted_first_counts_the_visit(app, client, sessions_stored):
    """The cookie may come back with the form itself (a resident who reads the clause and
    posts it): that is the session's return, the token is the one the page gave."""
    edition = await edition_create(app)
    before = await _visits(app)
    page = await client.get(f"/e/{edition.slug}/vote")
    posted = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": csrf_of(page.text)}
    )
    assert posted.status_code == 303
    assert len(set(sessions_stored)) == 1 and await _visits(app) == before + 1


async def test_a_session_stored_before_its_cookie_returns_lives_briefly(
    app, client, sessions_stored
):
    """A cookie-less request that must store something (a language) stores its session
    for a short while only; the visit is counted when the cookie comes back."""
    before = await _visits(app)
    switched = await client.get("/lang/en?next=/privacy/logging")
    assert switched.status_code == 303 and len(sessions_stored) == 1
    ttls = app.state.session_ttls
    assert ttls[sessions_stored[0]] == UNRETURNED_SECONDS
    assert await _visits(app) == before
    page = await client.get("/privacy/logging")
    assert 'lang="en"' in page.text
    assert await _visits(app) == before + 1
    assert ttls[sessions_stored[-1]] == app.state.ctx.settings.session_idle_seconds
    await client.get("/privacy/logging")
    assert await _visits(app) == before + 1


async def test_a_form_page_opened_while_the_store_is_down_works_once_it_is_back(
    app, client, monkeypatch
):
    """The form page needs no store (its token comes from the signed id): while the store
    is down the form answers 503, not a CSRF refusal, and it goes through once it is back."""
    edition = await edition_create(app)
    store = app.state.ctx.store

    async def down(*args, **kwargs):
        raise ConnectionError("store down")

    with monkeypatch.context() as outage:
        for name in ("get", "get_touch", "set", "touch", "incr"):
            outage.setattr(store, name, down)
        page = await client.get(f"/e/{edition.slug}/vote")
        assert page.status_code == 200 and "set-cookie" in page.headers
        form = {"acknowledge": "yes", "csrf_token": csrf_of(page.text)}
        during = await client.post(f"/e/{edition.slug}/vote", data=form)
        assert during.status_code == 503
    after = await client.post(f"/e/{edition.slug}/vote", data=form)
    assert after.status_code == 303 and after.headers["location"].endswith("/vote/identity")
