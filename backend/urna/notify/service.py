"""The outbox: messages are written in the same transaction as what caused them, and
sent after commit by a delivery loop; payloads are wiped once sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.core.crypto import Crypto
from urna.core.db import is_postgres, utcnow
from urna.notify.models import OutboxMessage
from urna.notify.providers import Provider

log = logging.getLogger("urna.notify")
MAX_ATTEMPTS = 5
_CONTEXT = "outbox"


async def message_enqueue(
    *, session: AsyncSession, crypto: Crypto, channel: str, recipient: str, text: str, purpose: str
) -> OutboxMessage:
    message = OutboxMessage(
        channel=channel,
        purpose=purpose,
        payload_enc=crypto.encrypt({"to": recipient, "text": text}, context=_CONTEXT),
    )
    session.add(message)
    await session.flush()
    return message


def message_payload(*, crypto: Crypto, message: OutboxMessage) -> dict[str, str]:
    return crypto.decrypt(message.payload_enc, context=_CONTEXT)


async def messages_pending(session: AsyncSession, *, limit: int = 50) -> Sequence[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        # Several app processes deliver; each message is taken by one of them.
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalars().all()


async def outbox_deliver(
    *, db: async_sessionmaker[AsyncSession], crypto: Crypto, provider: Provider
) -> int:
    """Send what is pending; returns how many were sent."""
    sent = 0
    async with db() as session, session.begin():
        for message in await messages_pending(session):
            payload = message_payload(crypto=crypto, message=message)
            try:
                await provider.send(
                    channel=message.channel, recipient=payload["to"], text=payload["text"]
                )
            except Exception as error:  # noqa: BLE001 - a gateway error must not stop the loop
                log.warning("outbox message %s failed: %s", message.id, type(error).__name__)
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=type(error).__name__)
                )
                continue
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(sent_at=utcnow(), payload_enc=None, attempts=OutboxMessage.attempts + 1)
            )
            sent += 1
    return sent
