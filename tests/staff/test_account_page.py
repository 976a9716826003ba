"""An account's page has four forms, each with its reason: a refused one shows its error
beside its own button, linked from the error summary (issue 14)."""

from __future__ import annotations

import pytest

from tests.factories.staff import csrf_of, staff_client, staff_user_create

pytestmark = pytest.mark.flow


async def test_a_refused_form_shows_its_error_beside_its_own_button(app):
    other, _, _ = await staff_user_create(app, "verifier")
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/users/{other.id}")).text
        refused = await admin.post(
            f"/staff/users/{other.id}/totp-reset", data={"csrf_token": csrf_of(page), "reason": ""}
        )
    assert refused.status_code == 400
    text = refused.text
    assert 'href="#totp-reason"' in text  # the summary links to that form's field
    assert 'id="totp-reason-error"' in text and 'aria-describedby="totp-reason-error"' in text
    for form in ("role", "active", "password"):
        assert f'id="{form}-reason-error"' not in text
