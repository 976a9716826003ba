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


BUSY = datetime(2005, 6, 8, 8, tzinfo=UTC)
BUSY_WINDOW = {"since": "2005-06-08 00:00", "until": "2005-06-09 00:00"}


@pytest.fixture(scope="module")
async def busy(app):
    """1,200 page views of six visitors, each answered in 12.345 ms."""
    rows = [
        row(BUSY + timedelta(seconds=i), session_hash=f"busy-{i % 6}", url="/busy")
        for i in range(1200)
    ]
    return await rows_write(app, [item[:3] + (12_345,) + item[4:] for item in rows])


async def test_numbers_are_written_as_the_pages_language_writes_them(app, busy):
    staff = await staff_client(app, "netadmin")
    try:
        polish = (await staff.get("/staff/stats", params=BUSY_WINDOW)).text
        logs_pl = (await staff.get("/staff/logs", params=BUSY_WINDOW)).text
        await staff.get("/staff/lang/en")
        english = (await staff.get("/staff/stats", params=BUSY_WINDOW)).text
        logs_en = (await staff.get("/staff/logs", params=BUSY_WINDOW)).text
    finally:
        await staff.aclose()
    assert ">1\xa0200<" in polish and ">1200<" not in polish
    assert ">1,200<" in english
    assert "· 12,3 ms" in logs_pl and "12.3 ms" not in logs_pl
    assert "· 12.3 ms" in logs_en
