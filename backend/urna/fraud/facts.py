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
    """One aggregate over the rows that say something about a ballot (the ballot itself,
    its choices, its session's page views and voting steps), never a join of aggregates:
    its cost grows with the rows, whatever the planner guesses about them."""
    following = "lead(arrived_at, 1, cast_at) OVER (PARTITION BY ballot_id ORDER BY arrived_at)"
    gap = f"CAST(round({d.epoch(following)} - {d.epoch('arrived_at')}) AS integer)"
    ipua = "b.ip || '|' || substr(md5(coalesce(b.user_agent, '')), 1, 12)"
    return f"""
    WITH b AS (
      SELECT id, submitted_at, ip, user_agent, session_hash FROM ballot
      WHERE edition_id = :edition_id AND id > :since
    ),
    t AS (
      SELECT b.id AS ballot_id, b.submitted_at AS cast_at, r.arrived_at, r.method, r.url
      FROM b JOIN request_log r
        ON r.session_hash = b.session_hash AND r.arrived_at <= b.submitted_at
    ),
    facts AS (
      SELECT b.id AS ballot_id, 'b' AS src, {d.epoch("b.submitted_at")} AS ts,
             {d.network("b.ip")} AS net, CASE WHEN b.ip IS NOT NULL THEN {ipua} END AS ipua,
             {d.match("b.ip", "datacenters")} AS datacenter,
             CASE WHEN b.session_hash IS NOT NULL THEN 0 END AS views,
             CAST(NULL AS double precision) AS clause_ts, CAST(NULL AS text) AS item, 0 AS o
      FROM b
      UNION ALL
      SELECT bc.ballot_id, 'c', NULL, NULL, NULL, NULL, NULL, NULL,
             CAST(bc.project_id AS text), bc.project_id
      FROM ballot_choice bc JOIN b ON b.id = bc.ballot_id
      UNION ALL
      SELECT ballot_id, 'g', NULL, NULL, NULL, NULL,
             CASE WHEN url NOT LIKE :flow_like THEN 1 ELSE 0 END,
             CASE WHEN url = :clause_url THEN {d.epoch("arrived_at")} END, NULL, 0
      FROM t WHERE method = 'GET'
      UNION ALL
      SELECT ballot_id, 'p', NULL, NULL, NULL, NULL, NULL, NULL, CAST(gap AS text), step
      FROM (SELECT ballot_id, {gap} AS gap,
                   row_number() OVER (PARTITION BY ballot_id ORDER BY arrived_at) AS step
            FROM t WHERE method = 'POST' AND url LIKE :flow_like) AS p
    )
    INSERT INTO fraud_ballot_fact ({_COLUMNS})
    SELECT ballot_id, :edition_id, max(ts), max(net), max(ipua), max(datacenter),
           coalesce({d.listagg("item", "o")} FILTER (WHERE src = 'c'), ''),
           max(ts) - min(clause_ts),
           sum(views),
           CASE WHEN count(*) FILTER (WHERE src = 'p') >= :timing_steps
                THEN {d.listagg("item", "o")} FILTER (WHERE src = 'p') END
    FROM (SELECT * FROM facts ORDER BY ballot_id, src, o) AS ordered
    GROUP BY ballot_id
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
