"""The one-time code goes by SMS: the identity step refuses a landline, in the resident's
language, before any code is sent (the number types are ``phonenumbers``'s: see
tests/voting/test_identity.py for every range)."""

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, reach_identity
from urna.notify.models import OutboxMessage

pytestmark = pytest.mark.flow

POLISH = "To nie jest numer telefonu komórkowego. Kod wysyłamy SMS-em: podaj numer komórkowy"
ENGLISH = "This is not a mobile phone number. The code is sent by SMS: give a mobile number"


async def _outbox(app) -> int:
    async with app.state.ctx.db() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.mark.parametrize("landline", ["22 628 12 34", "+48 12 345 67 89", "58 301 00 00"])
async def test_a_landline_is_refused_at_the_identity_step(app, client, landline):
    edition = await edition_create(app)
    sent = await _outbox(app)
    page = await reach_identity(client, edition.slug)
    who = person(phone=landline)
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert response.status_code == 400
    assert POLISH in response.text and 'href="#f-phone"' in response.text  # summary → field
    assert f'value="{landline}"' in response.text  # kept, to be corrected
    await client.get(f"/lang/en?next=/e/{edition.slug}/vote/identity")
    english = await post_form(client, f"/e/{edition.slug}/vote/identity", who, response.text)
    assert english.status_code == 400 and ENGLISH in english.text
    mobile = await post_form(
        client, f"/e/{edition.slug}/vote/identity", person(phone="501 234 567"), english.text
    )
    assert mobile.status_code == 303 and mobile.headers["location"].endswith("/vote/code")
    assert await _outbox(app) == sent + 1  # the mobile's code only
