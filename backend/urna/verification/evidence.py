"""The evidence package for the authorities: the only bulk path to identity data.

For a case, or for an IP range (CIDR) and a time window: the ballots with their residents'
identities (decrypted), choices, request trails, signals and decisions, as JSON files in
a zip with a SHA-256 manifest of every file. It is made only with a stated legal basis (a
category and the text: the authority, its reference, the provision), and the audit log
records who made it, why, and the manifest's digest."""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.audit import audit_append
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError
from urna.core.forms import (
    MAX_ID,
    FormModel,
    LocalDateTime,
    form_error,
    form_parse,
    text_within,
    whole,
)
from urna.core.i18n import LANGUAGES, N_, translate_in
from urna.core.moments import DATETIME
from urna.editions.models import Edition
from urna.fraud import service as fraud
from urna.fraud.kinds import kind_label
from urna.requestlog import repository as requestlog_repository
from urna.requestlog.models import COLUMNS as LOG_COLUMNS
from urna.verification import repository, review
from urna.voting.models import Ballot

LEGAL_BASES: dict[str, str] = {
    "prosecutor": N_("Request of a public prosecutor (Code of Criminal Procedure)"),
    "police": N_("Request of the police (the Police Act)"),
    "court": N_("Court order or request of a court"),
    "supervisory": N_("Request of the voivode or another supervisory authority"),
    "data_protection": N_("Request of the President of the Personal Data Protection Office"),
    "other": N_("Another provision of law (named in the text)"),
}
BASIS_MIN = 20  # characters: the authority, its reference and the provision
BASIS_MAX = 2000  # as the form's field allows
CASE_NUMBER = N_("Give the number of the case.")
MOMENT = DATETIME  # the window is typed in Polish time, as the console shows it
NETWORK = N_("Give an IP address or a network, e.g. 203.0.113.0/24.")
MAX_BALLOTS = 20_000
MAX_REQUESTS = 200_000
BALLOT_FIELDS = (
    "id",
    "channel",
    "status",
    "status_reason",
    "submitted_at",
    "request_id",
    "ip",
    "user_agent",
    "session_hash",
    "age_band",
)


class ExportTooLarge(AppError):
    status_code = 413
    message = N_("The package would be too large. Narrow the network or the time window.")


@dataclass(frozen=True)
class ExportScope:
    category: str
    basis: str
    case_id: int | None = None
    network: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def target(self) -> str:
        return f"case:{self.case_id}" if self.case_id is not None else f"network:{self.network}"


@dataclass(frozen=True)
class EvidencePackage:
    filename: str
    content: bytes
    manifest_sha256: str
    ballots: int
    requests: int


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError as error:
        raise form_error(NETWORK) from error


LegalBasis = Literal[tuple(LEGAL_BASES)]  # type: ignore[valid-type]
# The audit log keeps it forever: a control character or a text too long is refused whole.
BasisText = Annotated[text_within(BASIS_MAX), Field(min_length=BASIS_MIN)]
CaseNumber = whole(1, MAX_ID, CASE_NUMBER)
Network = Annotated[str, AfterValidator(_network)]


class ScopeForm(FormModel):
    """The legal basis of an export (required): its category, and the text naming the
    authority, its reference and the provision."""

    messages = {
        "category": N_("Choose the legal basis of the request."),
        "basis": N_(
            "State the legal basis: the authority, its reference number and the provision."
        ),
    }

    category: LegalBasis
    basis: BasisText


class CaseScopeForm(ScopeForm):
    """The export of a case."""

    messages = {**ScopeForm.messages, "case_id": CASE_NUMBER}

    case_id: CaseNumber

    def as_scope(self) -> ExportScope:
        return ExportScope(self.category, self.basis, case_id=self.case_id)


class NetworkScopeForm(ScopeForm):
    """The export of a network (an address or a CIDR) over a time window, typed in Polish
    time as the console shows every time (the package holds it in UTC)."""

    messages = {**ScopeForm.messages, "network": NETWORK, "since": MOMENT, "until": MOMENT}

    network: Network
    since: LocalDateTime
    until: LocalDateTime

    @field_validator("until")
    @classmethod
    def _after_the_start(cls, until: datetime, info: ValidationInfo) -> datetime:
        since = info.data.get("since")  # absent if refused: its own message says so
        if since is not None and since >= until:
            raise form_error(N_("The end of the period must come after its start."))
        return until

    def as_scope(self) -> ExportScope:
        return ExportScope(
            self.category, self.basis, network=self.network, since=self.since, until=self.until
        )


def scope_parse(form: Mapping[str, str]) -> ExportScope:
    """The legal basis (required) and what to export: a case, or a network and window
    (``FormInvalid`` with a message per field)."""
    model = CaseScopeForm if (form.get("scope") or "").strip() == "case" else NetworkScopeForm
    return form_parse(model, form).as_scope()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str, sort_keys=True).encode()


def _in_network(ballot: Ballot, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(ballot.ip or "") in network
    except ValueError:
        return False


def _in_both(message: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """A stored message (a msgid and its parameters) as each language writes it."""
    return {lang: translate_in(lang, message, **(params or {})) for lang in LANGUAGES}


async def _scope_rows(session: AsyncSession, edition: Edition, scope: ExportScope):
    """(ballots, request rows, signals) of the scope."""
    if scope.case_id is not None:
        detail = await fraud.case_get(session=session, case_id=scope.case_id)
        if detail.case.edition_id != edition.id:
            raise fraud.CaseNotFound()
        ballots = await repository.ballots_by_ids(session, edition.id, detail.ballot_ids)
        rows = await repository.trail_rows(session, ballots, limit=MAX_REQUESTS + 1)
        return ballots, rows, detail.signals
    network = ipaddress.ip_network(scope.network)
    window = await repository.ballots_in_window(
        session, edition.id, scope.since, scope.until, limit=10 * MAX_BALLOTS
    )
    ballots = [b for b in window if _in_network(b, network)]
    filters = requestlog_repository.LogFilters(
        since=scope.since, until=scope.until, ip=scope.network
    )
    rows = list(await requestlog_repository.logs_search(session, filters, limit=MAX_REQUESTS + 1))
    signals = {}
    for ballot in ballots[:MAX_BALLOTS]:
        for signal in await fraud.signals_for_ballot(session=session, ballot_id=ballot.id):
            signals[signal.id] = signal
    return ballots, rows, list(signals.values())


async def evidence_export(
    *, session: AsyncSession, crypto: Crypto, edition: Edition, scope: ExportScope, actor_id: int
) -> EvidencePackage:
    ballots, rows, signals = await _scope_rows(session, edition, scope)
    if len(ballots) > MAX_BALLOTS or len(rows) > MAX_REQUESTS:
        raise ExportTooLarge()
    cards = await review.cards_build(
        session=session, crypto=crypto, edition=edition, ballots=ballots
    )
    identities = await review.identities_of(session=session, crypto=crypto, ballots=ballots)
    made_at = utcnow()
    files = {
        "basis.json": _json(
            {
                "edition": edition.slug,
                "scope": scope.target,
                "since": scope.since,
                "until": scope.until,
                "legal_basis_category": scope.category,
                "legal_basis": scope.basis,
                "made_by_staff_id": actor_id,
                "made_at": made_at,
            }
        ),
        "ballots.json": _json(
            [
                {
                    **{name: getattr(card.ballot, name) for name in BALLOT_FIELDS},
                    "area": card.area,
                    "identity": identities.get(card.ballot.id),
                    "choices": [
                        {"project": p.number, "title": p.title, "points": points}
                        for p, points in card.choices
                    ],
                }
                for card in cards
            ]
        ),
        "request_log.json": _json([{c: getattr(row, c) for c in LOG_COLUMNS} for row in rows]),
        "signals.json": _json(
            [
                {
                    "id": s.id,
                    "kind": s.kind,
                    # what the console says, in both languages, for a reader without it
                    "label": _in_both(kind_label(s.kind)),
                    "said": {
                        lang: fraud.evidence_render(s.evidence_data, lang) for lang in LANGUAGES
                    },
                    "score": s.score,
                    "evidence": s.evidence_data,
                    "first_at": s.first_at,
                    "last_at": s.last_at,
                    "case_id": s.case_id,
                    "ballot_ids": s.ballot_ids,
                }
                for s in signals
            ]
        ),
        "decisions.json": _json(
            [
                d.model_dump()
                for d in await repository.decisions_of(session, [b.id for b in ballots])
            ]
        ),
    }
    manifest = _json(
        {
            "algorithm": "SHA-256",
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        }
    )
    files["manifest.json"] = manifest
    digest = hashlib.sha256(manifest).hexdigest()
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="verification.export",
        target=scope.target,
        reason=scope.basis,
        details={
            "edition_id": edition.id,
            "legal_basis_category": scope.category,
            "ballots": len(ballots),
            "requests": len(rows),
            "manifest_sha256": digest,
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    stamp = made_at.strftime("%Y%m%dT%H%M%SZ")
    return EvidencePackage(
        filename=f"evidence-{edition.slug}-{stamp}.zip",
        content=buffer.getvalue(),
        manifest_sha256=digest,
        ballots=len(ballots),
        requests=len(rows),
    )
