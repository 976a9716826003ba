"""A session exists only when a request stores something in it: health checks, static
files and pages without forms create none and count no visit; a form's CSRF token does."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of
from urna.core.sessions import VISITS_KEY

pytestmark = pytest.mark.flow


@pytest.fixture
def sessions_stored(app, monkeypatch) -> list[str]:
    """The session keys the app writes to the store from now on."""
    store, written = app.state.ctx.store, []
    original = store.set

    async def set_recorded(key, value, *args, **kwargs):
        if key.startswith("sess:"):
            written.append(key)
        return await original(key, value, *args, **kwargs)

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


async def test_a_page_with_a_form_creates_the_session_and_counts_one_visit(
    app, client, sessions_stored
):
    edition = await edition_create(app)
    before = await _visits(app)
    page = await client.get(f"/e/{edition.slug}/vote")
    assert "set-cookie" in page.headers and len(sessions_stored) == 1
    assert await _visits(app) == before + 1
    token = csrf_of(page.text)
    assert f'"X-CSRF-Token": "{token}"' in page.text  # htmx requests carry it too
    again = await client.get(f"/e/{edition.slug}/vote")
    assert csrf_of(again.text) == token and "set-cookie" not in again.headers
    assert await _visits(app) == before + 1  # the same person's second page: one visit
    # the form still posts: the stored token is accepted, a forged one is not
    forged = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    accepted = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": token}
    )
    assert accepted.status_code != 403
