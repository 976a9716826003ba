"""Rectification races between real processes: the app in 2 uvicorn workers on PostgreSQL,
several clerks saving corrections at the same moment that compete for the last free slot
of a contact, or for one person. Whatever the timing, the UNIQUE keys let exactly one
through; the others are refused in Polish (beside the phone field, or with the two
ballots named), never with a 500, and never two voters in one slot."""

from __future__ import annotations

import functools
from collections import Counter
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import select

from tests.factories.staff import csrf_of, staff_login, unique_email
from tests.factories.voting import RECEIPT, ballot_of_receipt, e164, person, post_form
from tests.live import LiveServer
from tests.voting.test_race import WITH_PHONE, clients, prepare_all
from tests.wait import at_once
from urna.privacy import rights
from urna.staff import service as staff_service
from urna.staff.schemas import StaffCreateIn
from urna.voting.identity import identity_key_material
from urna.voting.models import Voter

pytestmark = pytest.mark.postgres_only

CLERKS = 2
CORRECTIONS = 10  # at once: some of them overlap whatever the timing
CONTACT_USED_PL = "Ten kontakt wykorzystano już"
TWO_BALLOTS_PL = "jedna osoba miałaby dwa głosy"


async def _voted(live_server: LiveServer, slug: str, people: list[dict[str, str]]) -> list[int]:
    """Each person votes (no code: channel "none"); their ballots' ids, in order."""
    async with clients(live_server, len(people)) as sessions:
        pages = await prepare_all(list(zip(sessions, people, strict=True)), slug)
        for browser, page in zip(sessions, pages, strict=True):
            cast = await post_form(browser, f"/e/{slug}/vote/cast", {}, page)
            assert cast.status_code == 303, cast.text
        receipts = [
            RECEIPT.search((await browser.get(f"/e/{slug}/vote/receipt")).text).group(1)
            for browser in sessions
        ]

    async def work(session) -> list[int]:
        crypto = live_server.crypto
        return [(await ballot_of_receipt(session, crypto, code)).id for code in receipts]

    return await live_server._with_db(work)


async def _rectifications(live_server: LiveServer, ballot_ids: list[int]) -> list[int]:
    """A rectification request filed for each ballot: their ids."""

    async def work(session) -> list[int]:
        filed = [
            await rights.request_file(
                session=session,
                crypto=live_server.crypto,
                ballot_id=ballot_id,
                kind="rectification",
                text="Proszę poprawić dane",
            )
            for ballot_id in ballot_ids
        ]
        await session.commit()
        return [request.id for request in filed]

    return await live_server._with_db(work)


async def _clerk(live_server: LiveServer, stack: AsyncExitStack) -> httpx.AsyncClient:
    """An administrator of the office, logged in through the live server's forms."""

    async def work(session) -> tuple[str, str, str]:
        data = StaffCreateIn(email=unique_email("clerk"), name="Urzędniczka", role="admin")
        _, password, secret = await staff_service.staff_create(
            session=session, crypto=live_server.crypto, data=data, actor_id=None
        )
        await session.commit()
        return data.email, password, secret

    email, password, secret = await live_server._with_db(work)
    http = await stack.enter_async_context(
        httpx.AsyncClient(base_url=live_server.base_url, timeout=60)
    )
    response = await staff_login(http, email, password, secret)
    assert response.headers.get("location") == "/staff", response.text
    return http


async def _correct_at_once(
    live_server: LiveServer, request_ids: list[int], forms: list[dict[str, str]]
) -> list[httpx.Response]:
    """Two clerks, each with several corrections ready (in tabs of one login); all saved at
    once."""
    async with AsyncExitStack() as stack:
        clerks = [await _clerk(live_server, stack) for _ in range(CLERKS)]
        tokens = [csrf_of((await clerk.get("/staff/privacy/requests")).text) for clerk in clerks]
        calls = [
            functools.partial(
                clerks[i % CLERKS].post,
                f"/staff/privacy/requests/{request_id}/correct",
                data={**form, "csrf_token": tokens[i % CLERKS]},
            )
            for i, (request_id, form) in enumerate(zip(request_ids, forms, strict=True))
        ]
        return await at_once(calls)


def _outcome(responses: list[httpx.Response], refusal: str, status: int) -> Counter:
    """saved (303), refused (``status`` with the Polish ``refusal``) or other (a 500…)."""
    kinds: Counter = Counter()
    for response in responses:
        if response.status_code == 303:
            kinds["saved"] += 1
        elif response.status_code == status and refusal in response.text:
            kinds["refused"] += 1
        else:
            kinds[f"other {response.status_code}"] += 1
    return kinds


async def _voters(live_server: LiveServer, edition_id: int, **key: str) -> list[Voter]:
    async def work(session) -> list[Voter]:
        found = await session.execute(
            select(Voter).where(
                Voter.edition_id == edition_id,
                *(getattr(Voter, name) == value for name, value in key.items()),
            )
        )
        return list(found.scalars())

    return await live_server._with_db(work)


async def test_corrections_racing_for_a_contact_s_last_free_slot(live_server):
    edition = await live_server.edition_create_async(
        confirmation_channel="none", required_fields=WITH_PHONE, max_ballots_per_contact=2
    )
    holder = person()
    contenders = [person() for _ in range(CORRECTIONS)]
    ballot_ids = await _voted(live_server, edition.slug, [holder, *contenders])
    request_ids = await _rectifications(live_server, ballot_ids[1:])
    forms = [{**who, "phone": holder["phone"]} for who in contenders]  # one slot is left

    responses = await _correct_at_once(live_server, request_ids, forms)

    kinds = _outcome(responses, CONTACT_USED_PL, 400)
    assert kinds == Counter(saved=1, refused=CORRECTIONS - 1), f"{kinds}\n{live_server.log_tail()}"
    for response in responses:
        if response.status_code == 400:
            assert 'id="phone-error"' in response.text  # beside the field
    contact = "contact:" + e164(holder["phone"])
    contact_key = live_server.crypto.keyed_hash(scope=f"edition:{edition.id}", value=contact)
    sharing = await _voters(live_server, edition.id, contact_key=contact_key)
    assert sorted(voter.contact_slot for voter in sharing) == [0, 1]


async def test_corrections_racing_to_become_one_person(live_server):
    edition = await live_server.edition_create_async(
        confirmation_channel="none", required_fields=WITH_PHONE
    )
    contenders = [person() for _ in range(CORRECTIONS)]
    ballot_ids = await _voted(live_server, edition.slug, contenders)
    request_ids = await _rectifications(live_server, ballot_ids)
    one = person(first_name="Anna", last_name="Jednakowa")
    names = ("first_name", "last_name", "street", "house_number", "birth_date")
    forms = [{**who, **{name: one[name] for name in names}} for who in contenders]

    responses = await _correct_at_once(live_server, request_ids, forms)

    kinds = _outcome(responses, TWO_BALLOTS_PL, 409)
    assert kinds == Counter(saved=1, refused=CORRECTIONS - 1), f"{kinds}\n{live_server.log_tail()}"
    identity_key = live_server.crypto.keyed_hash(
        scope=f"edition:{edition.id}", value=identity_key_material(one)
    )
    assert len(await _voters(live_server, edition.id, identity_key=identity_key)) == 1
