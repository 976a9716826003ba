"""A paper ballot as an operator types it: the sheet's header, the identity and the marked
projects, read with the online rules (``schemas``, ``choices``); and the comparison of two
typings of one sheet."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import keys
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.core.forms import form_error
from urna.core.i18n import LOCAL_ZONE, N_
from urna.editions.service import EditionSnapshot
from urna.voting import ballots, choices
from urna.voting import service as voting
from urna.voting.identity import clean, parse_date
from urna.voting.models import PaperEntry
from urna.voting.schemas import (
    REQUIRED,
    FormModel,
    IdentityForm,
    choices_parse,
    form_parse,
    text,
)
from urna.voting.state import VoteState

PAPER_CONTEXT = "paper-entry"
CONTACT_FIELDS = ("phone", "email")
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "house_number",
    "birth_date",
    "pesel",
    "phone",
    "email",
    "guardian_name",
    "guardian_role",
    "choices",
)


def local_date(moment) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


# ---- the forms ----------------------------------------------------------------------


def sheet_number(typed: str) -> str:
    """One spelling of a sheet number, however it was typed: full-width letters and digits
    as ASCII (NFKC), every dash (hyphen, non-breaking hyphen, en or em dash, minus sign:
    what autocorrect or a number copied from a document brings) as '-', in capitals. The
    migration ``0016_paper_sheet_numbers`` spelt the numbers stored before it so."""
    folded = unicodedata.normalize("NFKC", typed)
    dashes = (ch if unicodedata.category(ch) != "Pd" and ch != "\u2212" else "-" for ch in folded)
    return "".join(dashes).upper()


UNKNOWN_POINT = N_("Choose the collection point from the office's list.")
NO_POINTS = N_("The office's list of collection points is empty: add the points first.")


@dataclass(frozen=True)
class PaperWindow:
    """The days a paper ballot may have been collected on (local dates) and the office's
    collection points it may come from."""

    first_day: date
    last_day: date
    points: frozenset[str] = frozenset()

    @classmethod
    def of(cls, snapshot: EditionSnapshot, points: Sequence[str] = ()) -> PaperWindow:
        edition = snapshot.edition
        return cls(
            first_day=local_date(edition.voting_opens_at),
            last_day=min(local_date(edition.voting_closes_at), local_date(utcnow())),
            points=frozenset(points),
        )


class PaperHeaderForm(FormModel):
    """The sheet a paper ballot is typed from (validation context: ``PaperWindow``)."""

    sheet: str
    collection_point: str
    collected_on: date
    double_entry: bool = False

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet(cls, value: Any) -> str:
        return sheet_number(text(value, limit=40, missing=REQUIRED))

    @field_validator("collection_point", mode="before")
    @classmethod
    def _point(cls, value: Any, info: ValidationInfo) -> str:
        point = text(value, limit=120, missing=REQUIRED)
        window: PaperWindow = info.context
        if point not in window.points:
            raise form_error(UNKNOWN_POINT if window.points else NO_POINTS)
        return point

    @field_validator("collected_on", mode="before")
    @classmethod
    def _day(cls, value: Any, info: ValidationInfo) -> date:
        day = parse_date(text(value, limit=40))
        window: PaperWindow = info.context
        if day is None:
            raise form_error(N_("Give the date as DD.MM.YYYY."))
        if day > local_date(utcnow()):  # a slip of the pen, not a ballot from outside voting
            raise form_error(
                N_("This day has not come yet: give the day the ballot was collected.")
            )
        if not window.first_day <= day <= window.last_day:
            raise form_error(N_("The ballot must have been collected while voting was open."))
        return day

    @field_validator("double_entry", mode="before")
    @classmethod
    def _double(cls, value: Any) -> bool:
        return value == "1"


class PaperResolveForm(FormModel):
    """The note an operator leaves in the audit log when settling a mismatch."""

    reason: str = ""

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        return text(value, limit=500)


# ---- the ballot ---------------------------------------------------------------------


@dataclass
class PaperBallot:
    """A validated paper ballot, ready to be cast; ``values`` are what was typed, as two
    typings of a sheet are compared."""

    person: IdentityForm
    voter: ballots.VoterDraft
    choices: tuple[tuple[int, int], ...]
    values: dict[str, Any]

    def sealed(self, crypto: Crypto) -> bytes:
        return crypto.encrypt(
            {"values": self.values}, context=PAPER_CONTEXT, key_id=self.voter.key_id
        )


async def paper_validate(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    form: Mapping[str, str],
    picked: Sequence[str],
    collected_on: date | None,
    errors: Mapping[str, str] | None = None,
) -> PaperBallot:
    """The online rules, for a ballot typed from paper: the edition's identity fields
    (the contact is optional on paper: there is no code to send), then the choices.
    ``errors`` found in the rest of the form are reported with these."""
    edition = snapshot.edition
    errors = dict(errors or {})
    required = [f for f in edition.required_fields if f not in CONTACT_FIELDS]
    required += [f for f in CONTACT_FIELDS if f in edition.required_fields and clean(form.get(f))]
    person = None
    try:  # the messages worded for the operator ("the street written on the ballot")
        person = voting.identity_check(
            snapshot=snapshot,
            form=form,
            required=required,
            today=collected_on or local_date(utcnow()),
            audience="operator",
        )
    except FormInvalid as error:
        errors.update(error.errors)
    state = VoteState(
        edition=edition.slug,
        clause_id=0,
        channel="paper",
        area_id=person.area_id if person else None,
        confirmed=True,
    )
    # The address not known yet: check the counts in every pool, not the district.
    options = (
        choices.ballot_options_all(snapshot=snapshot)
        if person is None
        else choices.ballot_options(snapshot=snapshot, state=state)
    )
    try:
        errors.update(
            choices.choices_apply(
                options=options,
                state=state,
                picked=choices_parse(picked),
                strict=True,
                audience="operator",
            )
        )
    except FormInvalid as error:
        errors.update(error.errors)
    except choices.NotEligible:
        errors["choices"] = N_(
            "The ballot marks projects of a district pool that the resident's address does "
            "not belong to."
        )
    if errors or person is None:
        raise FormInvalid(errors)
    chosen = [pid for ids in state.choices.values() for pid in ids]
    number_of = {p.id: p.number for p in snapshot.projects}
    values: dict[str, Any] = {
        name: person.fields.get(name, "") for name in COMPARED_FIELDS if name != "choices"
    }
    values.update(
        pesel=person.pesel or "",
        phone=person.phone or "",
        email=person.email or "",
        guardian_role=person.guardian_role or "",
        choices=sorted(number_of[pid] for pid in chosen),
    )
    return PaperBallot(
        person=person,
        voter=ballots.voter_draft(
            crypto=crypto,
            edition_id=edition.id,
            key_id=await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id),
            person=person,
        ),
        choices=choices.choices_pooled(options, chosen),
        values=values,
    )


def paper_form_read(
    *,
    snapshot: EditionSnapshot,
    form: Mapping[str, str],
    model: type[FormModel],
    points: Sequence[str] = (),
) -> tuple[Any, dict[str, str]]:
    """The header (or note) of a typing, or None and its messages, to report with the
    ballot's; a header names one of the office's collection ``points``."""
    try:
        return form_parse(model, form, context=PaperWindow.of(snapshot, points)), {}
    except FormInvalid as error:
        return None, error.errors


# ---- two typings of a sheet ---------------------------------------------------------


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(item).casefold() for item in value)
    return " ".join(str(value or "").split()).casefold()


def entries_differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    return [
        name
        for name in COMPARED_FIELDS
        if _comparable(first.get(name)) != _comparable(second.get(name))
    ]


async def entry_values(
    *, session: AsyncSession, crypto: Crypto, entry: PaperEntry
) -> dict[str, Any]:
    if entry.data_enc is None:
        return {}
    values = await keys.blob_open(
        session=session, crypto=crypto, blob=entry.data_enc, context=PAPER_CONTEXT
    )
    return values["values"]
