"""Details that must not leak: the browser string a ballot keeps is redacted as the
request log's is; production refuses a notifier that only queues."""

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


def test_production_refuses_the_outbox_notifier():
    with pytest.raises(ValidationError, match="never show them"):
        make_settings(
            "postgresql+asyncpg://db/urna", environment="production", notify_provider="outbox"
        )


async def test_the_ballot_keeps_the_user_agent_redacted(app, client, db):
    edition = await edition_create(app)
    agent = "Mozilla/5.0 (jan.kowalski@example.pl; 601-234-567; 44051401359)"
    response = await vote(
        client, app, edition.slug, person(), ["C1"], headers={"user-agent": agent}
    )
    assert response.status_code == 303
    stored = (
        await db.execute(select(Ballot.user_agent).where(Ballot.edition_id == edition.id))
    ).scalar_one()
    assert stored == "Mozilla/5.0 ([redacted]; [redacted]; [redacted])"
