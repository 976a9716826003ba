"""The request logs are read and searched in Polish time, as the rest of the console: a
row's arrival and answer to the second with the zone (the exact UTC instant kept in
``<time datetime>``), the filters typed in Polish time, the statistics per Polish hour
and day; a time the spring clock change skips is explained beside its field."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.factories.staff import staff_client
from tests.requestlog.factories import row, rows_write

pytestmark = pytest.mark.flow

SUMMER = datetime(2027, 5, 31, 21, 30, 5, tzinfo=UTC)  # 23:30:05 CEST
WINTER = datetime(2027, 1, 15, 21, 30, 5, tzinfo=UTC)  # 22:30:05 CET
NEAR_MIDNIGHT = datetime(2005, 6, 30, 22, 30, tzinfo=UTC)  # 1 July in Poland
GAP = "tej nocy zegary przestawiono z 02:00 na 03:00"


@pytest.fixture(scope="module")
async def rows(app):
    return await rows_write(
        app,
        [
            row(SUMMER, ip="192.0.2.201", session_hash="times-summer"),
            row(WINTER, ip="192.0.2.202", session_hash="times-winter"),
            row(NEAR_MIDNIGHT, url="/times/day", session_hash="times-day"),
        ],
    )


def read(html: str) -> str:
    """The page as a person reads it: without the instants kept for machines."""
    return re.sub(r' datetime="[^"]*"', "", html)


async def _get(app, role: str, path: str, **params: str):
    staff = await staff_client(app, role)
    try:
        return await staff.get(path, params=params)
    finally:
        await staff.aclose()


@pytest.mark.parametrize(
    ("ip", "since", "until", "shown"),
    [
        (
            "192.0.2.201",
            "31.05.2027 23:30",
            "31.05.2027 23:31",
            '<time datetime="2027-05-31T21:30:05Z">31.05.2027, 23:30:05 CEST</time>',
        ),
        (
            "192.0.2.202",
            "2027-01-15 22:30",
            "2027-01-15 22:31",
            '<time datetime="2027-01-15T21:30:05Z">15.01.2027, 22:30:05 CET</time>',
        ),
    ],
)
async def test_the_explorer_finds_a_row_by_the_polish_time_it_shows(
    app, rows, ip, since, until, shown
):
    page = await _get(app, "verifier", "/staff/logs", ip=ip, since=since, until=until)
    assert page.status_code == 200
    assert shown in page.text and ".003Z" in page.text  # answered 3 ms later
    assert "Przyjęte / wysłane (czas polski)" in page.text
    assert "21:30" not in read(page.text) and "UTC" not in read(page.text)
    # its UTC clock time typed is read as Polish time: an hour or two earlier, nothing there
    clock = shown.split('datetime="')[1][11:16]
    window = {"since": f"{since[:10]} {clock}", "until": f"{until[:10]} {clock[:3]}59"}
    earlier = await _get(app, "verifier", "/staff/logs", ip=ip, **window)
    assert "Żadne żądanie nie pasuje." in earlier.text


async def test_a_session_s_trail_is_in_polish_time(app, rows):
    page = await _get(app, "netadmin", "/staff/logs/session/times-summer")
    assert page.status_code == 200
    assert '<time datetime="2027-05-31T21:30:05Z">31.05.2027, 23:30:05 CEST</time>' in page.text
    assert "UTC" not in read(page.text)


async def test_a_time_the_spring_change_skips_is_explained_beside_the_filter(app):
    for path in ("/staff/logs", "/staff/stats"):
        page = await _get(app, "admin", path, since="28.03.2027 02:30")
        assert page.status_code == 400, path
        beside = page.text[page.text.index('id="since-error"') :].split("</p>")[0]
        assert GAP in beside, path


async def test_statistics_count_polish_hours_and_days(app, rows):
    hour = await _get(app, "admin", "/staff/stats", since="2027-05-31T21:00Z", until="01.06.2027")
    assert hour.status_code == 200
    assert 'value="31.05.2027 23:00"' in hour.text and 'value="01.06.2027 00:00"' in hour.text
    assert "31.05.2027, 23:00 CEST – 01.06.2027, 00:00 CEST" in hour.text
    assert ">31.05.2027, 23:00 CEST</td>" in hour.text
    assert "UTC" not in read(hour.text)
    # over more than three days, per day: a request at 00:30 on 1 July counts on 1 July
    days = await _get(app, "admin", "/staff/stats", since="28.06.2005", until="03.07.2005")
    assert ">01.07.2005</td>" in days.text and ">30.06.2005</td>" not in days.text
