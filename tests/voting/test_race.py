"""Races between real processes: the app runs in 2 uvicorn workers on PostgreSQL + Redis
and many residents' sessions press "cast" at the same moment. Whatever the timing, the
UNIQUE keys must let exactly the allowed number of ballots through, the others get the
409 page in Polish, and nothing ends in a 500."""

from __future__ import annotations

import asyncio
import functools
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from tests.factories.voting import RECEIPT, person, post_form, project_ids, reach_identity
from tests.wait import at_once

pytestmark = pytest.mark.postgres_only

# From frontend/locale/pl/LC_MESSAGES/messages.po: AlreadyVoted and ContactLimitReached.
ALREADY_VOTED_PL = "W tej edycji głos został już oddany. Każdy mieszkaniec głosuje raz."
CONTACT_LIMIT_PL = "wykorzystano już dla największej dozwolonej liczby głosów"
NO_PHONE = ["first_name", "last_name", "address", "birth_date"]
WITH_PHONE = [*NO_PHONE, "phone"]
CHOSEN = ["C3", "N1"]  # a resident of ul. Lipowa (area N): one citywide, one district


@asynccontextmanager
async def clients(live_server, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One browser-like client (own cookie jar, own connection) per resident."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=live_server.base_url, timeout=60)
            )
            for _ in range(count)
        ]


async def prepare(
    client: httpx.AsyncClient,
    slug: str,
    who: dict[str, str],
    other: httpx.AsyncClient | None = None,
) -> str:
    """Clause → identity (no code: channel "none") → choices → review; returns the review
    page, whose CSRF token casts the ballot. With ``other`` (the same browser on another
    app instance) identity and review go through it, clause and choices through ``client``."""
    second = other or client
    page = await reach_identity(client, slug)
    if other is not None:
        page = (await other.get(f"/e/{slug}/vote/identity")).text
    response = await post_form(second, f"/e/{slug}/vote/identity", who, page)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/e/{slug}/vote/choices"
    page = (await client.get(f"/e/{slug}/vote/choices")).text
    ids = project_ids(page)
    response = await post_form(
        client, f"/e/{slug}/vote/choices", {"project": [ids[n] for n in CHOSEN]}, page
    )
    assert response.status_code == 303, response.text
    review = await second.get(f"/e/{slug}/vote/review")
    assert review.status_code == 200, review.text
    return review.text


async def prepare_all(
    pairs: list[tuple[httpx.AsyncClient, dict[str, str]]], slug: str
) -> list[str]:
    gate = asyncio.Semaphore(10)

    async def one(client: httpx.AsyncClient, who: dict[str, str]) -> str:
        async with gate:
            return await prepare(client, slug, who)

    return await asyncio.gather(*(one(client, who) for client, who in pairs))


async def cast_together(
    attempts: list[tuple[httpx.AsyncClient, str]], slug: str
) -> list[httpx.Response]:
    """Fire every cast at once (``tests.wait.at_once``)."""
    return await at_once(
        [
            functools.partial(post_form, client, f"/e/{slug}/vote/cast", {}, review_page)
            for client, review_page in attempts
        ]
    )


def outcome(responses: list[httpx.Response], slug: str, refusal: str) -> Counter:
    """Classify each response: receipt (303 to the receipt), refused (409 with the Polish
    text ``refusal``) or other (anything else, e.g. a 500)."""
    kinds: Counter = Counter()
    for response in responses:
        if response.status_code == 303 and response.headers.get("location", "").startswith(
            f"/e/{slug}/vote/receipt?"
        ):
            kinds["receipt"] += 1
        elif response.status_code == 409 and refusal in response.text:
            kinds["refused"] += 1
        else:
            kinds[f"other {response.status_code}"] += 1
    return kinds


ERROR_LINE = re.compile(r"^[\w.]+(Error|Exception)\b.*$", re.MULTILINE)


def _details(live_server, responses: list[httpx.Response]) -> str:
    """What the server logged: each distinct exception line with its count (e.g. a pool
    timeout, or "too many clients" from a PostgreSQL shared with other runs), then the tail."""
    log = live_server.log_tail(chars=2_000_000)
    errors = Counter(match.group(0)[:300] for match in ERROR_LINE.finditer(log))
    listed = "\n".join(f"  {count} × {line}" for line, count in errors.most_common(10))
    return f"\nexceptions in the server log:\n{listed}\nlog tail:\n{log[-3000:]}"


async def receipt_counted(client: httpx.AsyncClient, slug: str) -> None:
    page = (await client.get(f"/e/{slug}/vote/receipt")).text
    match = RECEIPT.search(page)
    assert match, page
    check_page = (await client.get("/receipt")).text
    response = await post_form(client, "/receipt", {"code": match.group(1)}, check_page)
    assert response.status_code == 303, response.text  # the status on the page it leads to
    assert "Twój głos jest liczony." in (await client.get(response.headers["location"])).text


async def test_fifty_sessions_of_one_person_cast_at_once(live_server):
    edition = await live_server.edition_create_async(
        confirmation_channel="none", required_fields=NO_PHONE
    )
    slug = edition.slug
    who = person()
    del who["phone"]
    async with clients(live_server, 50) as sessions:
        pages = await prepare_all([(client, who) for client in sessions], slug)
        responses = await cast_together(list(zip(sessions, pages, strict=True)), slug)
        kinds = outcome(responses, slug, ALREADY_VOTED_PL)
        assert kinds == Counter(receipt=1, refused=49), f"{kinds}{_details(live_server, responses)}"
        winner = next(
            client
            for client, response in zip(sessions, responses, strict=True)
            if response.status_code == 303
        )
        await receipt_counted(winner, slug)
    counts = await live_server.counts_async(edition.id)
    assert counts == {"voters": 1, "ballots": 1, "choices": len(CHOSEN)}


async def test_twenty_double_submits_of_one_session_end_at_one_receipt(live_server):
    edition = await live_server.edition_create_async(
        confirmation_channel="none", required_fields=NO_PHONE
    )
    slug = edition.slug
    who = person()
    del who["phone"]
    async with clients(live_server, 1) as (client,):
        review_page = await prepare(client, slug, who)
        responses = await cast_together([(client, review_page)] * 20, slug)
        kinds = outcome(responses, slug, ALREADY_VOTED_PL)
        assert kinds == Counter(receipt=20), f"{kinds}{_details(live_server, responses)}"
        await receipt_counted(client, slug)
    counts = await live_server.counts_async(edition.id)
    assert counts == {"voters": 1, "ballots": 1, "choices": len(CHOSEN)}


@pytest.mark.parametrize("allowed", [1, 3])
async def test_thirty_people_sharing_one_phone_cast_at_once(live_server, allowed):
    edition = await live_server.edition_create_async(
        confirmation_channel="none",
        required_fields=WITH_PHONE,
        max_ballots_per_contact=allowed,
    )
    slug = edition.slug
    shared = person()["phone"]
    people = [person(phone=shared) for _ in range(30)]
    assert len({(p["first_name"], p["last_name"]) for p in people}) == 30
    async with clients(live_server, 30) as sessions:
        pages = await prepare_all(list(zip(sessions, people, strict=True)), slug)
        responses = await cast_together(list(zip(sessions, pages, strict=True)), slug)
    kinds = outcome(responses, slug, CONTACT_LIMIT_PL)
    expected = Counter(receipt=allowed, refused=30 - allowed)
    assert kinds == expected, f"{kinds}{_details(live_server, responses)}"
    counts = await live_server.counts_async(edition.id)
    assert counts == {"voters": allowed, "ballots": allowed, "choices": allowed * len(CHOSEN)}
