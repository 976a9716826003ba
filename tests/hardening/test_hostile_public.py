"""Hostile values in every field of the resident's forms and the catalogue's filters: a
clear refusal (4xx), never a 5xx, and no ballot stored."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, reach_choices, reach_identity
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow

HOSTILE = [
    "x" * 20_000, "\x00", "a\x00b", "\u202egnp.exe", "\u200f\u200e", "²³¹", "①②③", "１２３",
    "9" * 5000, "-1", "1e309", "' OR 1=1 --", "{{ 7*7 }}", "{% raw %}", "%(x)s %s %",
    "<script>alert(1)</script>", "\r\n\t", " ", "ĄĘŁ", "0x10",
]  # fmt: skip


async def test_hostile_values_in_public_forms_and_filters(app, client):
    edition = await edition_create(app)
    slug = edition.slug
    fields = list(person()) + ["pesel", "guardian_name", "acknowledge"]
    page = await reach_identity(client, slug)
    for value in HOSTILE:
        for field in fields:
            response = await post_form(
                client, f"/e/{slug}/vote/identity", {**person(), field: value}, page
            )
            assert response.status_code < 500, (field, repr(value[:20]))
        for path, name in ((f"/e/{slug}", "pool"), (f"/e/{slug}", "area"),
                           (f"/e/{slug}", "q"), (f"/e/{slug}", "category")):  # fmt: skip
            response = await client.get(path, params={name: value})
            assert response.status_code < 500, (path, name, repr(value[:20]))
        path = "/e/" + quote(value[:200].encode("utf-8", "surrogatepass"), safe="")
        assert (await client.get(path)).status_code < 500, repr(value[:20])
    other = await reach_choices(client, app, slug, person())
    for value in HOSTILE:
        for url, form in (
            (f"/e/{slug}/vote/choices", {"project": value}),
            (f"/e/{slug}/vote/choices", {"project": [value, value, "1"]}),
            ("/receipt", {"code": value}),
        ):
            response = await post_form(client, url, form, other)
            assert response.status_code < 500, (url, repr(value[:20]))
    crowded = await post_form(  # beyond the form parser's field limit: said, not a bare 400
        client, f"/e/{slug}/vote/choices", {"project": [str(i) for i in range(10_000)]}, other
    )
    assert crowded.status_code == 400 and "za dużo pól" in crowded.text
    for content_type in ("application/json", "text/plain", "multipart/form-data; boundary=x"):
        response = await client.post(
            f"/e/{slug}/vote/choices", content=b"\xff\xfe{", headers={"content-type": content_type}
        )
        assert response.status_code < 500, content_type
    async with app.state.ctx.db() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        )
    assert stored == 0
