"""What a resident notices in the vote (issue 14): a shared contact refused before the
code is sent, Back after voting shows the receipt, a project read from the ballot keeps
the choices, pool limits in Polish plurals, the summary from the server's state."""

import re

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import (
    person,
    post_form,
    project_ids,
    reach_choices,
    reach_identity,
    receipt_of,
    vote,
)
from tests.voting.test_views import count
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


async def test_a_contact_already_used_is_refused_before_the_code_is_sent(app, client):
    """A family with one phone learns it on the identity form, with what to do, and no
    SMS goes out (the UNIQUE contact slots still decide at the cast: tests/voting/test_race)."""
    from httpx import ASGITransport, AsyncClient

    from urna.notify.models import OutboxMessage

    edition = await edition_create(app)
    first = person()
    assert (await vote(client, app, edition.slug, first, ["C1"])).status_code == 303
    async with app.state.ctx.db() as session:
        sent = await session.scalar(select(func.count()).select_from(OutboxMessage))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as other:
        page = await reach_identity(other, edition.slug)
        child = person(phone=first["phone"])
        response = await post_form(other, f"/e/{edition.slug}/vote/identity", child, page)
    assert response.status_code == 400
    text = response.text
    assert 'href="#f-phone"' in text  # the error summary links to the phone field
    assert 'aria-describedby="phone-error' in text
    assert (
        "Zasada tej edycji: jednego numeru telefonu lub adresu e-mail można użyć do 1 głosu."
        in text
    )
    assert "Nie wysłano kodu." in text and "+48 52 000 00 00" in text
    assert f'value="{child["first_name"]}"' in text  # what was typed stays
    async with app.state.ctx.db() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == sent
    assert await count(app, Ballot, edition.id) == 1


async def test_back_after_voting_shows_the_receipt_never_start_again(app, client):
    edition = await edition_create(app)
    assert (await vote(client, app, edition.slug, person(), ["C2"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    for step in ("identity", "code", "choices", "review"):
        back = await client.get(f"/e/{edition.slug}/vote/{step}")
        assert back.status_code == 303, step
        assert back.headers["location"] == f"/e/{edition.slug}/vote/receipt"
    start = (await client.get(f"/e/{edition.slug}/vote")).text
    assert "W tej edycji oddano już głos z tej przeglądarki." in start
    assert f'href="/e/{edition.slug}/vote/receipt"' in start
    assert await receipt_of(client, edition.slug) == receipt


async def test_a_project_is_read_from_the_ballot_and_the_choices_stay(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    read = await post_form(
        client,
        f"/e/{edition.slug}/vote/choices?read=N1",
        {"project": [ids["C3"], ids["N1"]]},
        page,
    )
    assert read.status_code == 303
    assert read.headers["location"] == f"/e/{edition.slug}/projects/N1?from=ballot"
    project = (await client.get(read.headers["location"])).text
    assert f'href="/e/{edition.slug}/vote/choices#p-{ids["N1"]}"' in project
    back = (await client.get(f"/e/{edition.slug}/vote/choices")).text
    for number in ("C3", "N1"):
        assert re.search(rf'value="{ids[number]}" id="p-{ids[number]}" checked', back), number
    assert "wybrano 1 z 2" in back and "wybrano 1 z 1" in back  # the summary from the server


async def test_the_ballot_says_what_a_pool_allows_in_polish_plurals(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    assert "Możesz wybrać najwyżej 2 projekty." in page
    assert "Możesz wybrać najwyżej 1 projekt." in page
    assert "z 100\u00a0000\u00a0zł" not in page  # no money limit the rule does not enforce
    too_many = await post_form(
        client,
        f"/e/{edition.slug}/vote/choices",
        {"project": [ids["N1"], ids["N2"]]},
        page,
    )
    assert too_many.status_code == 400
    pool = re.search(r'id="pool-(\d+)-error"', too_many.text).group(1)
    assert f'href="#p-{ids["N1"]}">Pula Północ: ' in too_many.text  # summary → first box
    assert f'aria-describedby="pool-{pool}-hint pool-{pool}-error"' in too_many.text


async def test_the_live_summary_names_the_broken_limit(app, client):
    """htmx renders the summary block alone: it carries its own imports."""
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    live = await post_form(
        client,
        f"/e/{edition.slug}/vote/choices?live=1",
        {"project": [ids["N1"], ids["N2"]]},
        page,
        headers={"HX-Request": "true"},
    )
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<section id="summary"')
    assert "Możesz wybrać najwyżej 1 projekt." in live.text


async def test_without_javascript_the_summary_is_the_servers_state(app, client):
    """No htmx: "Update the summary" saves the ticks and shows the ballot with a summary
    counted from what the server holds (never a stale "0 of 2")."""
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    assert "<noscript><button" in page and "?update=1" in page
    ids = project_ids(page)
    updated = await post_form(
        client,
        f"/e/{edition.slug}/vote/choices?update=1",
        {"project": [ids["C1"], ids["C2"]]},
        page,
    )
    assert updated.status_code == 303
    assert updated.headers["location"] == f"/e/{edition.slug}/vote/choices"
    ballot = (await client.get(updated.headers["location"])).text
    assert "wybrano 2 z 2" in ballot
    assert "wybrane projekty kosztują 110\u00a0000\u00a0zł" in ballot
