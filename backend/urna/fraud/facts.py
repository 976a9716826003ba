"""Each ballot's facts for the scan, computed once in one set-based statement: its network,
choice set, and from its session's request log the pace, the page views before the cast
and the timing of the voting steps.

Only requests before the cast are read; a request log written a little after the ballot
(the writer works in batches) is read by the next full scan, which recomputes every
fact of the edition."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.fraud.dialect import Dialect

_COLUMNS = "ballot_id, edition_id, ts, net, ipua, datacenter, choice_set, pace, views, timing"


def _facts_sql(d: Dialect) -> str:
    following = "lead(arrived_at, 1, cast_at) OVER (PARTITION BY ballot_id ORDER BY arrived_at)"
    gap = f"CAST(round({d.epoch(following)} - {d.epoch('arrived_at')}) AS integer)"
    return f"""
    WITH b AS (
      SELECT id, submitted_at, ip, user_agent, session_hash FROM ballot
      WHERE edition_id = :edition_id AND id > :since
    ),
    c AS (
      SELECT ballot_id, {d.listagg("CAST(project_id AS text)", "project_id")} AS choice_set
      FROM (SELECT bc.ballot_id, bc.project_id FROM ballot_choice bc
            JOIN b ON b.id = bc.ballot_id ORDER BY bc.ballot_id, bc.project_id) AS o
      GROUP BY ballot_id
    ),
    t AS (
      SELECT b.id AS ballot_id, b.submitted_at AS cast_at, r.arrived_at, r.method, r.url
      FROM b JOIN request_log r
        ON r.session_hash = b.session_hash AND r.arrived_at <= b.submitted_at
    ),
    v AS (
      SELECT ballot_id,
             min(arrived_at) FILTER (WHERE method = 'GET' AND url = :clause_url) AS clause_at,
             count(*) FILTER (WHERE method = 'GET' AND url NOT LIKE :flow_like) AS views
      FROM t GROUP BY ballot_id
    ),
    s AS (
      SELECT ballot_id, {d.listagg("CAST(gap AS text)", "arrived_at")} AS timing,
             count(*) AS steps
      FROM (SELECT ballot_id, arrived_at, {gap} AS gap FROM t
            WHERE method = 'POST' AND url LIKE :flow_like
            ORDER BY ballot_id, arrived_at) AS o
      GROUP BY ballot_id
    )
    INSERT INTO fraud_ballot_fact ({_COLUMNS})
    SELECT b.id, :edition_id, {d.epoch("b.submitted_at")}, {d.network("b.ip")},
           CASE WHEN b.ip IS NOT NULL
                THEN b.ip || '|' || substr(md5(coalesce(b.user_agent, '')), 1, 12) END,
           {d.match("b.ip", "datacenters")},
           coalesce(c.choice_set, ''),
           {d.epoch("b.submitted_at")} - {d.epoch("v.clause_at")},
           CASE WHEN b.session_hash IS NOT NULL THEN coalesce(v.views, 0) END,
           CASE WHEN s.steps >= :timing_steps THEN s.timing END
    FROM b LEFT JOIN c ON c.ballot_id = b.id
           LEFT JOIN v ON v.ballot_id = b.id
           LEFT JOIN s ON s.ballot_id = b.id
    """


# A timing pattern needs this many steps (POSTs of the vote flow) to say anything.
TIMING_STEPS = 4


async def facts_compute(
    session: AsyncSession,
    d: Dialect,
    *,
    edition_id: int,
    slug: str,
    since: int,
    datacenters: Sequence[str],
) -> int:
    """(Re)compute the facts of the edition's ballots with ids above ``since``."""
    await session.execute(
        text("DELETE FROM fraud_ballot_fact WHERE edition_id = :edition_id AND ballot_id > :since"),
        {"edition_id": edition_id, "since": since},
    )
    result = await session.execute(
        text(_facts_sql(d)),
        {
            "edition_id": edition_id,
            "since": since,
            "clause_url": f"/e/{slug}/vote",
            "flow_like": f"/e/{slug}/vote%",
            "datacenters": d.networks_param(datacenters),
            "timing_steps": TIMING_STEPS,
        },
    )
    return result.rowcount or 0
