"""What the fraud service hands to its readers (the verification console, the CLI), and
the allow-list's form as a schema (``core.forms``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator

from urna.core.forms import FormModel, form_error, text_within
from urna.core.i18n import N_


@dataclass(frozen=True)
class SignalView:
    """One signal, its evidence rendered in the current language (``evidence``) and as
    stored (``evidence_data``: message id and parameters)."""

    id: int
    kind: str
    key: str
    score: float
    evidence: str
    evidence_data: dict[str, Any]
    first_at: datetime
    last_at: datetime
    case_id: int | None
    ballot_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CaseSummary:
    id: int
    edition_id: int
    key: str
    score: float
    status: str  # 'open' | 'decided'
    ballots: int
    kinds: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseDetail:
    case: CaseSummary
    # Why the case was reopened after a decision, rendered ("" if it never was), and as
    # stored (a page draws it in its own language: ``service.evidence_render``).
    note: str
    note_data: dict[str, Any]
    signals: list[SignalView]
    ballot_ids: list[int]


@dataclass(frozen=True)
class ScanResult:
    edition_id: int
    ballots_scanned: int
    last_ballot_id: int
    signals: int
    cases: list[CaseSummary]
    reopened: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class AllowEntry:
    id: int
    cidr: str
    note: str
    created_by: int | None
    created_at: datetime


# ---- the allow-list's form ----------------------------------------------------------

ALLOW_NOTE_MAX = 500  # characters of what a network on the allow-list is
ALLOW_WIDEST = {4: 16, 6: 32}  # the shortest prefix a network on the allow-list may have
NETWORK_INVALID = N_("Give an IP address or a network, e.g. 192.0.2.0/24 or 2001:db8::/48.")


def _allowed_network(text: str) -> str:
    """A network in canonical form (``192.0.2.0/24``; a bare address is its own /32 or
    /128). A network wider than ``ALLOW_WIDEST`` is refused: the allow-list names a
    library or a school, and a /0 would silence every signal."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as error:
        raise form_error(NETWORK_INVALID) from error
    if "%" in text:  # no zone: "fe80::1%eth0" names an interface
        raise form_error(NETWORK_INVALID)
    if network.prefixlen < ALLOW_WIDEST[network.version]:
        raise form_error(
            N_("This network is too wide for the allow-list (at most /16, or /32 in IPv6).")
        )
    return str(network)


AllowNote = text_within(ALLOW_NOTE_MAX, multiline=False)


class AllowForm(FormModel):
    """A known shared network, and in one line what it is (e.g. the library's kiosk)."""

    messages = {
        "cidr": NETWORK_INVALID,
        "note": N_("Say what this network is (e.g. the library's kiosk)."),
    }

    cidr: Annotated[str, AfterValidator(_allowed_network)]
    note: AllowNote
