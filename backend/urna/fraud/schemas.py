"""What the fraud service hands to its readers (the verification console, the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
    # Why the case was reopened after a decision, rendered ("" if it never was).
    note: str
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
