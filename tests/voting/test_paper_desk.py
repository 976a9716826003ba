"""The paper desk as a clerk works it: the back button, a second click, an address typed
by hand, a sheet still waiting when the results come. Whatever happens, an answer the
clerk can read (never a 500), and every sheet typed from paper counted once."""

from __future__ import annotations

import pytest

from tests.factories.staff import staff_client
from tests.voting.test_paper_console import paper_edition

pytestmark = pytest.mark.flow


@pytest.mark.parametrize("entered", ["99999999999999999999999", "9223372036854775808", "0"])
async def test_an_outcome_number_beyond_any_sheet_shows_the_desk(app, entered):
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(f"/staff/paper/{edition.slug}?entered={entered}")
    assert page.status_code == 200 and 'id="outcome"' not in page.text
