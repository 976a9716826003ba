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


async def test_outbox_payloads_never_sent_are_wiped_by_the_purge(app):
    from datetime import timedelta

    from urna.core.db import transaction, utcnow
    from urna.notify import service as notify
    from urna.notify.models import OutboxMessage
    from urna.privacy import service as privacy

    crypto = app.state.ctx.crypto
    async with transaction(app.state.ctx.db) as session:
        old = await notify.message_enqueue(
            session=session,
            crypto=crypto,
            channel="sms",
            recipient="+48601234567",
            text="kod 123456",
            purpose="vote-code",
        )
        old.created_at = utcnow() - timedelta(days=2)
        fresh = await notify.message_enqueue(
            session=session,
            crypto=crypto,
            channel="sms",
            recipient="+48601234568",
            text="kod 654321",
            purpose="vote-code",
        )
    async with transaction(app.state.ctx.db) as session:
        await privacy.retention_purge(session=session, crypto=crypto)
    async with transaction(app.state.ctx.db) as session:
        assert (await session.get(OutboxMessage, old.id)).payload_enc is None
        assert (await session.get(OutboxMessage, fresh.id)).payload_enc is not None
