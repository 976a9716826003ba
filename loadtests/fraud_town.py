"""The generated town of the fraud benchmark (``bench_fraud.py``): its edition, and its
ballots, voters, choices and request logs written inside PostgreSQL with
``generate_series``, attacks mixed in (Wrocław, Lublin, a data-centre script)."""

from __future__ import annotations

from datetime import timedelta

import asyncpg


def edition_data(now) -> dict:
    pools = [
        {
            "code": "CITY",
            "name": "Ogólnomiejska",
            "kind": "citywide",
            "budget": 10**9,
            "max_choices": 3,
        },
        {
            "code": "N",
            "name": "Północ",
            "kind": "district",
            "area": "N",
            "budget": 10**8,
            "max_choices": 2,
        },
        {
            "code": "S",
            "name": "Południe",
            "kind": "district",
            "area": "S",
            "budget": 10**8,
            "max_choices": 2,
        },
    ]
    projects = [
        {
            "number": f"{pool['code'][0]}{i}",
            "pool": pool["code"],
            "title": f"Projekt {i}",
            "cost": 1_000_00 * i,
            **({"area": pool["area"]} if "area" in pool else {}),
        }
        for pool in pools
        for i in range(1, 11)
    ]
    return {
        "slug": "bench-fraud",
        "name": "Budżet obywatelski (benchmark)",
        "municipality": "Gmina Testowo",
        "voting_opens_at": (now - timedelta(days=15)).isoformat(),
        "voting_closes_at": (now + timedelta(days=5)).isoformat(),
        "results_at": (now + timedelta(days=20)).isoformat(),
        "max_ballots_per_contact": 5,
        "areas": [{"code": "N", "name": "Północ"}, {"code": "S", "name": "Południe"}],
        "streets": [{"name": "ul. Lipowa", "area": "N"}, {"name": "ul. Słoneczna", "area": "S"}],
        "pools": pools,
        "projects": projects,
        "clause": {"title": "Klauzula", "body": "Administrator: Burmistrz.", "body_en": "Mayor."},
    }


def h(value: str, salt: int) -> str:
    """A deterministic pseudo-random non-negative number from ``value`` (SQL)."""
    return f"(hashint8(({value}) * 31 + {salt})::bigint + 2147483648)"


WROCLAW = "i BETWEEN :first + 1000 AND :first + 1319"
LUBLIN = "i BETWEEN :first + 2000 AND :first + 2039"
SCRIPT = "i BETWEEN :first + 3000 AND :first + 3049"
# The i-th ballot of the generated town (ids :first to :last), cast :spacing seconds after
# the one before. Households of about 2.5 people share an address and a home IP; one
# ballot in 20 comes from a mobile operator's 64 /24s (many addresses, a few ballots each).
BALLOT_COLUMNS = f"""
    i AS id,
    CAST(:start AS timestamptz)
      + make_interval(secs => (i - :first) * :spacing + {h("i", 1)} % 600) AS at,
    CASE WHEN {WROCLAW} THEN '185.40.5.17'
         WHEN {LUBLIN} THEN '91.204.3.9'
         WHEN {SCRIPT} THEN '51.68.10.' || (i % 200 + 10)
         WHEN {h("i", 2)} % 20 = 0
         THEN '37.47.' || ({h("i", 3)} % 64) || '.' || ({h("i", 10)} % 254 + 1)
         ELSE (83 + i * 2 / 5 / 65536) || '.' || (i * 2 / 5 / 256 % 256) || '.'
              || (i * 2 / 5 % 256) || '.' || (1 + i * 2 / 5 * 7 % 250)
    END AS ip,
    CASE WHEN {SCRIPT} THEN 'python-requests/2.31'
         ELSE 'Mozilla/5.0 (bench ' || ({h("i", 4)} % 40) || ')' END AS ua,
    CASE WHEN {WROCLAW} THEN :offset + 2500 + {h("i", 5)} % 9000
         ELSE :offset + 14600 + {h("i", 5)} % 25000 END AS birth_order,
    CASE WHEN {WROCLAW} THEN md5('wroclaw' || (i / 5)) ELSE md5('contact' || i) END AS contact,
    CASE WHEN {WROCLAW} THEN i % 5 ELSE 0 END AS slot,
    CASE WHEN {SCRIPT} THEN 1 ELSE 0 END AS script
"""


def _numbered(statement: str, params: dict) -> tuple[str, list]:
    """``:name`` parameters as asyncpg's ``$n``, with only the values the statement uses."""
    used = sorted((n for n in params if f":{n}" in statement), key=len, reverse=True)
    values = []
    for index, name in enumerate(used, 1):
        statement = statement.replace(f":{name}", f"${index}")
        values.append(params[name])
    return statement, values


async def load(
    conn: asyncpg.Connection,
    *,
    edition_id: int,
    clause_id: int,
    first: int,
    count: int,
    start,
    offset: int,
    spacing: float,
) -> None:
    """Write ``count`` ballots (ids from ``first``), their voters, choices and logs."""
    params = {
        "first": first,
        "last": first + count - 1,
        "start": start,
        "offset": offset,
        "spacing": spacing,
        "edition_id": edition_id,
        "clause_id": clause_id,
    }

    async def run(statement: str) -> None:
        sql, values = _numbered(statement, params)
        await conn.execute(sql, *values)

    await run(f"""CREATE TEMP TABLE gen AS SELECT {BALLOT_COLUMNS}
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i""")
    await run("""
        INSERT INTO voter (id, edition_id, identity_key, contact_key, contact_slot, clause_id,
                           created_at, address_key, lookup_key, birth_order)
        SELECT id, :edition_id, md5('identity' || id), contact, slot, :clause_id, at,
               md5('address' || (id * 2 / 5)), md5('lookup' || id), birth_order FROM gen
       """)
    await run("""
        INSERT INTO ballot (id, edition_id, voter_id, channel, status, receipt_hash,
                            submitted_at, request_id, ip, user_agent, session_hash, age_band)
        SELECT id, :edition_id, id, 'online', 'counted', md5('receipt' || id), at,
               substr(md5('request' || id), 1, 32), ip, ua, substr(md5('session' || id), 1, 32),
               '35-44' FROM gen""")
    await run(f"""
        INSERT INTO ballot_choice (ballot_id, project_id, pool_id)
        SELECT g.id, p.id, p.pool_id FROM gen g CROSS JOIN LATERAL (
          SELECT id, pool_id FROM project WHERE edition_id = :edition_id
          ORDER BY CASE WHEN g.{LUBLIN.replace("i BETWEEN", "id BETWEEN")} THEN id
                        ELSE {h("g.id", "id")} END
          LIMIT 1 + {h("g.id", 8)} % 3) AS p""")
    posts = "(11, 14, 17, 20, 25)"
    # Each request comes 1-40 s (a script: 50 ms) after the one before it in its session.
    gap = f"CASE WHEN g.script = 1 THEN 0.05 ELSE 1 + {h('g.id * 32 + k', 9)} % 40 END"
    await run(f"""
        INSERT INTO request_log (request_id, arrived_at, responded_at, duration_us, ip,
                                 method, url, status, user_agent, session_hash)
        SELECT CASE WHEN k = 25 THEN substr(md5('request' || id), 1, 32)
                    ELSE substr(md5(id || '-' || k), 1, 32) END,
               at - make_interval(secs => before + 0.01), at - make_interval(secs => before),
               20000, ip, CASE WHEN k IN {posts} THEN 'POST' ELSE 'GET' END,
               CASE WHEN script = 1 AND k < 10 THEN '/e/bench-fraud/vote/identity'
                    WHEN k < 9 THEN '/static/img/' || k || '.png'
                    WHEN k = 9 THEN '/e/bench-fraud'
                    WHEN k < 13 THEN '/e/bench-fraud/vote'
                    WHEN k < 16 THEN '/e/bench-fraud/vote/identity'
                    WHEN k < 19 THEN '/e/bench-fraud/vote/code'
                    WHEN k < 22 THEN '/e/bench-fraud/vote/choices'
                    WHEN k < 25 THEN '/static/css/urna.css'
                    ELSE '/e/bench-fraud/vote/cast' END,
               CASE WHEN k IN {posts} THEN 303 ELSE 200 END,
               ua, substr(md5('session' || id), 1, 32)
        FROM (SELECT g.*, k, coalesce(sum({gap}) OVER (PARTITION BY g.id ORDER BY k DESC
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
              FROM gen g CROSS JOIN generate_series(1, 25) AS k) AS steps""")
    await conn.execute("DROP TABLE gen")
