"""Per-edition data keys: random, stored only wrapped by the master key, deleted at the
edition's retention date (crypto-shredding: a blob copied before the purge, into a backup
or anywhere else, cannot be opened once its key is gone and the master key that wrapped
the backup's copy of it is rotated away with ``urna keys rotate``)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from urna.core.crypto import MASTER_DATA_KEY_ID, Crypto, KeyUnavailable
from urna.core.db import UTCDateTime, utcnow


class EditionKey(SQLModel, table=True):
    __tablename__ = "edition_key"

    id: int | None = Field(default=None, primary_key=True)  # the key id in every blob
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    master_id: str = Field(max_length=16)
    wrapped: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    shredded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def _load(crypto: Crypto, row: EditionKey) -> None:
    if row.wrapped is None:
        raise KeyUnavailable(row.id or 0)
    crypto.key_load(row.id, crypto.key_unwrap(row.wrapped, key_id=row.id, master_id=row.master_id))


async def edition_key(*, session: AsyncSession, crypto: Crypto, edition_id: int) -> int:
    """The id of the edition's live key (made on first use), loaded for sealing."""
    cached = crypto.edition_key_ids.get(edition_id)
    if cached is not None and crypto.has_key(cached):
        return cached
    row = (
        await session.execute(
            select(EditionKey)
            .where(EditionKey.edition_id == edition_id, EditionKey.wrapped.is_not(None))
            .order_by(EditionKey.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        row = EditionKey(edition_id=edition_id, master_id=crypto.master.id)
        session.add(row)
        await session.flush()
        key = os.urandom(32)
        row.wrapped = crypto.key_wrap(key, key_id=row.id)
        await session.flush()
        crypto.key_load(row.id, key)
    else:
        _load(crypto, row)
    crypto.edition_key_ids[edition_id] = row.id
    return row.id


async def blob_open(
    *, session: AsyncSession, crypto: Crypto, blob: bytes, context: str
) -> dict[str, Any]:
    """Decrypt a blob, loading its edition key first if this process has not yet.
    ``KeyUnavailable`` once the key is shredded."""
    key_id = crypto.blob_key_id(blob)
    if key_id not in (None, MASTER_DATA_KEY_ID) and not crypto.has_key(key_id):
        row = await session.get(EditionKey, key_id)
        if row is not None:
            _load(crypto, row)
    return crypto.decrypt(blob, context=context)


async def text_open(
    *, session: AsyncSession, crypto: Crypto, token: str, context: str
) -> dict[str, Any]:
    return await blob_open(
        session=session, crypto=crypto, blob=base64.urlsafe_b64decode(token), context=context
    )


async def edition_keys_shred(
    *, session: AsyncSession, crypto: Crypto, edition_id: int, now: datetime
) -> int:
    """Delete the edition's keys (idempotent); returns how many were shredded now."""
    rows = (
        (
            await session.execute(
                select(EditionKey.id).where(
                    EditionKey.edition_id == edition_id, EditionKey.wrapped.is_not(None)
                )
            )
        )
        .scalars()
        .all()
    )
    if rows:
        await session.execute(
            update(EditionKey).where(EditionKey.id.in_(rows)).values(wrapped=None, shredded_at=now)
        )
    for key_id in rows:
        crypto.key_forget(key_id)
    crypto.edition_key_ids.pop(edition_id, None)
    return len(rows)


@dataclass(frozen=True)
class Rotation:
    moved: int  # re-wrapped under the current master
    stranded: int  # live keys under a master this process does not know: it is still needed


async def keys_rotate(*, session: AsyncSession, crypto: Crypto) -> Rotation:
    """Re-wrap every live edition key wrapped under the previous master key
    (``URNA_DATA_KEY_PREVIOUS``, which may be destroyed afterwards) under the current one.
    A key under a master this process does not know is left as it is (it cannot be
    unwrapped here) and counted as ``stranded``: that master must not be destroyed."""
    previous = [master_id for master_id in crypto.masters if master_id != crypto.master.id]
    rows = (
        (
            await session.execute(
                select(EditionKey).where(
                    EditionKey.wrapped.is_not(None), EditionKey.master_id.in_(previous)
                )
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        key = crypto.key_unwrap(row.wrapped, key_id=row.id, master_id=row.master_id)
        row.wrapped = crypto.key_wrap(key, key_id=row.id)
        row.master_id = crypto.master.id
    await session.flush()
    stranded = await session.scalar(
        select(func.count())
        .select_from(EditionKey)
        .where(EditionKey.wrapped.is_not(None), EditionKey.master_id.not_in(list(crypto.masters)))
    )
    return Rotation(moved=len(rows), stranded=stranded or 0)
