"""The voter's signal keys: written at the cast online and on paper, the same way for the
same person; keyed hashes only; the blind index finds a resident; purged with the
identity."""

from datetime import date

from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.staff import staff_client
from tests.factories.voting import person, vote
from tests.voting.test_paper_console import ballot, paper_edition
from urna.core.db import utcnow
from urna.voting import fraud_keys
from urna.voting import repository as voting_repository
from urna.voting.models import Ballot, Voter


async def voters(app, edition_id):
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(Voter, Ballot.channel)
            .join(Ballot, Ballot.voter_id == Voter.id)
            .where(Voter.edition_id == edition_id)
            .order_by(Voter.id)
        )
        return result.all()


async def test_online_and_paper_write_the_same_keys_and_the_purge_drops_them(app, client):
    edition = await paper_edition(app)  # the office has listed its collection points
    online = person(street="ul. Lipowa", house_number="12/3", birth_date="1980-04-02")
    assert (await vote(client, app, edition.slug, online, ["C1"])).status_code == 303
    neighbour = person(street="ul. lipowa ", house_number="12 / 3", birth_date="1980-04-03")
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        response = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(neighbour, ["C2"], page, sheet="k-1")
        )
        assert response.status_code == 303, response.text
    (web, web_channel), (sheet, sheet_channel) = await voters(app, edition.id)
    assert (web_channel, sheet_channel) == ("online", "paper")
    # one household, written the same way on both channels, as keyed hashes
    assert web.address_key == sheet.address_key and len(web.address_key) == 64
    assert online["last_name"].encode() not in web.address_key.encode()
    # the birth dates are one day apart; the offset hides the dates, not the difference
    assert sheet.birth_order - web.birth_order == 1
    days = (date(1980, 4, 2) - fraud_keys.DAY_ZERO).days
    assert web.birth_order != days
    assert web.guardian_key is None and web.lookup_key and web.lookup_key != sheet.lookup_key
    # the blind index: name and address as a verifier types them find the resident
    assert web.lookup_key == fraud_keys.lookup_key(
        crypto=app.state.ctx.crypto,
        edition_id=edition.id,
        first=online["first_name"].upper(),
        last=" " + online["last_name"],
        street="UL. LIPOWA",
        house="12",
    )

    async with app.state.ctx.db() as session:  # the retention purge, for this edition only
        assert await voting_repository.voters_identity_purge(session, edition.id, utcnow()) == 2
        await session.commit()
    for voter, _channel in await voters(app, edition.id):
        assert voter.purged_at is not None
        assert (voter.address_key, voter.guardian_key, voter.lookup_key, voter.birth_order) == (
            None,
            None,
            None,
            None,
        )


async def test_a_guardian_key_for_a_child_voted_on_behalf(app, client):
    edition = await edition_create(app)
    child = person(
        birth_date="2020-06-01",
        guardian_name="Anna Nowak",
        guardian_declaration="on_behalf",
    )
    assert (await vote(client, app, edition.slug, child, ["C3"])).status_code == 303
    [(voter, _channel)] = await voters(app, edition.id)
    assert voter.guardian_key and len(voter.guardian_key) == 64
