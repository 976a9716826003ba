"""What every ballot shares, online or on paper: the voter's keyed HMACs and sealed
identity, and the one write that finds a free contact slot or names the key that clashed
(a ballot's insert, or a correction's update of its voter).

A resident who voted online cannot also vote on paper, nor the other way round: both
channels compute the same keys here and write through the same UNIQUE constraints.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.crypto import Crypto
from urna.core.db import violated_constraint
from urna.editions.models import Edition
from urna.requestlog import redact
from urna.voting import repository
from urna.voting.fraud_keys import fraud_keys
from urna.voting.identity import age_band, identity_key_material
from urna.voting.schemas import IdentityForm

IDENTITY_CONTEXT = "voter-identity"


# ---- the voter ----------------------------------------------------------------------


@dataclass(frozen=True)
class VoterKeys:
    identity_key: str
    contact_key: str | None
    pesel_key: str | None
    fraud: dict = field(default_factory=dict)  # voting.fraud_keys: signals, not uniqueness


@dataclass(frozen=True)
class VoterDraft:
    """Who casts a ballot: the keys that make them unique, their identity sealed, and the
    anonymous facts the ballot keeps."""

    keys: VoterKeys
    identity_enc: bytes | None
    area_id: int | None
    age_band: str
    guardian_role: str | None
    key_id: int  # the edition key that sealed the identity

    @property
    def identity_text(self) -> str:
        """The sealed identity as text, for the server-side session."""
        return base64.urlsafe_b64encode(self.identity_enc or b"").decode()


def voter_draft(
    *, crypto: Crypto, edition_id: int, key_id: int, person: IdentityForm
) -> VoterDraft:
    """The keyed HMACs whose UNIQUE constraints allow one ballot per resident per edition,
    whatever the channel, and the identity sealed with AES-GCM under the edition's key
    (``key_id``, from ``core.keys.edition_key``)."""
    scope = f"edition:{edition_id}"
    return VoterDraft(
        keys=VoterKeys(
            identity_key=crypto.keyed_hash(scope=scope, value=identity_key_material(person.fields)),
            contact_key=(
                crypto.keyed_hash(scope=scope, value="contact:" + person.contact)
                if person.contact
                else None
            ),
            pesel_key=(
                crypto.keyed_hash(scope=scope, value="pesel:" + person.pesel)
                if person.pesel
                else None
            ),
            fraud=fraud_keys(crypto=crypto, edition_id=edition_id, person=person),
        ),
        identity_enc=crypto.encrypt(person.fields, context=IDENTITY_CONTEXT, key_id=key_id),
        area_id=person.area_id,
        age_band=age_band(person.age) if person.age is not None else "",
        guardian_role=person.guardian_role,
        key_id=key_id,
    )


# ---- the insert ---------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMeta:
    request_id: str | None
    ip: str | None = None
    user_agent: str | None = None
    session_hash: str | None = None


@dataclass(frozen=True)
class Placed:
    """Where a ballot went: ``placed`` with its id, or the key that clashed (identity,
    pesel or contact). An online cast written in a batch of concurrent casts is placed
    without its id read back (``core.dbbatch``); nothing on the resident's path needs it,
    and a correction's update (``slot_first_free``) has none to give."""

    ballot_id: int | None
    conflict: str = ""
    placed: bool = False


async def ballot_place(
    *,
    session: AsyncSession,
    edition: Edition,
    voter: VoterDraft,
    clause_id: int,
    channel: str,
    receipt_hash: str,
    submitted_at: datetime,
    meta: RequestMeta,
    choices: tuple[tuple[int, int], ...],
    autocommit: bool,
) -> Placed:
    """Insert voter, ballot and choices in the first free contact slot.

    Each attempt is a SAVEPOINT of the caller's unit of work, so a clash leaves the rest
    of it as it was; ``autocommit`` (the online cast) sends the attempt on PostgreSQL
    straight to the driver, one round trip, durable when it returns unless the unit had
    begun a transaction (then at the caller's commit; see ``repository.ballot_insert``).
    """
    row = repository.BallotRow(
        edition_id=edition.id,
        identity_key=voter.keys.identity_key,
        contact_key=voter.keys.contact_key,
        contact_slot=0,
        pesel_key=voter.keys.pesel_key,
        identity_enc=voter.identity_enc,
        area_id=voter.area_id,
        age_band=voter.age_band,
        guardian_role=voter.guardian_role,
        clause_id=clause_id,
        channel=channel,
        receipt_hash=receipt_hash,
        submitted_at=submitted_at,
        request_id=meta.request_id,
        ip=meta.ip,
        user_agent=redact.scrub_text(meta.user_agent) or None,
        session_hash=meta.session_hash,
        choices=choices,
        **voter.keys.fraud,
    )

    async def insert(slot: int) -> int | None:
        attempt = replace(row, contact_slot=slot) if slot else row
        return await repository.ballot_insert(session, attempt, autocommit=autocommit)

    slots = edition.max_ballots_per_contact if voter.keys.contact_key else 1
    return await slot_first_free(range(slots), insert)


async def slot_first_free(
    slots: Iterable[int], write: Callable[[int], Awaitable[int | None]]
) -> Placed:
    """Write a voter in the first contact slot the UNIQUE (edition, contact, slot) key lets
    through: ``write(slot)`` for each slot in turn (each attempt must leave the unit of
    work as it was on an IntegrityError: a SAVEPOINT). A clash on the contact tries the
    next slot; one on the identity or PESEL key ends there, named. The vote's insert and
    the correction's update (``voting.rectify``) both go through here: never a slot read
    first and taken after, which two concurrent writers could both read as free."""
    for slot in slots:
        try:
            written = await write(slot)
        except IntegrityError as error:
            constraint = violated_constraint(error)
            if "contact_key" not in constraint:
                return Placed(None, "pesel" if "pesel" in constraint else "identity")
        else:
            return Placed(written, placed=True)
    return Placed(None, "contact")
