"""Count an edition's online ballots straight from the database (run as its own process:
the load generator's process is gevent's, the database driver is asyncio's)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

QUERY = (
    "SELECT count(*) FROM ballot b JOIN edition e ON e.id = b.edition_id "
    "WHERE e.slug = {p} AND b.channel = 'online'"
)


async def _postgres(url: str, slug: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await conn.fetchval(QUERY.format(p="$1"), slug))
    finally:
        await conn.close()


def count(url: str, slug: str) -> int:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        with sqlite3.connect(path) as conn:
            return int(conn.execute(QUERY.format(p="?"), (slug,)).fetchone()[0])
    return asyncio.run(_postgres(url, slug))


def count_in_subprocess(url: str, slug: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "loadtests.readiness.dbcount", url, slug],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(out.stdout.strip())


if __name__ == "__main__":
    print(count(sys.argv[1], sys.argv[2]))
