"""A sheet number is one number however it is typed: a Unicode hyphen or dash (‐ ‑ – —,
what autocorrect or a number copied from a document brings) or full-width digits were
another number than the ASCII one, so one paper could be typed in and counted twice.
A number stored before it was spelt one way is found by what is typed now."""

from __future__ import annotations

import asyncio

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import insert

from tests.conftest import fresh_database, make_settings
from tests.factories.staff import staff_client, staff_user_create
from tests.factories.voting import person
from tests.voting.test_paper_console import ballot, entries, paper_edition
from urna.core import migrate
from urna.core.db import create_engine, utcnow
from urna.main import create_app
from urna.voting.models import PaperEntry
from urna.voting.paper_ballot import local_date, sheet_number

pytestmark = pytest.mark.flow

SPELLINGS = (
    "PK1-0042",
    "pk1‐0042",
    "PK1‑0042",
    "PK1–0042",
    "PK1—0042",
    "PK1−0042",
    "ＰＫ１－００４２",
)


def test_every_spelling_of_a_number_is_one_number():
    assert {sheet_number(typed) for typed in SPELLINGS} == {"PK1-0042"}


async def test_a_sheet_typed_again_with_a_dash_or_full_width_digits_is_the_sheet_typed(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        first = await admin.post(url, data=ballot(person(), ["C1"], page, sheet="PK1–0042"))
        assert first.status_code == 303
        for typed in SPELLINGS:
            again = await admin.post(url, data=ballot(person(), ["C1"], page, sheet=typed))
            assert again.status_code == 400 and "nie wprowadzaj jej ponownie" in again.text
    assert [e.status for e in await entries(app, edition.id, "PK1-0042")] == ["counted"]


async def test_a_number_stored_before_is_spelt_one_way_and_found(tmp_path):
    """The migration spells the stored numbers; one whose spelling is another stored
    sheet's already (the same paper typed twice) is left for the office to settle."""
    url, drop = await fresh_database(tmp_path)
    try:
        application = create_app(make_settings(url))
        async with LifespanManager(application):
            edition = await paper_edition(application)
            operator, _, _ = await staff_user_create(application, "admin")
        await asyncio.to_thread(migrate.downgrade, url, "0015_fraud_fact_program")
        engine = create_engine(url)
        async with engine.begin() as conn:
            for sheet in ("PK2—0007", "ＰＫ３－１", "PK3-1"):
                row = dict(edition_id=edition.id, sheet=sheet, kind="first", status="invalid")
                row.update(operator_id=operator.id, collection_point="Biblioteka")
                row.update(collected_on=local_date(edition.voting_opens_at), entered_at=utcnow())
                await conn.execute(insert(PaperEntry.__table__).values(**row))
        await engine.dispose()
        await asyncio.to_thread(migrate.upgrade, url)
        application = create_app(make_settings(url))
        async with LifespanManager(application):
            assert len(await entries(application, edition.id, "PK2-0007")) == 1
            assert len(await entries(application, edition.id, "PK3-1")) == 1
            assert len(await entries(application, edition.id, "ＰＫ３－１")) == 1  # left as it was
            async with await staff_client(application, "admin") as admin:
                page = (await admin.get(f"/staff/paper/{edition.slug}")).text
                typed = ballot(person(), ["C1"], page, sheet="pk2–0007")
                again = await admin.post(f"/staff/paper/{edition.slug}", data=typed)
        assert again.status_code == 400 and "nie wprowadzaj jej ponownie" in again.text
    finally:
        await drop()
