"""An edition's phase, read from its dates, and the two rules that follow from it: the
vote is taken only while voting is open, and the rules change only before it opens."""

from __future__ import annotations

from datetime import datetime

from urna.core.db import utcnow
from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.editions.models import Edition


class VotingClosed(AppError):
    status_code = 409
    message = N_("Voting in this edition is not open. Nothing was saved.")


class BallotTypeOffline(AppError):
    status_code = 409
    message = N_(
        "This edition's ballots give points to projects; online voting takes approval ballots "
        "only (one vote per chosen project). Nothing was saved."
    )


class RulesFrozen(AppError):
    status_code = 409
    message = N_("Voting in this edition has opened, so its rules can no longer be changed.")


def edition_phase(edition: Edition, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < edition.voting_opens_at:
        return "upcoming"
    if now < edition.voting_closes_at:
        return "open"
    if now < edition.results_at:
        return "closed"
    return "resolved"


def voting_ensure_open(*, edition: Edition, now: datetime | None = None) -> None:
    if edition_phase(edition, now) != "open":
        raise VotingClosed()
    if edition.vote_type != "approval":
        # Ordinal and cumulative editions come from imports; the online flow never stores
        # a ballot whose points it cannot collect.
        raise BallotTypeOffline()


def rules_ensure_editable(*, edition: Edition, now: datetime | None = None) -> None:
    if edition_phase(edition, now) != "upcoming":
        raise RulesFrozen()
