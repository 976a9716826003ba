"""A street split between areas by house numbers, as municipal registers split them: the
import's format and checks, the console's register, and the area the identity step reads
from street + house number."""

from __future__ import annotations

import asyncio

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from tests.conftest import fresh_database, make_settings
from tests.factories.editions import edition_create, edition_data, upcoming_data
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import person, post_form, reach_choices, reach_identity
from urna.core import migrate
from urna.core.db import create_engine
from urna.core.errors import FormInvalid
from urna.editions import repository, service
from urna.editions.street_ranges import HouseRange, ranges_problems
from urna.main import create_app
from urna.privacy import service as privacy

pytestmark = pytest.mark.flow

# ul. Długa: 1–49 in the north, 50 and above in the south; ul. Polna: odd north, even south
SPLIT = [
    {"name": "ul. Lipowa", "area": "N"},
    {"name": "ul. Długa", "area": "N", "from": 1, "to": 49},
    {"name": "ul. Długa", "area": "S", "from": 50},
    {"name": "ul. Polna", "area": "N", "side": "odd"},
    {"name": "ul. Polna", "area": "S", "side": "even"},
]
SPLIT_CSV = (
    "name;area;from;to;side\n"
    "ul. Lipowa;N;;;\n"
    "ul. Długa;N;1;49;\n"
    "ul. Długa;S;50;;\n"
    "ul. Polna;N;;;nieparzyste\n"
    "ul. Polna;S;;;parzyste\n"
)


def _part(first, last=None, side="all"):
    return HouseRange(first, last, side, 1)


@pytest.mark.parametrize(
    ("parts", "found"),
    [
        ([_part(1, 49), _part(50)], []),
        ([_part(1, None, "odd"), _part(2, None, "even")], []),
        ([_part(1, 49, "odd"), _part(2, 50, "even"), _part(51)], []),
        ([_part(1, 49), _part(80, 120)], [(1, 0, 50)]),  # 50–79 in no area
        ([_part(1, 49), _part(40)], [(1, 0, None)]),  # 40–49 in two areas
        ([_part(1, None, "odd"), _part(7, 7)], [(1, 0, None)]),
        ([_part(2, 2, "odd"), _part(1, 9, "even")], []),  # holds no number: nothing shared
    ],
)
def test_ranges_that_overlap_or_leave_a_gap_are_found(parts, found):
    problems = ranges_problems(parts)
    assert [(p.index, p.other, p.gap_from) for p in problems] == found


async def test_the_edition_file_takes_split_streets_and_a_street_of_one_area_as_before(app, db):
    edition = await privacy.edition_import(session=db, data=edition_data(streets=SPLIT))
    register = dict(await repository.street_register_of(db, edition.id))
    ranges = await repository.street_ranges_of(db, edition.id)
    areas = {a.code: a.id for a in await repository.areas_of(db, edition.id)}
    assert register == {"ul. Lipowa": areas["N"], "ul. Długa": None, "ul. Polna": None}
    assert ranges["ul. Długa"] == (
        HouseRange(1, 49, "all", areas["N"]),
        HouseRange(50, None, "all", areas["S"]),
    )
    assert {part.side for part in ranges["ul. Polna"]} == {"odd", "even"}
    assert "ul. Lipowa" not in ranges


@pytest.mark.parametrize(
    ("streets", "errors"),
    [
        (
            [{"name": "ul. Długa", "area": "N", "to": 49}, {"name": "ul. Długa", "area": "S"}],
            {"streets.1.from": "This street is split between areas in other rows"},
        ),
        (
            [
                {"name": "ul. Długa", "area": "N", "to": 49},
                {"name": "ul. Długa", "area": "S", "from": 40},
            ],
            {"streets.1.from": "overlap an earlier range"},
        ),
        (
            [
                {"name": "ul. Długa", "area": "N", "to": 49},
                {"name": "ul. Długa", "area": "S", "from": 60},
            ],
            {"streets.1.from": "Extend a range to close the gap"},
        ),
        ([{"name": "ul. Długa", "area": "N", "from": 9, "to": 5}], {"streets.0.to": "cannot end"}),
        ([{"name": "ul. Długa", "area": "N", "side": "both"}], {"streets.0.side": "odd, even"}),
    ],
)
async def test_the_edition_file_refuses_ranges_that_overlap_or_leave_a_gap(
    app, db, streets, errors
):
    with pytest.raises(FormInvalid) as refused:
        await privacy.edition_import(session=db, data=edition_data(streets=streets))
    found = refused.value.errors
    assert set(errors) <= set(found), found
    assert all(text in found[path] for path, text in errors.items())


async def test_a_csv_with_ranges_is_checked_row_by_row_naming_the_line_it_meets(app, db):
    edition = await privacy.edition_import(session=db, data=upcoming_data(streets=[]))
    bad = (
        "name;area;from;to;side\n"
        "ul. Długa;N;1;49;\n"
        "ul. Długa;S;40;;\n"  # line 3: overlaps line 2
        "ul. Polna;N;1;19;odd\n"
        "ul. Polna;S;31;;odd\n"  # line 5: 21–29 odd in no area (after line 4)
        "ul. Polna;S;;;even\n"
        "ul. Wąska;N;;;\n"
        "ul. Wąska;S;5;;\n"  # line 8: the street is split, line 7 gives no numbers
        "ul. Krzywa;N;;;lewa\n"
    )
    preview = await service.imports.rows_preview(
        session=db, edition=edition, kind="streets", text=bad
    )
    errors = {row.line: (row.errors, row.params) for row in preview.rows if row.errors}
    assert sorted(errors) == [3, 5, 7, 9]
    assert "overlap the range on line %(line)s" in errors[3][0]["from"]
    assert errors[3][1]["line"] == 2
    assert errors[5][1] == {"line": 4, "number": 21}
    assert "split between areas in other rows" in errors[7][0]["from"]
    assert "side" in errors[9][0]
    with pytest.raises(service.imports.PreviewInvalid) as refused:
        await service.rows_import(
            session=db, edition=edition, kind="streets", text=bad, actor_id=None
        )
    printed = refused.value.errors  # as the command line prints them: the line filled in
    assert "on line 2 of the same street" in printed["row 3: from"]
    assert "from 21 up to this range" in printed["row 5: from"]
    assert await repository.street_register_of(db, edition.id) == []
    added = await service.rows_import(
        session=db, edition=edition, kind="streets", text=SPLIT_CSV, actor_id=None
    )
    assert added == 5
    ranges = await repository.street_ranges_of(db, edition.id)
    assert [(p.number_from, p.number_to, p.side) for p in ranges["ul. Polna"]] == [
        (1, None, "even"),
        (1, None, "odd"),
    ]


async def test_the_console_shows_the_ranges_and_the_import_hint(app):
    async with await staff_client(app, "admin") as admin:
        data = upcoming_data(streets=[])
        async with app.state.ctx.db() as session:
            edition = await privacy.edition_import(session=session, data=data)
            await session.commit()
        slug = edition.slug
        page = await admin.get(f"/staff/editions/{slug}/import/streets")
        assert "ul. Długa;SR;1;49;" in page.text  # the format, by example
        response = await admin.post(
            f"/staff/editions/{slug}/import/streets/preview",
            data={"text": SPLIT_CSV.replace("50;;", "40;;"), "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 400
        assert "pokrywają się z zakresem tej samej ulicy w wierszu 3" in response.text
        response = await admin.post(
            f"/staff/editions/{slug}/import/streets",
            data={"text": SPLIT_CSV, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 303
        register = (await admin.get(f"/staff/editions/{slug}/streets")).text
    assert "1–49: Północ" in register and "od 50 wzwyż: Południe" in register
    assert "numery nieparzyste od 1 wzwyż: Północ" in register
    assert "numery parzyste od 1 wzwyż: Południe" in register


async def test_the_identity_step_reads_the_area_from_street_and_house_number(app, client):
    """Over HTTP: ul. Długa 12A/3 is in the north (its pool offered), 50 in the south, ul.
    Polna 7 north and 8 south; 0 is no number and a number of no range is refused with the
    street named, in Polish."""
    edition = await edition_create(app, streets=SPLIT)
    slug = edition.slug
    for street, house, pool in (
        ("ul. Długa", "12A/3", "Pula Północ"),
        ("ul. Długa", "12 m. 3", "Pula Północ"),
        ("ul. Długa", "50", "Pula Południe"),
        ("Długa", "1200", "Pula Południe"),
        ("ul. Polna", "7", "Pula Północ"),
        ("ul. Polna", "8", "Pula Południe"),
        ("ul. Lipowa", "8", "Pula Północ"),  # a street of one area, as before
    ):
        client.cookies.clear()
        page = await reach_choices(client, app, slug, person(street=street, house_number=house))
        other = "Pula Południe" if pool == "Pula Północ" else "Pula Północ"
        assert pool in page and other not in page, (street, house)


async def test_a_number_in_no_range_is_refused_naming_the_street(app, client):
    streets = [
        {"name": "ul. Długa", "area": "N", "from": 1, "to": 49},
        {"name": "ul. Długa", "area": "S", "from": 50, "to": 99},
    ]
    edition = await edition_create(app, streets=streets)
    page = await reach_identity(client, edition.slug)
    who = person(street="dluga", house_number="120/4")
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert response.status_code == 400
    assert "W rejestrze gminy nie ma numeru domu 120 dla ulicy: ul. Długa." in response.text
    assert 'value="120/4"' in response.text  # what was typed is kept
    switched = await post_form(
        client, f"/e/{edition.slug}/vote/identity", dict(who, language="en"), page
    )
    assert switched.status_code == 303
    page = (await client.get(f"/e/{edition.slug}/vote/identity")).text
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert "has no house number 120 for this street: ul. Długa." in response.text


async def test_the_migration_down_gives_a_split_street_its_lowest_range_s_area(tmp_path):
    """Down to the revision before ranges (SQLite rebuilds ``street``) and up again: every
    street is kept, a split street with the area of its first range."""
    url, drop = await fresh_database(tmp_path)
    try:
        application = create_app(make_settings(url))
        async with LifespanManager(application):
            edition = await edition_create(application, streets=SPLIT)
        await asyncio.to_thread(migrate.downgrade, url, "0017_paper_withdraw")
        engine = create_engine(url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT s.name, a.code FROM street s JOIN area a ON a.id = s.area_id"
                     " WHERE s.edition_id = :id"),
                {"id": edition.id},
            )  # fmt: skip
            found = dict(rows.all())
        await engine.dispose()
        assert found == {"ul. Lipowa": "N", "ul. Długa": "N", "ul. Polna": "N"}
        await asyncio.to_thread(migrate.upgrade, url)
    finally:
        await drop()


def test_the_paper_operator_s_message_names_no_street():
    """The paper desk shows the identity's messages without their parameters: the
    operator's wording has none (the street is beside it, on the ballot)."""
    from urna.voting.schemas import NOT_ON_STREET

    assert "%(street)s" in NOT_ON_STREET.resident and "%(" not in NOT_ON_STREET.operator
