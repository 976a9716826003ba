"""The fraud scan's traces at the end of an edition's retention period.

The scan keeps what it read about each ballot (``fraud_ballot_fact``: its /24 network, its
address and browser) and names each signal and case by what its ballots share: an IP
address, a network, or a keyed hash of a contact, a home address or a guardian. Those are
personal data, kept as long as the identities they point to: when the privacy purge
deletes an edition's identities and the ballots' addresses, this deletes the scan's copies.
Signals and cases stay (their kind, score, ballots and the verifiers' decisions are the
record of how the vote was verified), renamed by their own id; a signal's evidence loses
the address or network it showed, the browser string it quoted and the browser and
device it named (a program's name, ua-parser's family, stays). A data-centre list's range
and a timing pattern are nobody's data and stay. Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.audit import audit_append
from urna.fraud.models import FraudBallotFact, FraudCase, FraudSignal
from urna.privacy import service as privacy

# Key prefixes (``kinds.Kind.prefix``) whose value is nobody's data: a listed data-centre
# range, a timing pattern, a project and day (a burst; its evidence still names a network).
KEY_KEPT = ("dc", "timing", "burst")
LABEL_KEPT = ("dc", "timing")
ANONYMOUS = "~"  # what an anonymised key's value starts with: ``ip:~17``
LABEL_GONE = "—"
# Evidence parameters that quote a ballot's user agent (the program kind's) or name its
# browser and device (one browser's at an address)
PARAMS_GONE = ("agent", "browser")


def _prefix(key: str) -> str:
    return key.split(":", 1)[0]


def key_anonymous(key: str, row_id: int) -> str:
    """The key with its value replaced by the row's id (unique, as keys must be)."""
    return f"{_prefix(key)}:{ANONYMOUS}{row_id}"


def is_anonymous(key: str) -> bool:
    return key.split(":", 1)[1].startswith(ANONYMOUS)


def _evidence_without(evidence: dict, names: tuple[str, ...]) -> dict:
    params = evidence.get("params") or {}
    gone = {name: LABEL_GONE for name in names if params.get(name, LABEL_GONE) != LABEL_GONE}
    return {**evidence, "params": {**params, **gone}} if gone else evidence


async def traces_purge(*, session: AsyncSession, edition_id: int) -> int:
    """Delete the personal data the scan holds for one edition; return the rows changed."""
    facts = await session.execute(
        update(FraudBallotFact)
        .where(
            FraudBallotFact.edition_id == edition_id,
            or_(FraudBallotFact.net.is_not(None), FraudBallotFact.ipua.is_not(None)),
        )
        .values(net=None, ipua=None)
    )
    changed = facts.rowcount or 0
    for model in (FraudSignal, FraudCase):
        rows = await session.execute(select(model).where(model.edition_id == edition_id))
        for row in rows.scalars():
            key, evidence = row.key, row.evidence or {}
            if _prefix(key) not in KEY_KEPT and not is_anonymous(key):
                key = key_anonymous(key, row.id)
            names = PARAMS_GONE if _prefix(row.key) in LABEL_KEPT else ("label", *PARAMS_GONE)
            evidence = _evidence_without(evidence, names)
            if key != row.key or evidence != (row.evidence or {}):
                row.key, row.evidence = key, evidence
                changed += 1
    await session.flush()
    return changed


async def retention_traces_purge(
    *, session: AsyncSession, now: datetime | None = None
) -> dict[str, int]:
    """``traces_purge`` for every edition whose retention period has ended (the privacy
    purge's editions, by the same clock); edition slug → rows changed, only where something
    changed, each in the audit log."""
    purged = {}
    for edition in await privacy.editions_past_retention(session=session, now=now):
        changed = await traces_purge(session=session, edition_id=edition.id)
        if changed:
            purged[edition.slug] = changed
            await audit_append(
                session=session,
                actor_id=None,
                action="fraud.traces_purge",
                target=f"edition:{edition.slug}",
                details={"rows": changed},
            )
    return purged
