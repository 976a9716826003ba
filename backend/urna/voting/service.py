"""The resident's way through: clause → identity → one-time code → choices → cast →
receipt. The unfinished ballot lives in the server-side session (``VoteState``); the only
durable write is the cast, one transaction whose UNIQUE keys make a second ballot for the
same person impossible, on any channel."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from limits import parse as parse_limit
from limits.aio.strategies import RateLimiter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import utcnow, violated_constraint
from urna.core.errors import AppError, FormInvalid, NotFound, TooManyRequests
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition, Pool, Project
from urna.editions.service import EditionSnapshot
from urna.notify import service as notify
from urna.voting import identity as rules
from urna.voting import repository
from urna.voting.fraud_keys import fraud_keys
from urna.voting.models import Ballot

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LENGTH = 12
IDENTITY_CONTEXT = "voter-identity"


class AlreadyVoted(AppError):
    status_code = 409
    message = N_(
        "A ballot has already been cast in this edition for this person. Each resident "
        "votes once. If you did not vote, contact the participatory budget office."
    )


class ContactLimitReached(AppError):
    status_code = 409
    message = N_(
        "This phone number or e-mail address has already been used for the largest number "
        "of ballots allowed. Use another contact."
    )


class FlowOutOfOrder(AppError):
    status_code = 409
    message = N_("This step is not available yet. Start voting from the beginning.")


class NotEligible(AppError):
    status_code = 403
    message = N_("You cannot vote in this pool.")


@dataclass
class VoteState:
    edition: str
    clause_id: int
    channel: str = "none"
    fields_enc: str | None = None
    identity_key: str | None = None
    contact_key: str | None = None
    pesel_key: str | None = None
    area_id: int | None = None
    age_band: str = ""
    guardian_role: str | None = None
    otp_hash: str | None = None
    otp_expires: float = 0.0
    otp_attempts: int = 0
    confirmed: bool = False
    receipt: str | None = None
    choices: dict[str, list[int]] = field(default_factory=dict)
    demo_code: str | None = None
    fraud_keys: dict = field(default_factory=dict)

    def dump(self) -> dict:
        return asdict(self)

    @classmethod
    def load(cls, data: dict | None, *, edition: str) -> VoteState:
        if not data or data.get("edition") != edition:
            raise FlowOutOfOrder()
        return cls(**data)


@dataclass(frozen=True)
class RequestMeta:
    request_id: str | None
    ip: str | None
    user_agent: str | None
    session_hash: str | None


# ---- clause -------------------------------------------------------------------------


def clause_acknowledge(*, edition: Edition, clause_id: int, acknowledged: bool) -> VoteState:
    if not acknowledged:
        raise FormInvalid({"acknowledge": N_("Confirm that you have read the information clause.")})
    editions.voting_ensure_open(edition=edition)
    return VoteState(
        edition=edition.slug, clause_id=clause_id, channel=edition.confirmation_channel
    )


# ---- identity and one-time code -----------------------------------------------------


@dataclass(frozen=True)
class VoterKeys:
    identity_key: str
    contact_key: str | None
    pesel_key: str | None
    fraud: dict = field(default_factory=dict)  # voting.fraud_keys: signals, not uniqueness


def voter_keys(*, crypto: Crypto, edition_id: int, person: rules.Identity) -> VoterKeys:
    """The keyed HMACs whose UNIQUE constraints allow one ballot per resident per edition,
    whatever the channel: online and paper ballots compute them here, the same way."""
    scope = f"edition:{edition_id}"
    return VoterKeys(
        identity_key=crypto.keyed_hash(scope=scope, value=rules.identity_key_material(person)),
        contact_key=(
            crypto.keyed_hash(scope=scope, value="contact:" + person.contact)
            if person.contact
            else None
        ),
        pesel_key=(
            crypto.keyed_hash(scope=scope, value="pesel:" + person.pesel) if person.pesel else None
        ),
        fraud=fraud_keys(crypto=crypto, edition_id=edition_id, person=person),
    )


async def identity_check(
    *,
    session: AsyncSession,
    edition: Edition,
    form: dict[str, str],
    required: list[str] | None = None,
    today: date | None = None,
) -> tuple[rules.Identity, int | None]:
    """Validate an identity against the edition's rules and street register; return it
    with the area its street belongs to, or raise ``FormInvalid`` with messages per field."""
    streets = await editions_repository.streets_of(session, edition.id)
    area_by_street = {rules.normalise(s.name): s.area_id for s in streets}
    result = rules.identity_validate(
        form,
        required=edition.required_fields if required is None else required,
        today=today or utcnow().date(),
        known_streets=set(area_by_street),
    )
    if result.errors:
        raise FormInvalid(result.errors)
    person = result.identity
    area_id = area_by_street.get(rules.normalise(person.street)) if person.street else None
    return person, area_id


async def identity_submit(
    *,
    session: AsyncSession,
    crypto: Crypto,
    limiter: RateLimiter,
    settings: Settings,
    edition: Edition,
    state: VoteState,
    form: dict[str, str],
    ip: str,
) -> VoteState:
    editions.voting_ensure_open(edition=edition)
    person, area_id = await identity_check(session=session, edition=edition, form=form)
    keys = voter_keys(crypto=crypto, edition_id=edition.id, person=person)
    state.fields_enc = crypto.encrypt_text(person.fields, context=IDENTITY_CONTEXT)
    state.identity_key = keys.identity_key
    state.contact_key = keys.contact_key
    state.pesel_key = keys.pesel_key
    state.fraud_keys = keys.fraud
    state.area_id = area_id
    state.age_band = rules.age_band(person.age) if person.age is not None else ""
    state.guardian_role = person.guardian_role
    state.confirmed = False
    state.receipt = None
    state.choices = {}
    if state.channel == "none":
        return _confirm(state)
    await code_send(
        session=session, crypto=crypto, limiter=limiter, settings=settings, state=state, ip=ip
    )
    return state


def _contact_of(crypto: Crypto, state: VoteState) -> str:
    fields = crypto.decrypt_text(state.fields_enc, context=IDENTITY_CONTEXT)
    return fields["phone"] if state.channel == "sms" else fields["email"]


async def code_send(
    *,
    session: AsyncSession,
    crypto: Crypto,
    limiter: RateLimiter,
    settings: Settings,
    state: VoteState,
    ip: str,
) -> None:
    """Send a fresh 6-digit code; throttled per contact and per IP address."""
    if state.fields_enc is None or state.channel == "none":
        raise FlowOutOfOrder()
    per_contact = parse_limit(settings.otp_resend_per_contact)
    per_ip = parse_limit(settings.otp_send_per_ip)
    if not await limiter.hit(per_contact, "otp-contact", state.contact_key or "-"):
        raise TooManyRequests(
            N_("Too many codes were sent to this contact. Wait 10 minutes and try again.")
        )
    if not await limiter.hit(per_ip, "otp-ip", ip):
        raise TooManyRequests()
    code = f"{secrets.randbelow(1_000_000):06d}"
    state.otp_hash = crypto.keyed_hash(scope="otp:" + (state.identity_key or ""), value=code)
    state.otp_expires = time.time() + settings.otp_ttl_seconds
    state.otp_attempts = 0
    state.demo_code = code if settings.demo_show_codes else None
    await notify.message_enqueue(
        session=session,
        crypto=crypto,
        channel=state.channel,
        recipient=_contact_of(crypto, state),
        text=f"Kod do głosowania w budżecie obywatelskim: {code}. Ważny 10 minut. "
        f"/ Your participatory budget voting code: {code}. Valid 10 minutes.",
        purpose="vote-code",
    )
    await session.commit()


def _confirm(state: VoteState) -> VoteState:
    state.confirmed = True
    state.otp_hash = None
    state.demo_code = None
    state.receipt = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return state


async def code_verify(
    *,
    session: AsyncSession,
    crypto: Crypto,
    settings: Settings,
    edition: Edition,
    state: VoteState,
    code: str,
) -> VoteState:
    """Check a code: expires, at most ``otp_max_attempts`` tries, single use."""
    if state.otp_hash is None:
        raise FlowOutOfOrder()
    code = "".join(ch for ch in code if ch.isdigit())
    if time.time() > state.otp_expires:
        state.otp_hash = None
        raise FormInvalid({"code": N_("The code has expired. Send a new one.")})
    if state.otp_attempts >= settings.otp_max_attempts:
        state.otp_hash = None
        raise FormInvalid({"code": N_("Too many wrong codes. Send a new one.")})
    expected = crypto.keyed_hash(scope="otp:" + (state.identity_key or ""), value=code)
    if not hmac.compare_digest(expected, state.otp_hash):
        state.otp_attempts += 1
        left = settings.otp_max_attempts - state.otp_attempts
        if left <= 0:
            state.otp_hash = None
            raise FormInvalid({"code": N_("Too many wrong codes. Send a new one.")})
        raise FormInvalid(
            {"code": N_("Wrong code. Attempts left: %(left)s.")}, params={"left": left}
        )
    if await repository.voter_exists(
        session, edition.id, identity_key=state.identity_key, pesel_key=state.pesel_key
    ):
        raise AlreadyVoted()
    return _confirm(state)


# ---- choices ------------------------------------------------------------------------


@dataclass
class PoolChoice:
    pool: Pool
    projects: Sequence[Project]
    chosen: list[int]

    @property
    def chosen_cost(self) -> int:
        return sum(p.cost for p in self.projects if p.id in self.chosen)

    @property
    def chosen_count(self) -> int:
        return len(self.chosen)


def ballot_options(*, snapshot: EditionSnapshot, state: VoteState) -> list[PoolChoice]:
    """The pools this resident may vote in, with their projects and current picks."""
    if not state.confirmed:
        raise FlowOutOfOrder()
    by_pool: dict[int, list[Project]] = defaultdict(list)
    for project in snapshot.projects:
        by_pool[project.pool_id].append(project)
    return [
        PoolChoice(pool=pool, projects=by_pool[pool.id], chosen=state.choices.get(str(pool.id), []))
        for pool in snapshot.pools
        if _pool_open_to(pool, snapshot.edition, state)
    ]


def _pool_open_to(pool: Pool, edition: Edition, state: VoteState) -> bool:
    if pool.kind == "citywide" or not edition.district_limited_to_area:
        return True
    return pool.area_id is not None and pool.area_id == state.area_id


def choices_apply(
    *, options: list[PoolChoice], state: VoteState, picked: Sequence[str], strict: bool
) -> dict[str, str]:
    """Record the picks per pool; return messages per pool (``pool-<id>``) if limits are
    broken. ``strict`` also requires the minimum (on submit, not while ticking boxes)."""
    wanted = {int(p) for p in picked if str(p).isdigit()}
    allowed = {project.id for option in options for project in option.projects}
    if wanted - allowed:
        raise NotEligible()
    errors: dict[str, str] = {}
    state.choices = {}
    for option in options:
        option.chosen = [p.id for p in option.projects if p.id in wanted]
        if option.chosen:
            state.choices[str(option.pool.id)] = option.chosen
        key = f"pool-{option.pool.id}"
        if option.chosen_count > option.pool.max_choices:
            errors[key] = N_("Choose at most %(max)s projects in this pool.")
        elif strict and 0 < option.chosen_count < option.pool.min_choices:
            errors[key] = N_("Choose at least %(min)s projects in this pool, or none.")
        elif (
            option.pool.max_total_cost is not None
            and option.chosen_cost > option.pool.max_total_cost
        ):
            errors[key] = N_("The projects you chose cost more than this pool allows.")
    if strict and not wanted:
        errors["choices"] = N_("Choose at least one project.")
    return errors


# ---- cast and receipt ---------------------------------------------------------------


def receipt_normalise(code: str) -> str:
    code = code.upper().replace("-", "").replace(" ", "")
    return code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def receipt_format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_hash(crypto: Crypto, code: str) -> str:
    return crypto.keyed_hash(scope="receipt", value=receipt_normalise(code))


async def ballot_cast(
    *,
    session: AsyncSession,
    crypto: Crypto,
    edition: Edition,
    state: VoteState,
    options: list[PoolChoice],
    meta: RequestMeta,
    now: datetime | None = None,
) -> str:
    """Write voter, ballot and choices in one transaction and commit; return the receipt.

    Resubmitting (double click, reload) finds the ballot by its receipt and returns the
    same receipt; any other UNIQUE conflict means this person already voted.
    """
    now = now or utcnow()
    editions.voting_ensure_open(edition=edition, now=now)
    if not state.confirmed or not state.receipt:
        raise FlowOutOfOrder()
    errors = choices_apply(
        options=options,
        state=state,
        picked=[str(p) for ids in state.choices.values() for p in ids],
        strict=True,
    )
    if errors:
        raise FormInvalid(errors)
    pool_of = {p.id: o.pool.id for o in options for p in o.projects}
    choices = tuple((pid, pool_of[pid]) for ids in state.choices.values() for pid in ids)
    receipt = receipt_hash(crypto, state.receipt)
    slots = edition.max_ballots_per_contact if state.contact_key else 1
    # The session already holds the AES-GCM blob made at the identity step (same context).
    identity_enc = base64.urlsafe_b64decode(state.fields_enc) if state.fields_enc else None
    for slot in range(slots):
        row = repository.BallotRow(
            edition_id=edition.id,
            identity_key=state.identity_key,
            contact_key=state.contact_key,
            contact_slot=slot,
            pesel_key=state.pesel_key,
            identity_enc=identity_enc,
            area_id=state.area_id,
            age_band=state.age_band,
            guardian_role=state.guardian_role,
            clause_id=state.clause_id,
            channel="online",
            receipt_hash=receipt,
            submitted_at=now,
            request_id=meta.request_id,
            ip=meta.ip,
            user_agent=(meta.user_agent or "")[:500] or None,
            session_hash=meta.session_hash,
            choices=choices,
            **state.fraud_keys,
        )
        try:
            await repository.ballot_insert(session, row)
            await session.commit()
            return state.receipt
        except IntegrityError as error:
            await session.rollback()
            if await repository.ballot_by_receipt(session, receipt) is not None:
                return state.receipt
            constraint = violated_constraint(error)
            if "contact_key" not in constraint:
                raise AlreadyVoted() from error
    raise ContactLimitReached()


async def receipt_check(*, session: AsyncSession, crypto: Crypto, code: str) -> Ballot:
    """Status of a ballot by its receipt code; never its choices."""
    normalised = receipt_normalise(code)
    if len(normalised) != RECEIPT_LENGTH or set(normalised) - set(RECEIPT_ALPHABET):
        raise FormInvalid({"code": N_("A receipt code has 12 characters, e.g. 7K3M-Q9TX-2B4D.")})
    ballot = await repository.ballot_by_receipt(session, receipt_hash(crypto, normalised))
    if ballot is None:
        raise NotFound(N_("No ballot has this receipt code. Check the code and try again."))
    return ballot
