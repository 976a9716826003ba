"""Ballots for the fraud tests: written straight to the database for scale, with the
request log a browser (or a script) would leave, or cast over HTTP and then moved to
the scenario's time line."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select, update

from tests.factories.voting import vote
from urna.core import keys
from urna.core.db import utcnow
from urna.documents import service as documents
from urna.editions.models import Edition, Project
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import street_index_of
from urna.requestlog.models import RequestLog
from urna.voting import ballots, repository
from urna.voting import identity as rules
from urna.voting.models import Ballot
from urna.voting.schemas import IdentityForm, IdentityRules, form_parse

STREETS = ["ul. Lipowa", "ul. Łąkowa", "ul. Słoneczna"]
# Where a browser goes before voting (pages and what they load); a script goes nowhere.
BROWSING = ["/", "/static/css/urna.css", "/e/{slug}"]
# The voting steps: the clause page, then a POST for each step (the last one casts).
STEPS = [
    "/e/{slug}/vote",
    "/e/{slug}/vote/identity",
    "/e/{slug}/vote/code",
    "/e/{slug}/vote/choices",
    "/e/{slug}/vote/cast",
]


@dataclass
class Resident:
    """One ballot of the scenario: who (only through keyed hashes once written), from
    where, when, how fast, and what they chose."""

    group: str  # "honest:family", "attack:wroclaw", ...
    first_name: str
    last_name: str
    street: str
    house: str
    born: date
    phone: str
    at: datetime  # the cast
    choices: list[str]
    ip: str | None = None
    user_agent: str | None = None
    gaps: list[float] = field(default_factory=lambda: [40, 90, 25, 60, 15])  # s between steps
    browsing: bool = True
    guardian: str | None = None

    @property
    def attack(self) -> bool:
        return self.group.startswith("attack")

    def form(self) -> dict[str, str]:
        form = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "street": self.street,
            "house_number": self.house,
            "birth_date": self.born.isoformat(),
            "phone": self.phone,
        }
        if self.guardian:
            age = rules.age_on(self.born, self.at.date())
            form["guardian_name"] = self.guardian
            form["guardian_declaration"] = "on_behalf" if age < 13 else "consent"
        return form


def _identity(resident: Resident) -> IdentityForm:
    rules_of_edition = IdentityRules(
        required=frozenset(["first_name", "last_name", "address", "birth_date", "phone"]),
        today=resident.at.date(),
        streets=street_index_of(RegisterStreet(s, 0) for s in STREETS),
    )
    return form_parse(IdentityForm, resident.form(), context=rules_of_edition)


def _trail(resident: Resident, slug: str, session_hash: str, request_id: str) -> list[dict]:
    """The request log of one ballot's session, ending with the cast's request."""
    rows = []
    moment = resident.at - timedelta(seconds=sum(resident.gaps) + 0.05)
    if resident.browsing:
        start = moment - timedelta(seconds=30)
        for i, url in enumerate(BROWSING):
            rows.append(("GET", url.format(slug=slug), start + timedelta(seconds=8 * i)))
    rows.append(("GET", STEPS[0].format(slug=slug), moment))
    for gap, url in zip(resident.gaps, STEPS, strict=True):
        moment += timedelta(seconds=gap)
        rows.append(("POST", url.format(slug=slug), moment))
    return [
        {
            "request_id": request_id if i == len(rows) - 1 else secrets.token_hex(16),
            "arrived_at": at,
            "responded_at": at + timedelta(milliseconds=20),
            "duration_us": 20_000,
            "ip": resident.ip,
            "method": method,
            "url": url,
            "status": 303 if method == "POST" else 200,
            "user_agent": resident.user_agent,
            "session_hash": session_hash,
        }
        for i, (method, url, at) in enumerate(rows)
    ]


async def ballots_insert(app, edition: Edition, residents: list[Resident]) -> dict[int, str]:
    """Write the residents' ballots (as the cast would) and their sessions' request logs;
    return ballot id → group."""
    ctx = app.state.ctx
    groups: dict[int, str] = {}
    async with ctx.db() as session:
        numbers = dict(
            (
                await session.execute(
                    select(Project.number, Project.id).where(Project.edition_id == edition.id)
                )
            ).all()
        )
        pools = dict(
            (
                await session.execute(
                    select(Project.id, Project.pool_id).where(Project.edition_id == edition.id)
                )
            ).all()
        )
        clause = await documents.document_latest(session=session, kind="clause", edition=edition)
        key_id = await keys.edition_key(session=session, crypto=ctx.crypto, edition_id=edition.id)
        logs: list[dict] = []
        for resident in residents:
            person = _identity(resident)
            voter = ballots.voter_draft(
                crypto=ctx.crypto, edition_id=edition.id, key_id=key_id, person=person
            )
            session_hash = secrets.token_hex(16) if resident.ip else None
            request_id = secrets.token_hex(16) if resident.ip else None
            row = repository.BallotRow(
                edition_id=edition.id,
                identity_key=voter.keys.identity_key,
                contact_key=voter.keys.contact_key,
                contact_slot=0,
                pesel_key=None,
                identity_enc=voter.identity_enc,
                area_id=None,
                age_band=rules.age_band(person.age),
                guardian_role=person.guardian_role,
                clause_id=clause.id,
                channel="online" if resident.ip else "paper",
                receipt_hash=secrets.token_hex(32),
                submitted_at=resident.at,
                request_id=request_id,
                ip=resident.ip,
                user_agent=resident.user_agent,
                session_hash=session_hash,
                choices=tuple((numbers[n], pools[numbers[n]]) for n in resident.choices),
                **voter.keys.fraud,
            )
            row = await _free_slot(session, row)
            ballot_id = await repository.ballot_insert(session, row, autocommit=False)
            groups[ballot_id] = resident.group
            if resident.ip:
                logs += _trail(resident, edition.slug, session_hash, request_id)
        if logs:
            await session.execute(insert(RequestLog), logs)
        await session.commit()
    return groups


async def _free_slot(session, row: repository.BallotRow) -> repository.BallotRow:
    """The next contact slot (a phone shared by several residents, as the edition allows)."""
    from dataclasses import replace

    from sqlalchemy import func

    from urna.voting.models import Voter

    used = (
        await session.execute(
            select(func.count()).where(
                Voter.edition_id == row.edition_id, Voter.contact_key == row.contact_key
            )
        )
    ).scalar_one()
    return replace(row, contact_slot=used)


async def cast_over_http(client, app, edition: Edition, resident: Resident) -> int:
    """Cast through the real flow (behind the trusted proxy, with the resident's address
    and browser), then move the session's requests and the ballot to the scenario's time
    line: the requests keep their order, spaced as the resident's ``gaps`` say."""
    headers = {"X-Forwarded-For": resident.ip, "User-Agent": resident.user_agent or ""}
    if resident.browsing:
        for url in BROWSING:
            await client.get(url.format(slug=edition.slug), headers=headers)
    response = await vote(
        client, app, edition.slug, resident.form(), resident.choices, headers=headers
    )
    assert response.status_code == 303, response.text
    return await session_move(app, response.headers["x-request-id"], resident.at, resident.gaps)


async def session_move(app, request_id: str, at: datetime, gaps: list[float]) -> int:
    """Move the session whose last request (``request_id``) cast a ballot so that it cast
    it at ``at``: its requests keep their order, each POST ``gaps`` seconds after the one
    before (1 s once they run out), each GET 0.3 s; return the ballot's id."""
    await app.state.request_log.flush()
    async with app.state.ctx.db() as session:
        ballot = (
            await session.execute(select(Ballot).where(Ballot.request_id == request_id))
        ).scalar_one()
        trail = (
            (
                await session.execute(
                    select(RequestLog)
                    .where(RequestLog.session_hash == ballot.session_hash)
                    .order_by(RequestLog.arrived_at)
                )
            )
            .scalars()
            .all()
        )
        steps = iter(gaps)
        moments, moment = [], utcnow()
        for row in trail:
            step = next(steps, 1.0) if row.method == "POST" else 0.3
            moment += timedelta(seconds=step)
            moments.append(moment)
        shift = at - moments[-1]
        for row, when in zip(trail, moments, strict=True):
            await session.execute(
                update(RequestLog)
                .where(RequestLog.request_id == row.request_id)
                .values(arrived_at=when + shift, responded_at=when + shift)
            )
        await session.execute(
            update(Ballot)
            .where(Ballot.id == ballot.id)
            .values(submitted_at=at + timedelta(milliseconds=10))
        )
        await session.commit()
    return ballot.id
