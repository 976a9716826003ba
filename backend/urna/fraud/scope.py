"""The scope of a scan: the temporary ``fraud_scope``, one row per ballot to look at with
its facts and its voter's keyed hashes (never a clear identity).

The full scan's scope is every ballot of the edition. The incremental scan's scope is
its seeds (the new ballots and those of the signals already found) and every ballot that
shares a group with a seed: its IP address, its network's groups (fast or page-less
sessions, one program for a client, its choice set; the whole network only where the
network kind can fire, ``whole_net``), a timing pattern, a listed CIDR, an address, a
guardian or a contact. Every group a seed belongs to is then whole in the scope, and only
groups that hold a seed are evaluated (``is_seed``), so both scans find the same groups.
The shared ballots are found key by key through the indexes, so the incremental scan
costs what the new ballots touch, not what the edition holds."""

from __future__ import annotations

from sqlalchemy import ARRAY, String, any_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.fraud import kinds
from urna.fraud.dialect import Dialect
from urna.fraud.models import FraudBallotFact
from urna.voting.models import Ballot, Voter

TEMPORARY = (
    "fraud_scope",
    "fraud_seed",
    "fraud_related",
    "fraud_member",
    "fraud_fired",
    "fraud_burst",
    "fraud_burst_day",
)
SCAN_LOCK = 0x46524155  # "FRAU": the advisory lock class of the scans, one per edition
CHUNK = 5000  # values per IN list
# Core tables, not ORM entities: thousands of ids are read here, the ORM's rows cost more
FACT, BALLOT, VOTER = FraudBallotFact.__table__, Ballot.__table__, Voter.__table__
_COLUMNS = """
    b.id, f.ts, {host} AS ip, f.net, f.ipua, f.datacenter, {allowed} AS allowed, f.choice_set,
    f.pace, f.views, f.timing, f.program, v.address_key, v.guardian_key, v.contact_key,
    v.birth_order, v.guardian_role, b.age_band, {whole} AS whole_net"""
_SEEDS = """
    CREATE TEMP TABLE fraud_seed AS
    SELECT ballot_id AS id FROM fraud_ballot_fact
    WHERE edition_id = :edition_id AND ballot_id > :since
    UNION
    SELECT sb.ballot_id FROM fraud_signal_ballot sb
    JOIN fraud_signal g ON g.id = sb.signal_id WHERE g.edition_id = :edition_id"""
_SEED_KEYS = """
    SELECT DISTINCT f.timing, f.datacenter, v.address_key, v.guardian_key, v.contact_key
    FROM fraud_seed s JOIN fraud_ballot_fact f ON f.ballot_id = s.id
    JOIN ballot b ON b.id = s.id LEFT JOIN voter v ON v.id = b.voter_id"""
_FACT_KEYS = ("timing", "datacenter")
_NETWORK = next(kind for kind in kinds.KINDS if kind.name == "network")
# The ballots of the seeds' networks (IPv4 /24s) the groups holding a seed need: those of
# the seeds' IP addresses (the kinds by IP, IP and browser, births by IP), of the seeds'
# choice sets, of their fast or page-less sessions, of their programs, and whole
# networks only where the network kind can fire (counted here over the whole network). A
# mobile operator's /24 holds hundreds of ballots of which a new one shares a group with a
# few: read in the index, they no longer go to the scope with all their columns, nor
# through its 17 kinds.
# The address is the one the facts were computed from (``ipua``), not the ballot's: the
# same, as a ballot's address never changes, except after the retention purge, which
# empties every address of the edition at once (the facts' then only add to the scope,
# and no network group fires without addresses); a ballot per row less to read.
_NETWORKS = f"""
    WITH s AS (
      SELECT f.net, {{ip}} AS ip, f.pace, f.views, f.choice_set, f.program FROM fraud_seed x
      JOIN fraud_ballot_fact f ON f.ballot_id = x.id WHERE f.net IS NOT NULL
    ),
    a AS (
      SELECT f.ballot_id AS id, f.net, {{ip}} AS ip, f.pace, f.views, f.choice_set, f.program
      FROM fraud_ballot_fact f
      WHERE f.edition_id = :edition_id AND f.net IN (SELECT net FROM s)
    ),
    c AS (SELECT a.*, {{allowed}} AS allowed FROM a),
    whole AS (
      SELECT s.net FROM c AS s WHERE {kinds.NETWORK} GROUP BY s.net
      HAVING count(*) >= {_NETWORK.floor} AND ({_NETWORK.having})
    )
    SELECT c.id, CASE WHEN c.net IN (SELECT net FROM whole) THEN 1 ELSE 0 END AS whole
    FROM c
    WHERE c.net IN (SELECT net FROM whole) OR c.ip IN (SELECT ip FROM s)
       OR (c.pace < {kinds.PACE_FAST} AND c.net IN (SELECT net FROM s
                                                    WHERE pace < {kinds.PACE_FAST}))
       OR (c.views = 0 AND c.net IN (SELECT net FROM s WHERE views = 0))
       OR EXISTS (SELECT 1 FROM s WHERE s.net = c.net AND s.program = c.program)
       OR EXISTS (SELECT 1 FROM s WHERE s.net = c.net AND s.choice_set = c.choice_set)"""
_VOTER_KEYS = ("address_key", "guardian_key", "contact_key")


async def scan_prepare(
    session: AsyncSession, d: Dialect, edition_id: int, *, incremental: bool = False
) -> None:
    """One scan of an edition at a time (the worker's and a command's would fight over
    the same signals): a transaction-level advisory lock, released at commit. Sorts and
    hashes in memory rather than on disk (PostgreSQL's default 4 MB spills a
    200,000-ballot edition), for this transaction only.

    The incremental scan looks up a few thousand keys and ballots in tables of hundreds
    of thousands of rows, pages the edition's recent scans keep in memory: priced as
    random reads from disk (PostgreSQL's default 4), each lookup made the planner read a
    whole table instead of its index (EXPLAIN ANALYZE at 200,000 ballots: the facts, the
    voters and the choices read whole, about a second of the scan). Parallel workers
    only add their start-up to such small reads, and compiling a statement (JIT, which
    PostgreSQL starts above a cost the planner reaches with a few thousand rows
    estimated) took 80 ms of a 190 ms lookup (EXPLAIN ANALYZE) to save less."""
    if d.postgres:  # one statement: each is a round trip, and the server is busy
        settings = {"work_mem": "64MB"}
        if incremental:
            settings |= {"random_page_cost": "1.1", "max_parallel_workers_per_gather": "0"}
            settings |= {"jit": "off"}
        values = ", ".join(
            f"set_config('{name}', '{value}', true)" for name, value in settings.items()
        )
        await session.execute(
            text(f"SELECT pg_advisory_xact_lock(:kind, :edition_id), {values}"),
            {"kind": SCAN_LOCK, "edition_id": edition_id},
        )


async def table_analyze(session: AsyncSession, d: Dialect, table: str) -> None:
    """Statistics for a table just filled (PostgreSQL never analyses temporary tables by
    itself): without them the planner guesses one row and loops over the scope."""
    if d.postgres:
        await session.execute(text(f"ANALYZE {table}"))


async def scope_drop(session: AsyncSession, d: Dialect) -> None:
    if d.postgres:  # one statement, not six round trips
        await session.execute(text(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY)}"))
        return
    for table in TEMPORARY:
        await session.execute(text(f"DROP TABLE IF EXISTS {table}"))


async def _related(
    session: AsyncSession, d: Dialect, edition_id: int, allowed: list[str]
) -> dict[int, int]:
    """The seeds and every ballot sharing one of their groups → 1 if its whole network
    is in the scope (the network kind may group it), else 0. Looked up key by key (on
    PostgreSQL each kind of key as one array: no statement with thousands of parameters
    to build)."""
    found = {row[0]: 0 for row in await session.execute(text("SELECT id FROM fraud_seed"))}
    networks = text(_NETWORKS.format(ip=d.address_of("f.ipua"), allowed=d.match("a.ip", "allowed")))
    params = {"edition_id": edition_id, "allowed": d.networks_param(allowed)}
    for ballot_id, whole in await session.execute(networks, params):
        found[ballot_id] = whole
    keys: dict[str, set[str]] = {name: set() for name in _FACT_KEYS + _VOTER_KEYS}
    for row in await session.execute(text(_SEED_KEYS)):
        for name, value in row._mapping.items():
            if value is not None:
                keys[name].add(value)
    for name, values in keys.items():
        ordered = sorted(values)
        size = max(len(ordered), 1) if d.postgres else CHUNK
        for start in range(0, len(ordered), size):
            chunk = ordered[start : start + size]
            column = FACT.c[name] if name in _FACT_KEYS else VOTER.c[name]
            match = (
                column == any_(bindparam("keys", chunk, type_=ARRAY(String)))
                if d.postgres
                else column.in_(chunk)
            )
            if name in _FACT_KEYS:
                query = select(FACT.c.ballot_id).where(FACT.c.edition_id == edition_id, match)
            else:
                query = (
                    select(BALLOT.c.id)
                    .join(VOTER, VOTER.c.id == BALLOT.c.voter_id)
                    .where(VOTER.c.edition_id == edition_id, match)
                )
            for (ballot_id,) in await session.execute(query):
                found.setdefault(ballot_id, 0)
    return found


async def _related_store(session: AsyncSession, d: Dialect, related: dict[int, int]) -> None:
    await session.execute(text("CREATE TEMP TABLE fraud_related (id BIGINT, whole INTEGER)"))
    if not related:
        return
    ids = sorted(related)
    if d.postgres:  # arrays, not thousands of parameter sets
        await session.execute(
            text(
                "INSERT INTO fraud_related (id, whole) "
                "SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:whole AS integer[]))"
            ),
            {"ids": ids, "whole": [related[i] for i in ids]},
        )
    else:
        await session.execute(
            text("INSERT INTO fraud_related (id, whole) VALUES (:id, :whole)"),
            [{"id": i, "whole": related[i]} for i in ids],
        )


async def scope_build(
    session: AsyncSession, d: Dialect, *, edition_id: int, since: int | None, allowed: list[str]
) -> None:
    """Fill the temporary ``fraud_scope`` (``since`` None: the full scan)."""
    await scope_drop(session, d)
    allowed_sql = d.match("b.ip", "allowed")
    params = {"edition_id": edition_id, "since": since or 0, "allowed": d.networks_param(allowed)}
    if since is None:
        columns = _COLUMNS.format(allowed=allowed_sql, whole="1", host=d.host("b.ip"))
        sql = f"""CREATE TEMP TABLE fraud_scope AS SELECT {columns}, 1 AS is_seed
            FROM ballot b JOIN fraud_ballot_fact f ON f.ballot_id = b.id
            LEFT JOIN voter v ON v.id = b.voter_id WHERE b.edition_id = :edition_id"""
    else:
        await session.execute(text(_SEEDS), params)
        await table_analyze(session, d, "fraud_seed")
        await _related_store(session, d, await _related(session, d, edition_id, allowed))
        await table_analyze(session, d, "fraud_related")
        columns = _COLUMNS.format(allowed=allowed_sql, whole="r.whole", host=d.host("b.ip"))
        sql = f"""CREATE TEMP TABLE fraud_scope AS
            SELECT {columns},
                   CASE WHEN b.id IN (SELECT id FROM fraud_seed) THEN 1 ELSE 0 END AS is_seed
            FROM fraud_related r JOIN ballot b ON b.id = r.id
            JOIN fraud_ballot_fact f ON f.ballot_id = b.id
            LEFT JOIN voter v ON v.id = b.voter_id"""
    await session.execute(text(sql), params)
    await table_analyze(session, d, "fraud_scope")
    await session.execute(text("CREATE TEMP TABLE fraud_member (key TEXT, ballot_id BIGINT)"))
    await session.execute(text("CREATE TEMP TABLE fraud_fired (key TEXT)"))
