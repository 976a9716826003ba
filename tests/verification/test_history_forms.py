"""The forms of the decision history (reverse, confirm) work without JavaScript: each
carries the page's CSRF token, as every form posting to the console must."""

from __future__ import annotations

import re

import pytest

from tests.factories.staff import staff_client
from tests.verification.conftest import ballot_get, case_make, cast, post_page

pytestmark = pytest.mark.flow

INVALID = {"verdict": "invalid", "reason": "automated", "note": "Twelve ballots in two seconds"}
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def _forms(page: str) -> dict[str, str]:
    """Each posting form's action -> the CSRF token it sends."""
    return {action: (TOKEN.search(body) or [None, None])[1] for action, body in FORM.findall(page)}


async def test_the_reversal_form_of_a_decision_sends_the_csrf_token(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    slug = edition.slug
    case_url = f"/staff/verify/{slug}/cases/{case_id}"
    ballot_url = f"/staff/verify/{slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        decided = await post_page(verifier, ballot_url, ballot_url + "/decide", INVALID)
        assert decided.status_code == 303
        for url in (case_url, ballot_url):
            forms = _forms((await verifier.get(url)).text)
            reversal = [action for action in forms if action.endswith("/reverse")]
            assert reversal, url
            assert all(forms.values()), (url, forms)  # no form posts an empty token
        page = await verifier.get(ballot_url)
        [action] = [action for action in _forms(page.text) if action.endswith("/reverse")]
        response = await verifier.post(
            action,
            data={"csrf_token": _forms(page.text)[action], "note": "The resident proved it"},
        )
        assert response.status_code == 303, response.text
    assert (await ballot_get(app, ballot.ballot_id)).status == "counted"
