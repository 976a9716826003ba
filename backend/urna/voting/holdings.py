"""What is held about one ballot's voter, for the privacy domain's data-subject rights:
read it (decrypted with the edition's key) and erase the identity while the anonymous
ballot stays in the tally; and whose ballot an unfinished vote is, for its review page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.core import keys
from urna.core.crypto import Crypto, KeyUnavailable
from urna.voting.ballots import IDENTITY_CONTEXT
from urna.voting.models import Ballot, Voter
from urna.voting.state import VoteState


@dataclass(frozen=True, slots=True)
class Holding:
    ballot: Ballot
    voter: Voter | None
    fields: dict[str, Any]  # the decrypted identity; empty once erased or purged


async def holding_read(*, session: AsyncSession, crypto: Crypto, ballot_id: int) -> Holding:
    ballot = await session.get(Ballot, ballot_id)
    if ballot is None:
        raise LookupError(ballot_id)
    voter = await session.get(Voter, ballot.voter_id) if ballot.voter_id else None
    fields: dict[str, Any] = {}
    if voter is not None and voter.identity_enc is not None:
        try:
            fields = await keys.blob_open(
                session=session, crypto=crypto, blob=voter.identity_enc, context=IDENTITY_CONTEXT
            )
        except KeyUnavailable:
            fields = {}
    return Holding(ballot, voter, fields)


async def holding_erase(*, session: AsyncSession, ballot_id: int, now: datetime) -> bool:
    """Erase the identity behind a ballot (art. 17): the sealed fields, the contact key and
    the ballot's address and browser go, with its request id and session hash (they lead to
    its requests, whose log keeps both); the ballot and its choices stay counted. The
    identity and PESEL keys (keyed HMACs, irreversible) stay until the retention purge:
    without them the same person could vote twice (art. 17(3)(b), the equality of art. 5a)."""
    ballot = await session.get(Ballot, ballot_id)
    if ballot is None or ballot.voter_id is None:
        return False
    voter = await session.get(Voter, ballot.voter_id)
    if voter is None or voter.purged_at is not None:
        return False  # erased already (or purged at the end of retention): nothing to do
    await session.execute(
        update(Voter)
        .where(Voter.id == ballot.voter_id)
        .values(
            identity_enc=None,
            contact_key=None,
            guardian_role=None,
            address_key=None,
            guardian_key=None,
            lookup_key=None,
            birth_order=None,
            purged_at=now,
        )
    )
    await session.execute(
        update(Ballot)
        .where(Ballot.id == ballot_id)
        .values(ip=None, user_agent=None, request_id=None, session_hash=None)
    )
    return True


async def voter_named(
    *, sessions: async_sessionmaker[AsyncSession], crypto: Crypto, state: VoteState
) -> str | None:
    """Whose ballot the vote in ``state`` is, as its review page names it: the first name
    and the initial of the last name the identity step sealed ("Anna K."), never the
    PESEL, the contact or the address; None when the edition asks for no name. The unit
    of work from ``sessions`` queries only if this process has not loaded the key yet."""
    if not state.fields_enc:
        return None
    try:
        async with sessions() as session:
            fields = await keys.text_open(
                session=session, crypto=crypto, token=state.fields_enc, context=IDENTITY_CONTEXT
            )
    except KeyUnavailable:
        return None
    first = (fields.get("first_name") or "").strip()
    last = (fields.get("last_name") or "").strip()
    return " ".join(part for part in (first, f"{last[0].upper()}." if last else "") if part) or None
