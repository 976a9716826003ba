import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import person, receipt_of, vote

pytestmark = pytest.mark.flow


async def test_resident_votes_and_gets_a_receipt(app, client):
    edition = await edition_create(app)
    response = await vote(client, app, edition.slug, person(), ["C1", "N1"])
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/e/{edition.slug}/vote/receipt?receipt=")
    receipt = await receipt_of(client, edition.slug)
    assert len(receipt) == 14
