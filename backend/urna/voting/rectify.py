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

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import keys
from urna.core.crypto import Crypto
from urna.core.errors import AppError, FormInvalid
from urna.core.i18n import N_
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.voting import ballots, holdings, repository
from urna.voting import service as voting

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
    of the edition, ``ContactSlotsUsed`` (beside the field) if a changed contact has no
    free slot left; then, as on any refusal, nothing is changed."""
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
    changed = sorted(
        name
        for name in set(held.fields) | set(person.fields)
        if held.fields.get(name) != person.fields.get(name)
    )
    if "birth_date" in changed and "pesel" in edition.required_fields and not pesel_typed:
        raise FormInvalid({"pesel": PESEL_AGAIN})  # the date must agree with the PESEL
    key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id)
    draft = ballots.voter_draft(crypto=crypto, edition_id=edition.id, key_id=key_id, person=person)
    pesel_key = draft.keys.pesel_key if pesel_typed else voter.pesel_key
    if await repository.voter_exists(
        session,
        edition.id,
        identity_key=draft.keys.identity_key,
        pesel_key=pesel_key,
        other_than=voter.id,
    ):
        raise SamePersonTwice()
    if pesel_typed and pesel_key != voter.pesel_key:
        changed = sorted([*changed, "pesel"])
    if not changed:
        return []
    fraud = dict(draft.keys.fraud)
    if person.born is None:  # unknown without the PESEL: as the vote shifted it
        fraud["birth_order"] = voter.birth_order
    corrected = {
        "identity_enc": draft.identity_enc,
        "identity_key": draft.keys.identity_key,
        "pesel_key": pesel_key,
        "contact_key": draft.keys.contact_key,
        "guardian_role": person.guardian_role,
        **fraud,
    }

    async def rewrite(slot: int) -> None:
        await repository.voter_rewrite(session, voter.id, {**corrected, "contact_slot": slot})

    contact_kept = draft.keys.contact_key == voter.contact_key
    slots = [voter.contact_slot] if contact_kept else range(edition.max_ballots_per_contact)
    placed = await ballots.slot_first_free(slots, rewrite)
    if placed.conflict == "contact":
        field = "phone" if person.phone else "email"
        raise voting.ContactSlotsUsed(field, edition.max_ballots_per_contact)
    if not placed.placed:  # a concurrent vote or correction took the key meanwhile
        raise SamePersonTwice()
    return changed
