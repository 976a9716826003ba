"""The identity form's language switch keeps what the resident typed (without JavaScript:
the header's switch is a button of the form), sealed in the session until the page shows
it once; a PESEL number is never kept."""

import json
import re

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, project_ids, reach_choices, reach_identity
from tests.voting.test_views import count
from urna.notify.models import OutboxMessage
from urna.voting.models import Ballot, Voter

pytestmark = pytest.mark.flow

WITH_PESEL = ["first_name", "last_name", "address", "birth_date", "pesel", "phone"]
PESEL = "85030712342"
KEPT_EN = "The language of the page has been changed. The data you typed are kept."
PESEL_AGAIN_EN = "For your safety we do not keep the PESEL number: type it again."
SWITCH_TO_ENGLISH = (
    '<button type="submit" class="link" form="identity-form" name="language" value="en" '
    'lang="en">English</button>'
)


async def _outbox(app) -> int:
    async with app.state.ctx.db() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


async def test_switching_to_english_keeps_the_typed_values_but_never_the_pesel(app, client):
    edition = await edition_create(app, required_fields=WITH_PESEL)
    slug = edition.slug
    page = await reach_identity(client, slug)
    # the header's switch submits the identity form (its values come along)
    assert f'action="/e/{slug}/vote/identity" id="identity-form"' in page
    assert SWITCH_TO_ENGLISH in page
    sent = await _outbox(app)
    # "12345" is not a phone number: nothing is checked on a switch
    typed = person(
        first_name="Grażyna",
        last_name="Wiśniewska",
        house_number="12A/3",
        phone="12345",
        pesel=PESEL,
    )
    switch = await post_form(client, f"/e/{slug}/vote/identity", {**typed, "language": "en"}, page)
    assert switch.status_code == 303 and switch.headers["location"] == f"/e/{slug}/vote/identity"
    # the session store holds the values sealed: no name, no phone, no PESEL in clear
    stored = json.loads(await app.state.ctx.store.get("sess:" + client.cookies["urna_sid"]))
    raw = json.dumps(stored)
    for secret in ("Grażyna", "Wiśniewska", "Gra\\u017cyna", "12A/3", "12345", PESEL):
        assert secret not in raw, secret
    # what the privacy policy names: the session's own facts, and a message for the next page
    assert set(stored) <= {"created", "csrf", "lang", "vote", "trail", "identity_draft"}
    shown = (await client.get(f"/e/{slug}/vote/identity")).text
    after = json.loads(await app.state.ctx.store.get("sess:" + client.cookies["urna_sid"]))
    assert "identity_draft" not in after  # removed once shown
    assert '<html lang="en">' in shown and "Your data" in shown
    for name in ("first_name", "last_name", "street", "house_number", "birth_date", "phone"):
        assert f'name="{name}" type' in shown and f'value="{typed[name]}"' in shown, name
    assert PESEL not in shown and 'id="f-pesel" name="pesel" type="text" value=""' in shown
    assert KEPT_EN in shown and PESEL_AGAIN_EN in shown
    assert "error-summary" not in shown and 'aria-invalid="true"' not in shown
    # shown once: the page opened again is empty
    again = (await client.get(f"/e/{slug}/vote/identity")).text
    assert 'value="Grażyna"' not in again and KEPT_EN not in again
    # back to Polish from the English page, the same way
    switch = await post_form(client, f"/e/{slug}/vote/identity", {**typed, "language": "pl"}, again)
    polish = (await client.get(switch.headers["location"])).text
    assert '<html lang="pl">' in polish and 'value="Grażyna"' in polish
    assert "Zmieniono język strony. Wpisane dane zostały zachowane." in polish
    assert "nie przechowujemy numeru PESEL" in polish
    assert await count(app, Voter, edition.id) == 0 and await _outbox(app) == sent  # no code


async def test_without_a_pesel_field_nothing_is_said_of_it_and_an_empty_form_is_not_kept(
    app, client
):
    edition = await edition_create(app)
    slug = edition.slug
    page = await reach_identity(client, slug)
    await post_form(client, f"/e/{slug}/vote/identity", {"language": "en"}, page)
    shown = (await client.get(f"/e/{slug}/vote/identity")).text
    assert '<html lang="en">' in shown and KEPT_EN not in shown  # nothing was typed
    await post_form(
        client, f"/e/{slug}/vote/identity", {"first_name": "Ola", "language": "pl"}, shown
    )
    shown = (await client.get(f"/e/{slug}/vote/identity")).text
    assert 'value="Ola"' in shown and "Wpisane dane zostały zachowane." in shown
    assert "PESEL" not in shown


async def test_enter_in_a_field_still_continues_and_other_pages_keep_the_link(app, client):
    """A browser's Enter submits with the form's first submit button in the page: the
    hidden "Continue" before the header's switch, never the switch."""
    edition = await edition_create(app)
    page = await reach_identity(client, edition.slug)
    owned = re.findall(r'<button type="submit"[^>]*form="identity-form"[^>]*>', page)
    assert owned and 'name="language"' not in owned[0] and 'aria-hidden="true"' in owned[0]
    assert page.index(owned[0]) < page.index('name="language"')
    # a submission without the switch's value is the identity step itself
    who = person()
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert response.status_code == 303 and response.headers["location"].endswith("/vote/code")
    # pages without a form to carry keep the plain link
    receipt = (await client.get("/receipt")).text
    assert 'href="/lang/en?next=/receipt"' in receipt and 'name="language"' not in receipt


async def test_a_draft_is_for_its_own_edition(app, client):
    first, second = await edition_create(app), await edition_create(app)
    page = await reach_identity(client, first.slug)
    await post_form(
        client, f"/e/{first.slug}/vote/identity", {"first_name": "Ola", "language": "en"}, page
    )
    other = await reach_identity(client, second.slug)
    assert 'value="Ola"' not in other and KEPT_EN not in other


async def test_the_choices_page_switch_keeps_the_ticks_not_yet_saved(app, client):
    """Without JavaScript the ticks are saved only when the form is sent: the header's
    switch sends it (``language``), the ballot comes back in the other language with the
    same boxes ticked, over a limit or not, and nothing is cast."""
    edition = await edition_create(app)
    slug = edition.slug
    page = await reach_choices(client, app, slug, person())
    assert (
        '<button type="submit" class="link" form="choices" name="language" value="en" '
        'lang="en">English</button>'
    ) in page
    ids = project_ids(page)
    # two projects of a pool of one: kept, and the English ballot says the limit is broken
    picked = [ids["N1"], ids["N2"]]
    switch = await post_form(
        client, f"/e/{slug}/vote/choices", {"project": picked, "language": "en"}, page
    )
    assert switch.status_code == 303 and switch.headers["location"] == f"/e/{slug}/vote/choices"
    shown = (await client.get(f"/e/{slug}/vote/choices")).text
    assert '<html lang="en">' in shown and "Choose projects" in shown
    for project_id in picked:
        assert f'id="p-{project_id}" checked>' in shown
    assert "error-summary" in shown  # the pool's limit, said at once
    assert "PLN\u00a0100,000" in shown and "zł" not in shown  # money as English writes it
    # back to Polish the same way, one tick taken off: the ballot follows the form
    switch = await post_form(
        client, f"/e/{slug}/vote/choices", {"project": picked[:1], "language": "pl"}, shown
    )
    polish = (await client.get(switch.headers["location"])).text
    assert '<html lang="pl">' in polish and f'id="p-{picked[0]}" checked>' in polish
    assert f'id="p-{picked[1]}" checked>' not in polish and "error-summary" not in polish
    assert "100\u00a0000\u00a0zł" in polish and "PLN" not in polish
    assert await count(app, Ballot, edition.id) == 0
