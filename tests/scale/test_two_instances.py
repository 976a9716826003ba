"""Two app instances behind one load balancer: separate uvicorn processes on their own
ports, one PostgreSQL database, one Redis, the same keys. A resident's requests may land
on either, in any order; nothing may depend on which one answered."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import REDIS_URL
from tests.factories.voting import RECEIPT, person, post_form
from tests.live import LiveServer, another_instance_running, live_server_running
from tests.voting.test_race import ALREADY_VOTED_PL, NO_PHONE, cast_together, outcome, prepare

pytestmark = pytest.mark.postgres_only

VISITS_PL = re.compile(r"Odwiedziny: (\d+)")


@pytest.fixture(scope="module")
def instances(tmp_path_factory) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Instance A (with a fresh database) and instance B against the same one; one
    worker each, so a request's instance is the one its URL names."""
    with live_server_running(tmp_path_factory.mktemp("a"), workers=1) as a:
        with another_instance_running(a, tmp_path_factory.mktemp("b"), workers=1) as b:
            yield a, b


@asynccontextmanager
async def browsers(a: LiveServer, b: LiveServer, count: int) -> AsyncIterator[list[tuple]]:
    """One browser per resident: a client for each instance sharing one cookie jar."""
    async with AsyncExitStack() as stack:
        pairs = []
        for _ in range(count):
            on_a = await stack.enter_async_context(
                httpx.AsyncClient(base_url=a.base_url, timeout=60)
            )
            on_b = await stack.enter_async_context(
                httpx.AsyncClient(base_url=b.base_url, timeout=60, cookies=on_a.cookies.jar)
            )
            pairs.append((on_a, on_b))
        yield pairs


def resident() -> dict[str, str]:
    who = person()
    del who["phone"]
    return who


async def test_a_session_started_on_one_instance_continues_on_the_other(instances):
    a, b = instances
    edition = await a.edition_create_async(confirmation_channel="none", required_fields=NO_PHONE)
    slug = edition.slug
    async with browsers(a, b, 1) as [(on_a, on_b)]:
        review = await prepare(on_a, slug, resident(), on_b)
        response = await post_form(on_a, f"/e/{slug}/vote/cast", {}, review)
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith(f"/e/{slug}/vote/receipt?")
        page = (await on_b.get(response.headers["location"])).text
        code = RECEIPT.search(page)
        assert code, page
        check_page = (await on_a.get("/receipt")).text
        response = await post_form(on_a, "/receipt", {"code": code.group(1)}, check_page)
        assert response.status_code == 303, response.text
        assert "Twój głos jest liczony." in (await on_a.get(response.headers["location"])).text
    assert await a.counts_async(edition.id) == {"voters": 1, "ballots": 1, "choices": 2}


async def test_one_person_casting_through_both_instances_at_once_stores_one_ballot(instances):
    a, b = instances
    edition = await a.edition_create_async(confirmation_channel="none", required_fields=NO_PHONE)
    slug = edition.slug
    who = resident()
    async with browsers(a, b, 12) as pairs:
        # half prepare on A and cast on B, half the other way round
        crossed = [(x, y) if i % 2 else (y, x) for i, (x, y) in enumerate(pairs)]
        gate = asyncio.Semaphore(6)

        async def review(first, second) -> str:
            async with gate:
                return await prepare(first, slug, who, second)

        pages = await asyncio.gather(*(review(x, y) for x, y in crossed))
        casts = [(y, page) for (_, y), page in zip(crossed, pages, strict=True)]
        responses = await cast_together(casts, slug)
    kinds = outcome(responses, slug, ALREADY_VOTED_PL)
    assert kinds == Counter(receipt=1, refused=11), f"{kinds}\n{a.log_tail()}\n{b.log_tail()}"
    served = Counter(str(r.request.url.port) for r in responses)
    assert len(served) == 2  # both instances took casts
    assert await a.counts_async(edition.id) == {"voters": 1, "ballots": 1, "choices": 2}


async def test_the_visit_counter_counts_every_first_page_once_whichever_instance(instances):
    a, b = instances
    redis = Redis.from_url(REDIS_URL)
    key = a.settings.redis_prefix + "visits"
    try:
        before = int(await redis.get(key) or 0)
        async with browsers(a, b, 20) as pairs:
            # 20 new visitors at once, alternating instances (a page with a form: a signed
            # cookie, nothing stored, no visit until the browser sends the cookie back)
            firsts = await asyncio.gather(
                *((x if i % 2 else y).get("/my-data") for i, (x, y) in enumerate(pairs))
            )
            assert all(r.status_code == 200 for r in firsts)
            assert int(await redis.get(key) or 0) == before
            # each comes back on the *other* instance, which knows the cookie it never
            # issued by its signature: INCR in one Redis, no lost update
            returns = await asyncio.gather(
                *((y if i % 2 else x).get("/my-data") for i, (x, y) in enumerate(pairs))
            )
            assert all(r.status_code == 200 for r in returns)
            after = int(await redis.get(key))
            assert after == before + 20
            # a second page (either instance) is no new visit, and both show the same count
            again = [await x.get("/") for x, _ in pairs[:3]] + [
                await y.get("/") for _, y in pairs[:3]
            ]
            shown = {VISITS_PL.search(r.text).group(1) for r in again}
            assert shown == {str(after)}
            assert int(await redis.get(key)) == after
    finally:
        await redis.aclose()
