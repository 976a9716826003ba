"""The scan's groups: for each kind, the groups of the scope that fire, with the ballots
they hold (written to the temporary ``fraud_member``), in set-based SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.fraud import kinds as k
from urna.fraud.dialect import Dialect, day_bounds


async def _members_add(session: AsyncSession, keys: list[str], select_members: str, params) -> None:
    """Record the ballots of the fired ``keys``; ``select_members`` yields (key, ballot_id)."""
    if not keys:
        return
    await session.execute(text("DELETE FROM fraud_fired"))
    await session.execute(
        text("INSERT INTO fraud_fired (key) VALUES (:key)"), [{"key": key} for key in keys]
    )
    await session.execute(
        text(
            "INSERT INTO fraud_member (key, ballot_id) SELECT m.key, m.id "
            f"FROM ({select_members}) AS m WHERE m.key IN (SELECT key FROM fraud_fired)"
        ),
        params,
    )


def _fired_members(index: int, kind: k.Kind, inline: str) -> tuple[str, str]:
    """The CTEs of one kind (its groups ``m<i>``, those that fire ``g<i>``) and the
    SELECT of their members."""
    having = f"AND ({kind.having})" if kind.having else ""
    ctes = f"""
    m{index} AS {inline}(SELECT {kind.key} AS key, s.* FROM fraud_scope s WHERE {kind.where}),
    g{index} AS (
      SELECT s.key FROM m{index} AS s WHERE s.key IS NOT NULL GROUP BY s.key
      HAVING count(*) >= {kind.floor} AND max(s.is_seed) = 1 {having}
    )"""
    return ctes, f"SELECT key, id FROM m{index} WHERE key IN (SELECT key FROM g{index})"


async def kinds_groups(
    session: AsyncSession, d: Dialect, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The groups of every kind that fire (holding a seed), each described by n, first
    and last time, the busiest hour (``peak`` ballots up to ``peak_ts``), ``prior``
    ballots in the 14 days before it, the ballots of its most common choice set
    (``same``), and ``kinds.DESCRIPTION``. Two statements: the
    members of the groups that fire go to ``fraud_member``, then the groups are
    described from them.

    On PostgreSQL each kind's rows are read from the scope where used rather than
    materialised: a kind's copy of every scope row with all its columns cost more than
    reading the scope twice (EXPLAIN ANALYZE, incremental scan at 200,000 ballots: 12-15
    ms a kind, 16 kinds)."""
    inline = "NOT MATERIALIZED " if d.postgres else ""
    parts = [_fired_members(index, kind, inline) for index, kind in enumerate(k.KINDS)]
    ctes = ",".join(cte for cte, _members in parts)
    members = "\n    UNION ALL ".join(select for _ctes, select in parts)
    await session.execute(
        text(f"WITH {ctes}\n    INSERT INTO fraud_member (key, ballot_id)\n    {members}"),
        params,
    )
    sql = f"""
    WITH m AS (SELECT fm.key, s.* FROM fraud_member fm JOIN fraud_scope s ON s.id = fm.ballot_id),
    g AS (
      SELECT s.key, count(*) AS n, min(s.ts) AS first_ts, max(s.ts) AS last_ts,
             {k.DESCRIPTION}
      FROM m AS s GROUP BY s.key
    ),
    w AS (
      SELECT key, ts,
        count(*) OVER (PARTITION BY key ORDER BY ts
                       RANGE BETWEEN {k.HOUR} PRECEDING AND CURRENT ROW) AS peak,
        count(*) OVER (PARTITION BY key ORDER BY ts
                       RANGE BETWEEN {k.HISTORY} PRECEDING AND {k.HOUR} PRECEDING) AS prior
      FROM m
    ),
    p AS (
      SELECT key, ts AS peak_ts, peak, prior,
             row_number() OVER (PARTITION BY key ORDER BY peak DESC, ts) AS rk
      FROM w
    ),
    c AS (
      SELECT key, max(ballots) AS same
      FROM (SELECT key, count(*) AS ballots FROM m GROUP BY key, choice_set) AS x GROUP BY key
    )
    SELECT g.*, p.peak_ts, p.peak, p.prior, c.same
    FROM g JOIN p ON p.key = g.key AND p.rk = 1 JOIN c ON c.key = g.key
    ORDER BY g.key
    """
    return [dict(row._mapping) for row in await session.execute(text(sql), params)]


async def groups_agents(session: AsyncSession, prefixes: list[str]) -> dict[str, tuple[str, int]]:
    """For each fired group whose key starts with one of ``prefixes`` (the program kind's,
    one browser's): one of its user agents and how many different ones it holds (its
    members are in ``fraud_member``; the facts keep no user agent)."""
    if not prefixes:
        return {}
    like = " OR ".join(f"m.key LIKE :p{i}" for i in range(len(prefixes)))
    rows = await session.execute(
        text(
            "SELECT m.key, min(coalesce(b.user_agent, '')), "
            "count(DISTINCT coalesce(b.user_agent, '')) "
            f"FROM fraud_member m JOIN ballot b ON b.id = m.ballot_id WHERE {like} GROUP BY m.key"
        ),
        {f"p{i}": f"{prefix}%" for i, prefix in enumerate(prefixes)},
    )
    return {key: (agent, int(count)) for key, agent, count in rows}


async def births_groups(session: AsyncSession, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Ballots of one IP, address or guardian whose dates of birth follow one another."""
    low, high = k.BIRTHS_STEP
    members = f"""
    WITH u AS (
      SELECT 'births:ip:' || ip AS grp, id, ts, birth_order, is_seed FROM fraud_scope
      WHERE ip IS NOT NULL AND allowed IS NULL AND birth_order IS NOT NULL
      UNION ALL
      SELECT 'births:address:' || address_key, id, ts, birth_order, is_seed FROM fraud_scope
      WHERE address_key IS NOT NULL AND birth_order IS NOT NULL
      UNION ALL
      SELECT 'births:guardian:' || guardian_key, id, ts, birth_order, is_seed FROM fraud_scope
      WHERE guardian_key IS NOT NULL AND birth_order IS NOT NULL
    ),
    big AS (
      SELECT grp FROM u GROUP BY grp
      HAVING count(*) >= {k.BIRTHS_FLOOR} AND max(is_seed) = 1
    ),
    o AS (
      SELECT u.grp, u.id, u.ts,
        u.birth_order - lag(u.birth_order) OVER births AS gap_before,
        lead(u.birth_order) OVER births - u.birth_order AS gap_after
      FROM u JOIN big ON big.grp = u.grp
      WINDOW births AS (PARTITION BY u.grp ORDER BY u.birth_order, u.id)
    )
    SELECT grp AS key, id, ts FROM o
    WHERE gap_before BETWEEN {low} AND {high} OR gap_after BETWEEN {low} AND {high}"""
    sql = f"""SELECT key, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
        FROM ({members}) AS x GROUP BY key HAVING count(*) >= {k.BIRTHS_FLOOR} ORDER BY key"""
    rows = [dict(row._mapping) for row in await session.execute(text(sql), params)]
    await _members_add(session, [row["key"] for row in rows], members, params)
    return rows


_BURST_DAYS = f"""
    WITH touched AS (
      SELECT DISTINCT bc.project_id, {{day}} AS day
      FROM fraud_scope s JOIN ballot_choice bc ON bc.ballot_id = s.id WHERE s.is_seed = 1
    ),
    h AS (
      SELECT project_id, day, ballots AS n,
        coalesce(sum(ballots) OVER (PARTITION BY project_id ORDER BY day
                                    RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING), 0) AS week,
        day - min(day) OVER (PARTITION BY project_id) AS age
      FROM fraud_project_day
      WHERE edition_id = :edition_id
        AND project_id IN (SELECT project_id FROM touched)
    ),
    u AS (
      SELECT project_id, day, n, age, CAST(week AS double precision)
             / (CASE WHEN age < 1 THEN 1 WHEN age < 7 THEN age ELSE 7 END) AS usual
      FROM h
    )
    SELECT u.project_id, u.day, u.n, u.usual
    FROM u JOIN touched t ON t.project_id = u.project_id AND t.day = u.day
    WHERE u.n >= {k.BURST_MIN} AND u.age >= {k.BURST_HISTORY_DAYS}
      AND u.n >= {k.BURST_FACTOR} * (u.usual + 1)
    ORDER BY u.project_id, u.day"""
# The ballots of every burst day at once, each day's facts read once whatever the number
# of its projects (a day is a burst for most projects at once on the last day's rush: one
# statement per project read the day's 46,000 facts 30 times, 15 s at full size); the
# ballot's address only when the allow-list has networks to leave out.
_BURST_BALLOTS = """
    WITH f AS (
      SELECT f.ballot_id, f.ts, f.net, w.low
      FROM (SELECT DISTINCT low, high FROM fraud_burst_day) AS w
      JOIN fraud_ballot_fact f ON f.edition_id = :edition_id AND f.ts >= w.low AND f.ts < w.high
      {ballot}
      WHERE f.net IS NOT NULL {allowed}
    ),
    c AS (
      SELECT d.key, d.project_id, d.day, d.n, d.usual, f.ballot_id, f.ts, f.net
      FROM f JOIN ballot_choice bc ON bc.ballot_id = f.ballot_id
      JOIN fraud_burst_day d ON d.project_id = bc.project_id AND d.low = f.low
    ),
    nets AS (
      SELECT key, net FROM c GROUP BY key, n, net
      HAVING count(*) >= {least} AND count(*) >= {share} * n
    )
    INSERT INTO fraud_burst (key, id, ts, project_id, day, n, usual, net)
    SELECT c.key, c.ballot_id, c.ts, c.project_id, c.day, c.n, c.usual, c.net
    FROM c JOIN nets ON nets.key = c.key AND nets.net = c.net"""


async def burst_groups(
    session: AsyncSession, d: Dialect, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Days on which a project got a burst of ballots concentrated on a few networks.

    Measured against the project's own days before (the ``fraud_project_day`` counters,
    of Polish calendar days: the average of up to 7 days), on the days the scope's seeds
    chose the project (a day with no seed has neither new ballots nor a signal to
    revisit); only the ballots of the burst days are read, each day once."""
    await session.execute(
        text(
            "CREATE TEMP TABLE fraud_burst (key TEXT, id BIGINT, ts DOUBLE PRECISION, "
            "project_id INTEGER, day INTEGER, n INTEGER, usual DOUBLE PRECISION, net TEXT)"
        )
    )
    days = (await session.execute(text(_BURST_DAYS.format(day=d.local_day("s.ts"))), params)).all()
    if days:
        await session.execute(
            text(
                "CREATE TEMP TABLE fraud_burst_day (key TEXT, project_id INTEGER, day INTEGER, "
                "n INTEGER, usual DOUBLE PRECISION, low DOUBLE PRECISION, high DOUBLE PRECISION)"
            )
        )
        await session.execute(
            text(
                "INSERT INTO fraud_burst_day (key, project_id, day, n, usual, low, high) "
                "VALUES (:key, :project_id, :day, :n, :usual, :low, :high)"
            ),
            [
                {
                    "key": f"burst:{project_id}:{day}",
                    "project_id": project_id,
                    "day": day,
                    "n": n,
                    "usual": usual,
                    "low": low,
                    "high": high,
                }
                for project_id, day, n, usual in days
                for low, high in [day_bounds(day)]
            ],
        )
        if d.postgres:  # a temporary table's statistics, or the planner guesses one row
            await session.execute(text("ANALYZE fraud_burst_day"))
        listed = bool(params["allowed"])
        insert = _BURST_BALLOTS.format(
            ballot="JOIN ballot b ON b.id = f.ballot_id" if listed else "",
            allowed=f"AND {d.match('b.ip', 'allowed')} IS NULL" if listed else "",
            least=k.BURST_NET_MIN,
            share=k.BURST_NET_SHARE,
        )
        await session.execute(text(insert), params)
    sql = f"""SELECT key, project_id, day, n AS day_n, usual, count(*) AS n,
            count(DISTINCT net) AS networks, min(net) AS label,
            min(ts) AS first_ts, max(ts) AS last_ts
        FROM fraud_burst GROUP BY key, project_id, day, n, usual
        HAVING count(*) >= {k.BURST_CONCENTRATION} * n ORDER BY key"""
    rows = [dict(row._mapping) for row in await session.execute(text(sql))]
    await _members_add(session, [row["key"] for row in rows], "SELECT key, id FROM fraud_burst", {})
    return rows
