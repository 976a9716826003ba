"""House numbers as Polish addresses write them: a flat after "m." or "lok." is the flat
after "/" (one address, one identity key), a corner building has two numbers ("12-14")."""

from __future__ import annotations

import pytest
from httpx import ASGITransport, AsyncClient

from tests.factories.editions import edition_create
from tests.factories.voting import e164, latest_code, person, post_form, reach_identity, vote
from tests.voting.test_identity import FULL, adult, check
from urna.voting import identity as rules
from urna.voting.fraud_keys import lookup_key

pytestmark = pytest.mark.flow


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12 m. 3", "12/3"),
        ("12 m 3", "12/3"),
        ("12m.3", "12/3"),
        ("12 M. 03", "12/3"),
        ("12 lok. 3", "12/3"),
        ("12a m. 3", "12A/3"),
        ("12-14", "12-14"),
        ("12–14", "12-14"),  # an en dash, as a word processor writes it
        ("012 - 014", "12-14"),
        ("12–14 m. 5", "12-14/5"),
        ("4/6 m. 12", "4/6 m. 12"),  # a building numbered 4/6, flat 12
        ("12a/3", "12A/3"),  # the forms accepted before are stored as they were
        ("012/03A", "12/3A"),
        ("12M", "12M"),
    ],
)
def test_a_house_number_written_the_polish_ways_is_accepted(typed, stored):
    assert check(adult(house_number=typed), FULL[:5]).identity.fields["house_number"] == stored


@pytest.mark.parametrize("typed", ["14-12", "12-3", "12/3/4", "12 m.", "m. 3", "12 m. 3 m. 4"])
def test_what_is_no_house_number_is_still_refused(typed):
    """ "12-3" is no corner building (its second number is not the larger): a flat typed
    with a dash is not guessed at."""
    errors = check(adult(house_number=typed), FULL[:5]).errors
    assert "Give the house number" in errors["house_number"]


def test_a_flat_after_m_is_the_same_address_and_the_same_person():
    keys = {
        rules.identity_key_material(check(adult(house_number=typed), FULL[:5]).identity.fields)
        for typed in ("12/3", "12 m. 3", "12 m 3", "12 lok. 3", "12")
    }
    assert keys == {"lukasz|nowak kowalski|1985-03-07|ul. lipowa|12"}


def test_a_verifier_finds_a_resident_by_a_house_number_typed_another_way():
    class Keys:
        def keyed_hash(self, *, scope: str, value: str) -> str:
            return value

    def found(house: str) -> str:
        return lookup_key(
            crypto=Keys(),
            edition_id=1,
            first="Anna",
            last="Nowak",
            street="ul. Lipowa",
            house=house,
        )

    assert found("12 m. 3") == found("012") == found("12/3") == found("12")
    assert found("12-14") != found("12")


async def test_12_m_3_over_http_is_the_resident_who_voted_as_12_slash_3(app, client):
    """Through the identity step: "12 m. 3" is accepted, and a resident who voted as "12/3"
    cannot vote again as "12 m. 3"."""
    edition = await edition_create(app)
    who = person(house_number="12/3")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as other:
        again = dict(who, house_number="12 m. 3", phone=person()["phone"])
        page = await reach_identity(other, edition.slug)
        response = await post_form(other, f"/e/{edition.slug}/vote/identity", again, page)
        assert response.status_code == 303, response.text
        page = (await other.get(f"/e/{edition.slug}/vote/code")).text
        code = await latest_code(app, e164(again["phone"]))
        response = await post_form(other, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert response.status_code == 409
    assert "Każdy mieszkaniec głosuje raz" in response.text
    async with AsyncClient(transport=transport, base_url="http://testserver") as corner:
        page = await reach_identity(corner, edition.slug)
        response = await post_form(
            corner, f"/e/{edition.slug}/vote/identity", person(house_number="12–14"), page
        )
    assert response.status_code == 303, response.text
