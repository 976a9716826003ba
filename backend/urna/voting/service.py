"""The resident's way through: clause → identity → one-time code → choices → cast →
receipt. The unfinished ballot lives in the server-side session (``VoteState``); the only
durable write is the cast, one transaction whose UNIQUE keys make a second ballot for the
same person impossible, on any channel."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from limits import RateLimitItem
from limits import parse as parse_limit
from limits.aio.strategies import RateLimiter
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import keys
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound, TooManyRequests
from urna.core.i18n import N_
from urna.core.ratelimit import limit_hit, limit_wait
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.notify import service as notify
from urna.voting import ballots, receipts, repository
from urna.voting.ballots import IDENTITY_CONTEXT as IDENTITY_CONTEXT
from urna.voting.choices import PoolChoice, choices_apply, choices_pooled
from urna.voting.models import Ballot
from urna.voting.receipts import receipt_hash as receipt_hash
from urna.voting.repository import BulkBallot as BulkBallot
from urna.voting.repository import ballots_insert_bulk as ballots_insert_bulk
from urna.voting.schemas import CodeForm, IdentityForm, IdentityRules, ReceiptForm, form_parse
from urna.voting.state import FlowOutOfOrder, VoteState
from urna.voting.wording import Audience

CHANGED_SINCE_REVIEW = N_(
    "Your choices changed after you reviewed them (in another tab or window). Check them "
    "below and continue to the review again: nothing was cast."
)
VOTER_CHANGED = N_(
    "Another person confirmed their data in this browser (in another tab or window) after "
    "this ballot was reviewed: nothing was cast. Continue to the review again and check "
    "whose ballot it is."
)


def voter_seal(crypto: Crypto, state: VoteState) -> str:
    """Whose ballot the review page showed, as the page carries it to the cast: a keyed
    hash of the confirmed identity's key (never the key, nothing of the person)."""
    return crypto.keyed_hash(scope="review-voter", value=state.identity_key or "")[:24]


class AlreadyVoted(AppError):
    status_code = 409
    message = N_(
        "You have already voted in this edition: each resident votes once. Check your ballot "
        "with the receipt code you were given (Check your receipt). If you did not vote, "
        "contact the participatory budget office."
    )


CONTACT_USED = N_(
    "This contact has already been used for as many ballots as this edition allows from one "
    "phone number or e-mail address."
)


class ContactSlotsUsed(FormInvalid):
    """The contact has already been used for as many ballots as the edition allows: said on
    the identity form, before a code is sent (the UNIQUE slots still decide at the cast)."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__({field: CONTACT_USED}, params={"limit": limit})
        self.field = field


class CodeTriesUsedUp(FormInvalid):
    """The code sent has had all its tries: a rate limit (429), said on the code field;
    Retry-After is when the contact may be sent a new code."""

    status_code = 429

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__({"code": N_("Too many wrong codes. Send a new one.")})
        self.retry_after_seconds = retry_after_seconds


NO_CODE_WAITING = N_("This code can no longer be used. Send a new one.")


class ContactLimitReached(AppError):
    status_code = 409
    message = N_(
        "This phone number or e-mail address has already been used for the largest number "
        "of ballots allowed. Use another contact."
    )


# ---- clause -------------------------------------------------------------------------


def clause_acknowledge(*, edition: Edition, clause_id: int, acknowledged: bool) -> VoteState:
    if not acknowledged:
        raise FormInvalid({"acknowledge": N_("Confirm that you have read the information clause.")})
    editions.voting_ensure_open(edition=edition)
    return VoteState(
        edition=edition.slug, clause_id=clause_id, channel=edition.confirmation_channel
    )


# ---- identity and one-time code -----------------------------------------------------


def identity_check(
    *,
    snapshot: EditionSnapshot,
    form: Mapping[str, str],
    required: Sequence[str] | None = None,
    today: date | None = None,
    audience: Audience = "resident",
    held_role: str | None = None,
) -> IdentityForm:
    """The identity, checked against the edition's rules and street register (its area
    read from the street), or ``FormInvalid`` with a message per field, worded for
    ``audience`` (the paper operator: "the street written on the ballot"). The register is
    the snapshot's, folded once per snapshot (``edition_snapshot(streets=True)``).
    ``held_role``: see ``IdentityRules``."""
    edition = snapshot.edition
    rules = IdentityRules(
        required=frozenset(edition.required_fields if required is None else required),
        today=today or utcnow().date(),
        streets=snapshot.street_index,
        audience=audience,
        held_role=held_role,
    )
    return form_parse(IdentityForm, form, context=rules)


async def identity_submit(
    *,
    session: AsyncSession,
    crypto: Crypto,
    limiter: RateLimiter,
    settings: Settings,
    snapshot: EditionSnapshot,
    state: VoteState,
    form: Mapping[str, str],
    ip: str,
) -> VoteState:
    edition = snapshot.edition
    editions.voting_ensure_open(edition=edition)
    person = identity_check(snapshot=snapshot, form=form)
    key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id)
    voter = ballots.voter_draft(crypto=crypto, edition_id=edition.id, key_id=key_id, person=person)
    if voter.keys.contact_key and (
        await repository.contact_ballot_count(session, edition.id, voter.keys.contact_key)
        >= edition.max_ballots_per_contact
    ):
        field = "phone" if person.phone else "email"
        raise ContactSlotsUsed(field, edition.max_ballots_per_contact)
    state.fields_enc = voter.identity_text
    state.identity_key = voter.keys.identity_key
    state.fraud_keys = voter.keys.fraud
    state.contact_key = voter.keys.contact_key
    state.pesel_key = voter.keys.pesel_key
    state.area_id = voter.area_id
    state.age_band = voter.age_band
    state.guardian_role = voter.guardian_role
    state.confirmed = False
    state.receipt = None
    state.choices = {}
    if state.channel == "none":
        return _confirm(state)
    await code_send(
        session=session, crypto=crypto, limiter=limiter, settings=settings, state=state, ip=ip
    )
    return state


async def _contact_of(session: AsyncSession, crypto: Crypto, state: VoteState) -> str:
    fields = await keys.text_open(
        session=session, crypto=crypto, token=state.fields_enc, context=ballots.IDENTITY_CONTEXT
    )
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
    """Send a fresh 6-digit code; throttled per contact and per IP address. The message
    goes to the outbox in the request's unit of work."""
    if state.fields_enc is None or state.channel == "none":
        raise FlowOutOfOrder()
    per_contact = parse_limit(settings.otp_resend_per_contact)
    per_ip = parse_limit(settings.otp_send_per_ip)
    contact_used_up = TooManyRequests(
        N_("Too many codes were sent to this contact. Wait 10 minutes and try again.")
    )
    await limit_hit(limiter, per_contact, "otp-contact", _contact_key(state), error=contact_used_up)
    await limit_hit(limiter, per_ip, "otp-ip", ip)
    code = f"{secrets.randbelow(1_000_000):06d}"
    state.otp_hash = crypto.keyed_hash(scope="otp:" + (state.identity_key or ""), value=code)
    state.otp_expires = time.time() + settings.otp_ttl_seconds
    state.demo_code = code if settings.demo_show_codes else None
    await notify.message_enqueue(
        session=session,
        crypto=crypto,
        channel=state.channel,
        recipient=await _contact_of(session, crypto, state),
        text=f"Kod do głosowania w budżecie obywatelskim: {code}. Ważny 10 minut. "
        f"/ Your participatory budget voting code: {code}. Valid 10 minutes.",
        purpose="vote-code",
    )


def _confirm(state: VoteState) -> VoteState:
    state.confirmed = True
    state.otp_hash = None
    state.demo_code = None
    state.receipt = receipts.receipt_new()
    return state


def _contact_key(state: VoteState) -> str:
    return state.contact_key or "-"


async def _tries_used_up(limiter: RateLimiter, settings: Settings, state: VoteState):
    """The refusal once a code's tries are gone: wait until this contact may get a new code
    (at once, if its resend window has room)."""
    per_contact, key = parse_limit(settings.otp_resend_per_contact), _contact_key(state)
    if await limiter.test(per_contact, "otp-contact", key):
        return CodeTriesUsedUp(1)
    return CodeTriesUsedUp(await limit_wait(limiter, per_contact, "otp-contact", key))


def _code_tries(settings: Settings) -> RateLimitItem:
    """How many codes may be tried against one code sent: counted in the rate limiter's
    storage (Redis), atomically, so concurrent tries on one session cannot exceed it."""
    return parse_limit(f"{settings.otp_max_attempts}/{settings.otp_ttl_seconds} seconds")


async def code_verify(
    *,
    session: AsyncSession,
    crypto: Crypto,
    limiter: RateLimiter,
    settings: Settings,
    edition: Edition,
    state: VoteState,
    code: str,
) -> VoteState:
    """Check a code: expires, at most ``otp_max_attempts`` tries, single use. A value that
    is not six digits is refused without using up a try. Tries are counted per code sent
    (by its keyed hash) in the limiter's storage, never in the session, which concurrent
    requests would each read and write back."""
    if state.otp_hash is None:
        if state.fields_enc is None or state.channel == "none" or state.confirmed:
            raise FlowOutOfOrder()
        # the code sent expired or had all its tries: this page's button sends a new one
        raise FormInvalid({"code": NO_CODE_WAITING})
    typed = form_parse(CodeForm, {"code": code}).code
    if time.time() > state.otp_expires:
        state.otp_hash = None
        raise FormInvalid({"code": N_("The code has expired. Send a new one.")})
    tries = _code_tries(settings)
    if not await limiter.hit(tries, "otp-try", state.otp_hash):
        state.otp_hash = None
        raise await _tries_used_up(limiter, settings, state)
    expected = crypto.keyed_hash(scope="otp:" + (state.identity_key or ""), value=typed)
    if not hmac.compare_digest(expected, state.otp_hash):
        left = (await limiter.get_window_stats(tries, "otp-try", state.otp_hash)).remaining
        if left <= 0:
            state.otp_hash = None
            raise await _tries_used_up(limiter, settings, state)
        raise FormInvalid(
            {"code": N_("Wrong code. Attempts left: %(left)s.")}, params={"left": left}
        )
    if await repository.voter_exists(
        session, edition.id, identity_key=state.identity_key, pesel_key=state.pesel_key
    ):
        raise AlreadyVoted()
    return _confirm(state)


# ---- cast and receipt ---------------------------------------------------------------


async def ballot_cast(
    *,
    session: AsyncSession,
    crypto: Crypto,
    edition: Edition,
    state: VoteState,
    options: list[PoolChoice],
    meta: ballots.RequestMeta,
    now: datetime | None = None,
    reviewed: str | None = None,
    voter: str | None = None,
) -> str:
    """Write voter, ballot and choices and commit before the receipt is shown; return it.

    Resubmitting (double click, reload) finds the ballot by its receipt and returns the
    same receipt; any other UNIQUE conflict means this person already voted. ``reviewed``
    (``VoteState.choices_seal`` as the review page showed it): choices changed since (in
    another tab) are not cast — the resident sees them again first; nor, ``voter``
    (``voter_seal`` as the page showed it), a ballot whose person changed since.
    """
    now = now or utcnow()
    editions.voting_ensure_open(edition=edition, now=now)
    if not state.confirmed or not state.receipt:
        raise FlowOutOfOrder()
    if reviewed is not None and reviewed != state.choices_seal():
        raise FormInvalid({"choices": CHANGED_SINCE_REVIEW})
    seal = voter_seal(crypto, state).encode()
    # a multipart form may send a file under the name: another voter's as much as any text
    if voter is not None and not (
        isinstance(voter, str) and hmac.compare_digest(voter.encode(), seal)
    ):
        raise FormInvalid({"choices": VOTER_CHANGED})
    picked = [pid for ids in state.choices.values() for pid in ids]
    errors = choices_apply(options=options, state=state, picked=picked, strict=True)
    if errors:
        raise FormInvalid(errors)
    receipt = receipts.receipt_hash(crypto, state.receipt)
    placed = await ballots.ballot_place(
        session=session,
        edition=edition,
        voter=state.voter(),
        clause_id=state.clause_id,
        channel="online",
        receipt_hash=receipt,
        submitted_at=now,
        meta=meta,
        choices=choices_pooled(options, picked),
        autocommit=True,
    )
    if placed.placed:
        if session.in_transaction():  # else the insert was a transaction of its own
            await session.commit()  # durable before the receipt is shown (the one commit)
        return state.receipt
    if await repository.ballot_by_receipt(session, receipt) is not None:
        return state.receipt  # resubmitted: the first submission was cast
    if placed.conflict == "contact":
        raise ContactLimitReached()
    raise AlreadyVoted()


async def receipt_check(*, session: AsyncSession, crypto: Crypto, code: str) -> Ballot:
    """Status of a ballot by its receipt code; never its choices."""
    normalised = form_parse(ReceiptForm, {"code": code}).code
    ballot = await repository.ballot_by_receipt(session, receipts.receipt_hash(crypto, normalised))
    if ballot is None:
        raise NotFound(N_("No ballot has this receipt code. Check the code and try again."))
    return ballot


# ---- retention ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdentitiesPurged:
    voters: int
    paper_entries: int
    ballots: int


async def identities_purge(
    *, session: AsyncSession, edition_id: int, now: datetime
) -> IdentitiesPurged:
    """Drop every identity datum of an edition (idempotent): voters' encrypted fields and
    keyed HMACs, what paper operators typed, the ballots' address and browser. The
    anonymous ballots and their choices stay."""
    return IdentitiesPurged(
        voters=await repository.voters_identity_purge(session, edition_id, now),
        paper_entries=await repository.paper_entries_purge(session, edition_id),
        ballots=await repository.ballot_traces_purge(session, edition_id),
    )
