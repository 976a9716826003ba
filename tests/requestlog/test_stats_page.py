"""The statistics page as the network administrator reads it, in Polish and in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories.staff import staff_client
from tests.requestlog.factories import row, rows_write

pytestmark = pytest.mark.flow

AT = datetime(2005, 6, 6, 8, tzinfo=UTC)  # a period of its own
WINDOW = {"since": "2005-06-06 00:00", "until": "2005-06-07 00:00"}


@pytest.fixture(scope="module")
async def unrecognised(app):
    """Six visitors whose browser sends no user agent at all."""
    rows = [
        row(AT + timedelta(minutes=i), session_hash=f"na-{i}", user_agent=None) for i in range(6)
    ]
    return await rows_write(app, rows)


async def test_a_browser_not_recognised_is_named_in_the_pages_language(app, unrecognised):
    staff = await staff_client(app, "netadmin")
    try:
        polish = (await staff.get("/staff/stats", params=WINDOW)).text
        await staff.get("/staff/lang/en")
        english = (await staff.get("/staff/stats", params=WINDOW)).text
    finally:
        await staff.aclose()
    # the browser and the system, each in its chart and its table
    assert polish.count("nie rozpoznano") == 4 and ">unknown<" not in polish
    assert english.count(">unknown<") == 4
