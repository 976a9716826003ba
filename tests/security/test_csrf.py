"""CSRF on every state-changing route of the app (POST/PUT/PATCH/DELETE, enumerated from
``app.routes``): without a token, with a wrong one, with another session's token and with
the right token from a cross-site page, each is refused with the 403 page in the visitor's
language, and nothing is stored. Path parameters name things that exist (the seeded
world), so a route that skipped the check would act, and the row counts would show it."""

from __future__ import annotations

import pytest

from tests.factories.staff import csrf_of
from tests.factories.voting import reach_identity
from tests.security.checklist import (
    STATE_CHANGING,
    plain_client,
    row_counts,
    staff_login_client,
    text_of,
    visitors,
    visitors_close,
)
from tests.world import routes, world_seed
from urna.core.errors import CsrfRejected

pytestmark = pytest.mark.flow

WRONG = "x" * 43


async def _token(http, path: str) -> str:
    return csrf_of((await http.get(path)).text)


async def test_every_state_changing_route_refuses_a_missing_wrong_foreign_or_cross_site_token(
    app,
):
    world = await world_seed(app)
    clients = await visitors(app, world)
    slug = world.open
    other_resident, other_admin = plain_client(app), await staff_login_client(app)
    clients.update({"other_resident": other_resident, "other_admin": other_admin})
    try:
        await reach_identity(other_resident, slug)
        own = {
            "resident": await _token(clients["resident"], f"/e/{slug}/vote/identity"),
            "admin": await _token(clients["admin"], "/staff"),
        }
        foreign = {
            "resident": await _token(other_resident, f"/e/{slug}/vote/identity"),
            "admin": await _token(other_admin, "/staff"),
        }
        refused_pl = text_of(CsrfRejected.message, "pl")
        targets = routes(app, STATE_CHANGING)
        before = await row_counts(app)
        wrong_answers, attempts = [], 0
        for method, path in targets:
            who = "admin" if path.startswith("/staff") else "resident"
            http, url = clients[who], world.url(path)
            attacks = {
                "missing": dict(data={"note": "x"}),
                "wrong": dict(data={"note": "x", "csrf_token": WRONG}),
                "foreign": dict(headers={"X-CSRF-Token": foreign[who]}),
                "cross-site": dict(
                    data={"csrf_token": own[who]}, headers={"Sec-Fetch-Site": "cross-site"}
                ),
            }
            for attack, kw in attacks.items():
                attempts += 1
                response = await http.request(method, url, **kw)
                if response.status_code != 403 or refused_pl not in response.text:
                    wrong_answers.append((attack, method, path, response.status_code))
        after = await row_counts(app)

        assert wrong_answers == []
        assert after == before  # nothing stored by any refused request
        assert len(targets) >= 50 and attempts == 4 * len(targets)
        # Not vacuous: the same visitors with their own token do get through.
        resident = clients["resident"]
        control = await resident.post(
            f"/e/{slug}/vote", data={"acknowledge": "yes", "csrf_token": own["resident"]}
        )
        assert control.status_code == 303
        logout = await clients["admin"].post("/staff/logout", data={"csrf_token": own["admin"]})
        assert logout.status_code == 303
    finally:
        await visitors_close(clients)


async def test_the_refusal_is_in_english_for_an_english_visitor(app, client):
    await client.get("/lang/en")
    response = await client.post("/receipt", data={"code": "x"})
    assert response.status_code == 403
    assert text_of(CsrfRejected.message, "en") in response.text
    assert text_of(CsrfRejected.message, "pl") not in response.text
