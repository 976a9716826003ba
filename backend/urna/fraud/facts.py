"""Each ballot's facts for the scan, computed once in one set-based statement: its network,
choice set, and from its session's request log the pace, the page views before the cast
and the timing of the voting steps; then whether its client was a program (a user agent
read in Python, once per distinct string, and written to the new facts by one UPDATE).

Only requests before the cast are read; a request log written a little after the ballot
(the writer works in batches) is read by the next full scan, which recomputes every
fact of the edition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.fraud.agents import agent_program
from urna.fraud.dialect import Dialect

_COLUMNS = "ballot_id, edition_id, ts, net, ipua, datacenter, choice_set, pace, views, timing"


# What a session loads counts as a page view (a page, a style sheet, an image: what a
# browser showing the site fetches; a session starts at the first form, the clause page,
# so what that page loads is most of what a browser leaves) unless it failed (a script's
# guesses answered 404) or is the service's own: the probes', the metrics', a load test's.
NOT_PAGES = ("/_loadtest%", "/healthz%", "/readyz%", "/metrics%", "/openapi.json%")
_PAGE = " AND ".join(
    ["r.method = 'GET'", "r.status < 400", "r.url NOT LIKE :flow_like"]
    + [f"r.url NOT LIKE '{pattern}'" for pattern in NOT_PAGES]
)


def _facts_sql(d: Dialect) -> str:
    """Per ballot, one row from each source (the ballot, its choices, its session's
    requests), each source aggregated by itself, then the rows folded by ballot: never a
    join of aggregates, so the cost grows with the rows whatever the planner guesses.

    The timing pattern is the seconds from each voting step to the cast: identical for
    a script that sleeps the same between steps, never for two people."""
    post = "r.method = 'POST' AND r.url LIKE :flow_like"
    before_cast = (
        f"CAST(CAST(round({d.epoch('b.submitted_at')} - {d.epoch('r.arrived_at')}) AS integer)"
        " AS text)"
    )
    ipua = f"{d.host('b.ip')} || '|' || substr(md5(coalesce(b.user_agent, '')), 1, 12)"
    return f"""
    WITH b AS (
      SELECT id, submitted_at, ip, user_agent, session_hash FROM ballot
      WHERE edition_id = :edition_id AND id > :since
    ),
    facts AS (
      SELECT b.id AS ballot_id, {d.epoch("b.submitted_at")} AS ts,
             {d.network("b.ip")} AS net, CASE WHEN b.ip IS NOT NULL THEN {ipua} END AS ipua,
             {d.match("b.ip", "datacenters")} AS datacenter,
             CAST(NULL AS text) AS choice_set,
             CASE WHEN b.session_hash IS NOT NULL THEN 0 END AS views,
             CAST(NULL AS double precision) AS clause_ts, CAST(NULL AS text) AS timing
      FROM b
      UNION ALL
      SELECT ballot_id, NULL, NULL, NULL, NULL,
             {d.listagg("CAST(project_id AS text)", "project_id")}, NULL, NULL, NULL
      FROM (SELECT bc.ballot_id, bc.project_id FROM ballot_choice bc
            JOIN b ON b.id = bc.ballot_id {d.presorted("bc.ballot_id, bc.project_id")}) AS c
      GROUP BY ballot_id
      UNION ALL
      SELECT ballot_id, NULL, NULL, NULL, NULL, NULL, sum(view),
             min(clause_ts),
             CASE WHEN sum(step) >= :timing_steps
                  THEN {d.listagg("before_cast", "arrived_at")} FILTER (WHERE step = 1) END
      FROM (SELECT b.id AS ballot_id, r.arrived_at,
                   CASE WHEN {_PAGE} THEN 1 ELSE 0 END AS view,
                   CASE WHEN r.method = 'GET' AND r.url = :clause_url
                        THEN {d.epoch("r.arrived_at")} END AS clause_ts,
                   CASE WHEN {post} THEN 1 ELSE 0 END AS step,
                   {before_cast} AS before_cast
            FROM b JOIN request_log r
              ON r.session_hash = b.session_hash AND r.arrived_at <= b.submitted_at
            {d.presorted("b.id, r.arrived_at")}) AS l
      GROUP BY ballot_id
    )
    INSERT INTO fraud_ballot_fact ({_COLUMNS})
    SELECT ballot_id, :edition_id, max(ts), max(net), max(ipua), max(datacenter),
           coalesce(max(choice_set), ''), max(ts) - min(clause_ts), sum(views), max(timing)
    FROM facts GROUP BY ballot_id
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
    await programs_mark(session, edition_id=edition_id, since=since)
    if result.rowcount >= 0:
        return result.rowcount
    # SQLite counts no rows for an INSERT that starts with WITH (-1): count what it wrote
    return (
        await session.execute(
            text(
                "SELECT count(*) FROM fraud_ballot_fact"
                " WHERE edition_id = :edition_id AND ballot_id > :since"
            ),
            {"edition_id": edition_id, "since": since},
        )
    ).scalar_one()


_AGENTS = """
    SELECT DISTINCT user_agent FROM ballot
    WHERE edition_id = :edition_id AND id > :since AND channel = 'online'"""
# One statement for every program found, however many strings a script rotates through.
_PROGRAMS = """
    UPDATE fraud_ballot_fact SET program = a.program
    FROM ballot b JOIN fraud_agent a ON a.user_agent = coalesce(b.user_agent, '')
    WHERE b.id = fraud_ballot_fact.ballot_id AND b.edition_id = :edition_id
      AND b.id > :since AND b.channel = 'online'
      AND fraud_ballot_fact.edition_id = :edition_id AND fraud_ballot_fact.ballot_id > :since"""


async def programs_mark(session: AsyncSession, *, edition_id: int, since: int) -> None:
    """Name the client of the new facts' online ballots whose user agent is not a
    person's web browser. Each distinct string is read once (and remembered by the
    process): a full scan of 200,000 ballots reads a few thousand strings, the
    incremental scan a few new ones; nothing is written when every client is a browser."""
    params = {"edition_id": edition_id, "since": since}
    found = {}
    for (user_agent,) in await session.execute(text(_AGENTS), params):
        program = agent_program(user_agent)
        if program is not None:
            found[user_agent or ""] = program
    if not found:
        return
    await session.execute(text("DROP TABLE IF EXISTS fraud_agent"))
    await session.execute(text("CREATE TEMP TABLE fraud_agent (user_agent TEXT, program TEXT)"))
    await session.execute(
        text("INSERT INTO fraud_agent (user_agent, program) VALUES (:user_agent, :program)"),
        [{"user_agent": agent, "program": program} for agent, program in sorted(found.items())],
    )
    await session.execute(text(_PROGRAMS), params)
    await session.execute(text("DROP TABLE fraud_agent"))


# The counters' days are Polish calendar days (``dialect.local_day``).
_RECOUNT = """
    INSERT INTO fraud_project_day (edition_id, project_id, day, ballots)
    SELECT :edition_id, bc.project_id, {day}, count(*)
    FROM fraud_ballot_fact f JOIN ballot_choice bc ON bc.ballot_id = f.ballot_id
    WHERE f.edition_id = :edition_id
    GROUP BY bc.project_id, {day}"""
_COUNT_AFTER = """
    SELECT bc.project_id, {day}, count(*)
    FROM fraud_ballot_fact f JOIN ballot_choice bc ON bc.ballot_id = f.ballot_id
    WHERE f.edition_id = :edition_id AND f.ballot_id > :since
    GROUP BY bc.project_id, {day}"""
_ADD = """
    INSERT INTO fraud_project_day (edition_id, project_id, day, ballots)
    VALUES (:edition_id, :project_id, :day, :ballots)
    ON CONFLICT (edition_id, project_id, day)
    DO UPDATE SET ballots = fraud_project_day.ballots + excluded.ballots"""

ProjectDays = Counter[tuple[int, int]]  # (project id, day) -> ballots


async def project_days_after(
    session: AsyncSession, d: Dialect, *, edition_id: int, since: int
) -> ProjectDays:
    """Ballots per project per day among the facts of the ballots after ``since``: read
    before and after ``facts_compute`` replaces them, the difference is what the counters
    must change by. Through the primary keys: a thousand ballots read a thousand facts."""
    sql = _COUNT_AFTER.format(day=d.local_day("f.ts"))
    rows = await session.execute(text(sql), {"edition_id": edition_id, "since": since})
    return Counter({(project_id, day): n for project_id, day, n in rows})


async def project_days_count(session: AsyncSession, d: Dialect, *, edition_id: int) -> None:
    """Recount ballots per project per day (the counters bursts are measured against)
    from every fact of the edition: the full scan."""
    params = {"edition_id": edition_id}
    await session.execute(
        text("DELETE FROM fraud_project_day WHERE edition_id = :edition_id"), params
    )
    await session.execute(text(_RECOUNT.format(day=d.local_day("f.ts"))), params)


async def project_days_change(
    session: AsyncSession, *, edition_id: int, before: ProjectDays, after: ProjectDays
) -> None:
    """Bring the counters from ``before`` to ``after`` (the incremental scan): what the
    full scan's recount gives, without reading a whole day's ballots and their choices
    (at 200,000 ballots a day holds 14,000 of them, and its recount read every choice of
    the edition: 0.2-0.7 s)."""
    changes = [
        {"edition_id": edition_id, "project_id": project_id, "day": day, "ballots": n}
        for (project_id, day), n in sorted(
            (key, after[key] - before[key]) for key in after.keys() | before.keys()
        )
        if n
    ]
    if not changes:
        return
    await session.execute(text(_ADD), changes)
    await session.execute(
        text("DELETE FROM fraud_project_day WHERE edition_id = :edition_id AND ballots <= 0"),
        {"edition_id": edition_id},
    )
