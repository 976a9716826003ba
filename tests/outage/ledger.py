"""What the database holds after an outage, compared with what residents were shown:
every acknowledged receipt is one ballot, no voter has two, no ballot lacks its choices,
and no ballot is stored that its resident could not get the receipt of."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from tests.live import LiveServer, run_sync
from tests.outage.residents import CHOSEN, Resident
from urna.voting import receipts
from urna.voting.models import Ballot, BallotChoice, Voter


@dataclass
class Ledger:
    ballots: int
    voters: int
    receipt_hashes: Counter  # receipt hash → ballots with it
    voter_ballots: Counter  # voter id → ballots
    choices_per_ballot: Counter  # number of choices → ballots with that many


def ledger(app: LiveServer, edition_id: int) -> Ledger:
    async def read(session) -> Ledger:
        rows = (
            await session.execute(
                select(Ballot.id, Ballot.voter_id, Ballot.receipt_hash).where(
                    Ballot.edition_id == edition_id
                )
            )
        ).all()
        counts = dict(
            (
                await session.execute(
                    select(BallotChoice.ballot_id, func.count())
                    .join(Ballot, Ballot.id == BallotChoice.ballot_id)
                    .where(Ballot.edition_id == edition_id)
                    .group_by(BallotChoice.ballot_id)
                )
            ).all()
        )
        voters = await session.scalar(
            select(func.count()).select_from(Voter).where(Voter.edition_id == edition_id)
        )
        return Ledger(
            ballots=len(rows),
            voters=voters,
            receipt_hashes=Counter(row.receipt_hash for row in rows),
            voter_ballots=Counter(row.voter_id for row in rows),
            choices_per_ballot=Counter(counts.get(row.id, 0) for row in rows),
        )

    return run_sync(app._with_db, read)


def ledger_check(app: LiveServer, edition_id: int, residents: list[Resident]) -> Ledger:
    """Assert the ballots match the receipts the residents were shown, one for one."""
    book = ledger(app, edition_id)
    crypto = app.crypto
    shown = [r.receipt for r in residents if r.receipt is not None]
    shown_hashes = Counter(receipts.receipt_hash(crypto, code) for code in shown)
    assert all(n == 1 for n in shown_hashes.values()), "two residents shown one receipt"
    missing = [h for h in shown_hashes if book.receipt_hashes[h] != 1]
    assert not missing, f"{len(missing)} acknowledged receipts are not exactly one ballot"
    doubled = {voter: n for voter, n in book.voter_ballots.items() if n > 1}
    assert not doubled, f"voters with more than one ballot: {doubled}"
    assert book.choices_per_ballot == Counter({len(CHOSEN): book.ballots}), (
        f"ballots by number of choices: {book.choices_per_ballot} (a partial ballot)"
    )
    assert book.voters == book.ballots, "a voter without a ballot, or a ballot without one"
    unacknowledged = set(book.receipt_hashes) - set(shown_hashes)
    assert not unacknowledged, (
        f"{len(unacknowledged)} ballots stored whose resident never saw the receipt"
    )
    assert book.ballots == len(shown_hashes)
    return book
