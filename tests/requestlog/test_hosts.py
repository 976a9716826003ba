"""Reverse DNS: "no name" is final, "no answer in time" is asked again, a bounded number
of times, and never stored as no name."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.requestlog.factories import row, rows_write
from urna.requestlog import service
from urna.requestlog.dns import HostResolver
from urna.requestlog.models import RequestLog

pytestmark = pytest.mark.flow

AT = datetime(2003, 3, 3, 12, tzinfo=UTC)  # a period of its own
SLOW, NAMELESS = "192.0.2.61", "192.0.2.62"


async def hosts(app, request_ids: list[str]) -> list[str | None]:
    async with app.state.ctx.db() as session:
        query = select(RequestLog.request_id, RequestLog.host).where(
            RequestLog.request_id.in_(request_ids)
        )
        found = dict((await session.execute(query)).all())
    return [found[request_id] for request_id in request_ids]


async def test_a_lookup_that_times_out_is_not_stored_as_no_name_and_is_retried(app):
    slow_id, nameless_id = await rows_write(app, [row(AT, ip=SLOW), row(AT, ip=NAMELESS)])
    asked: list[str] = []
    resolver_slow = True

    def lookup(ip: str) -> str | None:
        if ip not in (SLOW, NAMELESS):
            return None  # other tests' rows: left as they are
        asked.append(ip)
        if ip == NAMELESS:
            return ""  # the resolver answered: no name
        if resolver_slow:
            time.sleep(0.3)
        return "slow.example.net"

    resolver = HostResolver(lookup=lookup, timeout=0.05)
    resolver.retry_after = 0.0  # the next run may ask again at once
    try:
        await service.hosts_resolve(db=app.state.ctx.db, resolver=resolver, limit=100_000)
        assert await hosts(app, [slow_id, nameless_id]) == [None, ""]  # not "no name"

        resolver_slow = False  # the resolver recovers: the next run fills the name in
        asked.clear()
        await service.hosts_resolve(db=app.state.ctx.db, resolver=resolver, limit=100_000)
        assert asked == [SLOW]  # "no name" was final
        assert await hosts(app, [slow_id, nameless_id]) == ["slow.example.net", ""]
    finally:
        resolver.close()


async def test_retries_are_bounded_and_waiting_addresses_leave_the_batch_to_others():
    asked: list[str] = []

    def lookup(ip: str) -> str | None:
        asked.append(ip)
        return None  # never an answer ("try again")

    resolver = HostResolver(lookup=lookup, attempts=2, retry_after=0.0, rest=60.0)
    try:
        assert await resolver.resolve(SLOW) is None
        assert resolver.waiting() == []  # retry_after 0: may be asked again at once
        assert await resolver.resolve(SLOW) is None
        assert resolver.waiting() == [SLOW]  # two attempts: it rests now
        assert await resolver.resolve(SLOW) is None
        assert asked == [SLOW, SLOW]  # not asked a third time
    finally:
        resolver.close()
