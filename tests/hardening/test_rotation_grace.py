"""A worker killed during the code confirmation (the new session id stored, its cookie
never sent) does not lose the resident's session: the old id stays valid for a grace
period, so the browser that kept it carries on."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, reach_code

pytestmark = pytest.mark.flow


async def test_the_old_id_carries_on_when_the_rotated_cookie_never_arrived(app, client):
    edition = await edition_create(app)
    page, code = await reach_code(client, app, edition.slug, person())
    old = client.cookies.get("urna_sid")
    confirmed = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert confirmed.status_code == 303 and client.cookies.get("urna_sid") != old
    client.cookies.clear()
    client.cookies.set("urna_sid", old)  # the answer with the new cookie was lost
    again = await client.get(f"/e/{edition.slug}/vote/code")
    assert again.status_code == 200 and "set-cookie" not in again.headers
    retry = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": code}, again.text)
    assert retry.status_code == 303 and retry.headers["location"].endswith("/vote/choices")
    assert (await client.get(f"/e/{edition.slug}/vote/choices")).status_code == 200
