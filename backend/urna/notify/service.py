"""The outbox: messages are written in the same transaction as what caused them, and
sent after commit by the worker's delivery job (``urna worker``); payloads are wiped once
sent.

Delivery claims a batch in a short transaction, sends outside any transaction (a slow
gateway holds no lock and no connection), then marks each message in a transaction of its
own. A worker that dies between claim and mark leaves a claim that goes stale and is
taken again: a message may, rarely, be sent twice, but is never lost."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.core.crypto import Crypto
from urna.core.db import transaction, utcnow
from urna.notify import repository
from urna.notify.models import OutboxMessage
from urna.notify.providers import Provider

log = logging.getLogger("urna.notify")
_CONTEXT = "outbox"
SENDING_AT_ONCE = 10  # messages in flight to the gateway; each marks in its own transaction


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


async def outbox_deliver(
    *,
    db: async_sessionmaker[AsyncSession],
    crypto: Crypto,
    provider: Provider,
    claim_timeout: timedelta,
    batch: int = 50,
) -> tuple[int, int]:
    """Send one claimed batch, ``SENDING_AT_ONCE`` messages at a time; returns (sent,
    failed). A failed message is released for the next round (up to
    ``repository.MAX_ATTEMPTS`` attempts)."""
    claimed_at = utcnow()
    async with transaction(db) as session:
        messages = await repository.messages_claim(
            session, now=claimed_at, stale_before=claimed_at - claim_timeout, limit=batch
        )
    sending = asyncio.Semaphore(SENDING_AT_ONCE)

    async def deliver(message: OutboxMessage) -> bool:
        async with sending:
            try:
                payload = message_payload(crypto=crypto, message=message)
                await provider.send(
                    channel=message.channel, recipient=payload["to"], text=payload["text"]
                )
            except Exception as error:  # noqa: BLE001 - one failure must not stop the batch
                log.warning("outbox message %s failed: %s", message.id, type(error).__name__)
                async with transaction(db) as session:
                    await repository.message_mark_failed(
                        session,
                        message_id=message.id,
                        claimed_at=claimed_at,
                        error=type(error).__name__,
                    )
                return False
            async with transaction(db) as session:
                await repository.message_mark_sent(session, message_id=message.id, now=utcnow())
            return True

    delivered = await asyncio.gather(*(deliver(message) for message in messages))
    return sum(delivered), len(delivered) - sum(delivered)


PAYLOAD_KEEP = timedelta(days=1)  # a code is valid for minutes; a day covers any retry


async def payloads_expire(*, session: AsyncSession, now: datetime) -> int:
    return await repository.payloads_expire(session, before=now - PAYLOAD_KEEP)
