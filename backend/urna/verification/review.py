"""What a verifier reads: a case (its ballots with the identity masked, their request
trails, a timeline, the signals, the choice sets side by side), one ballot, a ballot found
by its receipt code or by a resident's name and address, and an identity unmasked.

Every read is written to the audit log: cases and ballots carry request logs, and an
unmasked identity is the one place the console shows who a resident is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import keys
from urna.core.audit import audit_append
from urna.core.crypto import Crypto, KeyUnavailable
from urna.core.errors import FormInvalid, NotFound
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions.models import Edition, Project
from urna.fraud import service as fraud
from urna.fraud.schemas import CaseDetail, SignalView
from urna.requestlog.models import RequestLog
from urna.verification import charts, repository
from urna.verification.models import Decision
from urna.verification.schemas import UnmaskForm
from urna.voting import service as voting
from urna.voting.fraud_keys import lookup_key
from urna.voting.models import Ballot, Voter
from urna.voting.service import IDENTITY_CONTEXT

TRAIL_LIMIT = 3000  # request rows read for one case


@dataclass
class BallotCard:
    """A ballot as a verifier sees it before unmasking: initials, age band, area."""

    ballot: Ballot
    initials: str
    guardian: str | None
    area: str
    choices: list[tuple[Project, int]]
    decision: Decision | None
    trail: list[RequestLog] = field(default_factory=list)

    @property
    def points(self) -> dict[int, int]:
        """Project id -> points given (1 for an approval ballot)."""
        return {project.id: points for project, points in self.choices}


@dataclass
class CaseView:
    detail: CaseDetail
    cards: list[BallotCard]
    projects: list[Project]  # every project chosen in the case, by number (the columns)
    timeline: charts.Timeline
    history: list[Decision]


@dataclass
class BallotView:
    card: BallotCard
    signals: list[SignalView]
    case_ids: list[int]
    history: list[Decision]


def _initials(fields: dict[str, str]) -> str:
    parts = [fields.get("first_name", ""), fields.get("last_name", "")]
    return " ".join(f"{part.strip()[0].upper()}." for part in parts if part.strip()) or "—"


async def _identity(
    session: AsyncSession, crypto: Crypto, voter: Voter | None
) -> dict[str, str] | None:
    if voter is None or voter.identity_enc is None:
        return None  # purged after the retention period, or never stored
    try:
        return await keys.blob_open(
            session=session, crypto=crypto, blob=voter.identity_enc, context=IDENTITY_CONTEXT
        )
    except KeyUnavailable:
        return None  # the edition's key is shredded: the identity is gone


async def _voters(session: AsyncSession, ballots: Sequence[Ballot]) -> dict[int, Voter]:
    return await repository.voters_by_ids(session, [b.voter_id for b in ballots if b.voter_id])


async def identities_of(
    *, session: AsyncSession, crypto: Crypto, ballots: Sequence[Ballot]
) -> dict[int, dict[str, str] | None]:
    """Ballot id -> its resident's identity in clear (None once purged). Callers audit."""
    voters = await _voters(session, ballots)
    return {
        b.id: await _identity(session, crypto, voters.get(b.voter_id) if b.voter_id else None)
        for b in ballots
    }


async def cards_build(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, ballots: Sequence[Ballot]
) -> list[BallotCard]:
    ids = [b.id for b in ballots]
    voters = await _voters(session, ballots)
    areas = {a.id: a.name for a in await editions_repository.areas_of(session, edition.id)}
    choices = await repository.choices_of(session, ids)
    decisions = await repository.decisions_active(session, ids)
    cards = []
    for ballot in ballots:
        voter = voters.get(ballot.voter_id) if ballot.voter_id else None
        fields = await _identity(session, crypto, voter)
        cards.append(
            BallotCard(
                ballot=ballot,
                initials=_initials(fields) if fields is not None else "—",
                guardian=voter.guardian_role if voter else None,
                area=areas.get(ballot.area_id, ""),
                choices=choices.get(ballot.id, []),
                decision=decisions.get(ballot.id),
            )
        )
    return cards


def _trails_attach(cards: list[BallotCard], rows: Sequence[RequestLog]) -> None:
    for card in cards:
        ballot = card.ballot
        card.trail = [
            row
            for row in rows
            if (ballot.session_hash and row.session_hash == ballot.session_hash)
            or (ballot.request_id and row.request_id == ballot.request_id)
        ]


async def _read_audited(
    session: AsyncSession, *, actor_id: int, target: str, details: dict
) -> None:
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="verification.read",
        target=target,
        details=details,
    )


async def case_view(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, case_id: int, actor_id: int
) -> CaseView:
    detail = await fraud.case_get(session=session, case_id=case_id)
    if detail.case.edition_id != edition.id:
        raise fraud.CaseNotFound()
    ballots = await repository.ballots_by_ids(session, edition.id, detail.ballot_ids)
    cards = await cards_build(session=session, crypto=crypto, edition=edition, ballots=ballots)
    rows = await repository.trail_rows(session, ballots, limit=TRAIL_LIMIT)
    _trails_attach(cards, rows)
    projects = {p.id: p for card in cards for p, _ in card.choices}
    await _read_audited(
        session,
        actor_id=actor_id,
        target=f"case:{case_id}",
        details={"ballots": len(cards), "requests": len(rows)},
    )
    return CaseView(
        detail=detail,
        cards=cards,
        projects=sorted(projects.values(), key=lambda p: p.number),
        timeline=charts.timeline(cards),
        history=await repository.decisions_of(session, [b.id for b in ballots]),
    )


async def _ballot_of(session: AsyncSession, edition: Edition, ballot_id: int) -> Ballot:
    ballot = await session.get(Ballot, ballot_id)
    if ballot is None or ballot.edition_id != edition.id:
        raise NotFound(N_("There is no such ballot in this edition."))
    return ballot


async def ballot_view(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, ballot_id: int, actor_id: int
) -> BallotView:
    ballot = await _ballot_of(session, edition, ballot_id)
    [card] = await cards_build(session=session, crypto=crypto, edition=edition, ballots=[ballot])
    _trails_attach([card], await repository.trail_rows(session, [ballot], limit=TRAIL_LIMIT))
    await _read_audited(
        session, actor_id=actor_id, target=f"ballot:{ballot_id}", details={"rows": len(card.trail)}
    )
    return BallotView(
        card=card,
        signals=await fraud.signals_for_ballot(session=session, ballot_id=ballot_id),
        case_ids=await repository.cases_of_ballots(session, [ballot_id]),
        history=await repository.decisions_of(session, [ballot_id]),
    )


async def identity_unmask(
    *,
    session: AsyncSession,
    crypto: Crypto,
    edition: Edition,
    ballot_id: int,
    unmask: UnmaskForm,
    actor_id: int,
) -> dict[str, str]:
    """The identity of one ballot's resident, in clear, for a stated reason (audited)."""
    ballot = await _ballot_of(session, edition, ballot_id)
    fields = (await identities_of(session=session, crypto=crypto, ballots=[ballot]))[ballot.id]
    if fields is None:
        raise NotFound(N_("The identity of this ballot is no longer held (retention period)."))
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="verification.unmask",
        target=f"ballot:{ballot_id}",
        reason=unmask.reason,
        details={"edition_id": edition.id, "fields": sorted(fields)},
    )
    return fields


# ---- finding a ballot ---------------------------------------------------------------


async def _found(
    session: AsyncSession, *, actor_id: int, edition: Edition, by: str, ballots: list[Ballot]
) -> list[Ballot]:
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="verification.lookup",
        target=f"edition:{edition.slug}",
        details={"by": by, "ballots": [b.id for b in ballots]},
    )
    return ballots


async def ballots_by_receipt(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, code: str, actor_id: int
) -> list[Ballot]:
    """A resident's complaint names their receipt code (``FormInvalid`` if malformed)."""
    try:
        ballot = await voting.receipt_check(session=session, crypto=crypto, code=code)
    except NotFound:
        ballot = None
    found = [ballot] if ballot is not None and ballot.edition_id == edition.id else []
    return await _found(session, actor_id=actor_id, edition=edition, by="receipt", ballots=found)


PERSON_FIELDS = ("first_name", "last_name", "street", "house_number")


async def ballots_by_person(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, form: dict, actor_id: int
) -> list[Ballot]:
    """Through the keyed blind index of name and address: no identity is decrypted."""
    values = {name: (form.get(name) or "").strip() for name in PERSON_FIELDS}
    errors = {name: N_("This field is required.") for name, value in values.items() if not value}
    if errors:
        raise FormInvalid(errors)
    key = lookup_key(
        crypto=crypto,
        edition_id=edition.id,
        first=values["first_name"],
        last=values["last_name"],
        street=values["street"],
        house=values["house_number"],
    )
    found = await repository.ballots_by_lookup_key(session, edition.id, key)
    return await _found(session, actor_id=actor_id, edition=edition, by="person", ballots=found)
