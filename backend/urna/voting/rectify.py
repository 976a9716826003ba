"""The correction of a ballot's identity (art. 16 GDPR), for the privacy domain's
rectification requests: the corrected values pass the vote's identity form, are sealed
under the edition's key as the vote seals them, and give the voter new keys, computed as
the vote computes them, so one ballot per person holds for the corrected person.

The ballot itself stays as cast: its choices, and the anonymous facts published with the
results (area, age band). A correction is possible until the identity is erased or
purged at the end of retention, after the results too; one that would move the ballot
to another area (whose district projects it did not choose from) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import keys
from urna.core.crypto import Crypto
from urna.core.errors import AppError, FormInvalid
from urna.core.i18n import N_
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.voting import ballots, holdings
from urna.voting import service as voting
from urna.voting.models import Voter

# The fields of the identity form in its order; "address" stands for street and house.
_FORM_ORDER = ("first_name", "last_name", "street", "house_number", "pesel", "birth_date")
_FORM_ORDER += ("phone", "email")
PESEL_AGAIN = N_(
    "Type the PESEL number again: the corrected date of birth must agree with it, and it "
    "is held only as a keyed hash."
)


class IdentityGone(AppError):
    status_code = 409
    message = N_(
        "The identity of this ballot is no longer held (erased, or deleted at the end of "
        "retention): there is nothing to correct."
    )


class SamePersonTwice(AppError):
    status_code = 409
    message = N_(
        "The corrected data are those of a person who already has another ballot in this "
        "edition: the correction would give one person two ballots. Nothing was changed; "
        "the verification team must look at it."
    )


class AreaChanged(AppError):
    status_code = 409
    message = N_(
        "The corrected street is in another area than the one the ballot was cast in, whose "
        "district projects it chose from. Nothing was changed; the verification team must "
        "look at it."
    )


@dataclass(frozen=True, slots=True)
class Correction:
    """The form the office corrects: the fields the edition holds and their values."""

    fields: tuple[str, ...]
    values: dict[str, str]


def _asked(required: frozenset[str] | list[str], field: str) -> bool:
    return ("address" if field in ("street", "house_number") else field) in required


async def correction_open(*, session: AsyncSession, crypto: Crypto, ballot_id: int) -> Correction:
    """The identity the edition asked for, decrypted, as the correction form shows it. The
    PESEL number is held only as a keyed hash: its field is empty (empty keeps it)."""
    held = await holdings.holding_read(session=session, crypto=crypto, ballot_id=ballot_id)
    if held.voter is None or held.voter.identity_enc is None or not held.fields:
        raise IdentityGone()
    edition = await session.get(Edition, held.ballot.edition_id)
    fields = tuple(f for f in _FORM_ORDER if _asked(edition.required_fields, f))
    if held.fields.get("guardian_name") or held.voter.guardian_role:
        fields += ("guardian_name",)
    return Correction(fields, {f: str(held.fields.get(f, "")) for f in fields if f != "pesel"})


async def identity_correct(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    ballot_id: int,
    form: Mapping[str, str],
) -> list[str]:
    """Replace the identity behind ``ballot_id`` with the corrected ``form`` (checked as
    the vote checks it, ages counted on the day of the cast; ``FormInvalid`` with a
    message per field). Returns the names of the fields that changed (never their values).
    ``SamePersonTwice`` if the corrected person's identity or PESEL key is another voter's
    of the edition; then, as on any refusal, nothing is changed."""
    held = await holdings.holding_read(session=session, crypto=crypto, ballot_id=ballot_id)
    voter, ballot = held.voter, held.ballot
    if voter is None or voter.purged_at is not None or voter.identity_enc is None:
        raise IdentityGone()
    edition = snapshot.edition
    values = {name: str(value) for name, value in form.items()}
    required = set(edition.required_fields)
    pesel_typed = bool(values.get("pesel", "").strip())
    if not pesel_typed:
        required.discard("pesel")  # held only as a key: kept as it is
    values["guardian_declaration"] = voter.guardian_role or ""  # declared at the vote
    person = voting.identity_check(
        snapshot=snapshot,
        form=values,
        required=sorted(required),
        today=ballot.submitted_at.date(),
        held_role=voter.guardian_role,  # the age unknown: the PESEL not typed again
    )
    if person.area_id != ballot.area_id:
        raise AreaChanged()
    key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id)
    draft = ballots.voter_draft(crypto=crypto, edition_id=edition.id, key_id=key_id, person=person)
    pesel_key = draft.keys.pesel_key if pesel_typed else voter.pesel_key
    if await _taken(session, voter, draft.keys.identity_key, pesel_key):
        raise SamePersonTwice()
    changed = sorted(
        name
        for name in set(held.fields) | set(person.fields)
        if held.fields.get(name) != person.fields.get(name)
    )
    if "birth_date" in changed and "pesel" in edition.required_fields and not pesel_typed:
        raise FormInvalid({"pesel": PESEL_AGAIN})  # the date must agree with the PESEL
    if pesel_typed and pesel_key != voter.pesel_key:
        changed = sorted([*changed, "pesel"])
    if not changed:
        return []
    slot = await _contact_slot(session, voter, draft.keys.contact_key, edition, person.phone)
    fraud = dict(draft.keys.fraud)
    if person.born is None:  # unknown without the PESEL: as the vote shifted it
        fraud["birth_order"] = voter.birth_order
    try:
        async with session.begin_nested():  # a clash leaves the unit of work as it was
            await session.execute(
                update(Voter)
                .where(Voter.id == voter.id)
                .values(
                    identity_enc=draft.identity_enc,
                    identity_key=draft.keys.identity_key,
                    pesel_key=pesel_key,
                    contact_key=draft.keys.contact_key,
                    contact_slot=slot,
                    guardian_role=person.guardian_role,
                    **fraud,
                )
            )
    except IntegrityError:  # a concurrent vote or correction took the key meanwhile
        raise SamePersonTwice() from None
    return changed


async def _taken(
    session: AsyncSession, voter: Voter, identity_key: str, pesel_key: str | None
) -> bool:
    clash = [Voter.identity_key == identity_key]
    if pesel_key:
        clash.append(Voter.pesel_key == pesel_key)
    found = await session.execute(
        select(Voter.id)
        .where(Voter.edition_id == voter.edition_id, Voter.id != voter.id, or_(*clash))
        .limit(1)
    )
    return found.first() is not None


async def _contact_slot(
    session: AsyncSession,
    voter: Voter,
    contact_key: str | None,
    edition: Edition,
    phone: str | None,
) -> int:
    """The voter's slot for the corrected contact: its own if the contact is the same, else
    the first free one; ``ContactSlotsUsed`` (beside the field) when none is."""
    if contact_key is None or contact_key == voter.contact_key:
        return voter.contact_slot if contact_key else 0
    used = set(
        (
            await session.execute(
                select(Voter.contact_slot).where(
                    Voter.edition_id == voter.edition_id,
                    Voter.contact_key == contact_key,
                    Voter.id != voter.id,
                )
            )
        ).scalars()
    )
    for slot in range(edition.max_ballots_per_contact):
        if slot not in used:
            return slot
    raise voting.ContactSlotsUsed("phone" if phone else "email", edition.max_ballots_per_contact)
