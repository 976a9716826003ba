"""Drive the resident's flow over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import itertools
import random
import re
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from urna.notify import service as notify
from urna.notify.models import OutboxMessage
from urna.voting import service as voting
from urna.voting.models import Ballot

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT = re.compile(
    r'name="project" value="(\d+)" id="p-\d+"[^>]*>\s*(?:<span class="choice">)?'
    r'<label for="p-\d+"><span class="number">([^<]+)</span>'
)
REVIEWED = re.compile(r'name="reviewed" value="([0-9,]*)"')
VOTER_SEAL = re.compile(r'name="voter" value="([0-9a-f]+)"')
RECEIPT = re.compile(r'id="receipt-code">([0-9A-Z-]+)<')


# Phone numbers handed out in sequence from a random start: two people of one test never
# share a phone by chance (a shared phone is refused at the identity step when the edition
# allows one ballot per contact — the crash test's crowd of ~600 residents met that about
# once in 60 runs with random numbers).
_PHONES = itertools.count(random.SystemRandom().randrange(10_000_000))


def person(**overrides: Any) -> dict[str, str]:
    rng = random.SystemRandom()
    data = {
        "first_name": rng.choice(["Anna", "Jan", "Zofia", "Łukasz", "Maria", "Piotr"]),
        "last_name": "Test" + "".join(rng.choice("abcdefghij") for _ in range(8)),
        "street": "ul. Lipowa",
        "house_number": str(rng.randint(1, 200)),
        "birth_date": f"{rng.randint(1940, 2000)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "phone": f"60{next(_PHONES) % 10_000_000:07d}",
    }
    data.update(overrides)
    return data


def pesel_for(born: date) -> str:
    """A valid PESEL for this date of birth (random serial number)."""
    century = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[born.year // 100 * 100]
    serial = random.SystemRandom().randint(0, 9999)
    digits = f"{born.year % 100:02d}{born.month + century:02d}{born.day:02d}{serial:04d}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return digits + str(check)


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def latest_code(app, phone_e164: str) -> str:
    ctx = app.state.ctx
    async with ctx.db() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
            )
        ).scalars()
        for message in rows:
            if message.payload_enc is None:
                continue
            payload = notify.message_payload(crypto=ctx.crypto, message=message)
            if payload["to"] == phone_e164:
                return re.search(r"\b(\d{6})\b", payload["text"]).group(1)
    raise AssertionError(f"no code was sent to {phone_e164}")


async def ballot_of_receipt(session, crypto, receipt: str) -> Ballot:
    """The ballot a receipt code stands for (``session``: the app's or a live server's)."""
    found = await session.execute(
        select(Ballot).where(Ballot.receipt_hash == voting.receipt_hash(crypto, receipt))
    )
    return found.scalar_one()


def e164(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "+48" + digits[-9:]


async def post_form(client: httpx.AsyncClient, url: str, data: dict[str, Any], page: str, **kw):
    return await client.post(url, data={**data, "csrf_token": csrf_of(page)}, **kw)


async def reach_identity(client: httpx.AsyncClient, slug: str, **kw) -> str:
    page = (await client.get(f"/e/{slug}/vote", **kw)).text
    response = await post_form(client, f"/e/{slug}/vote", {"acknowledge": "yes"}, page, **kw)
    assert response.status_code == 303, response.text
    return (await client.get(f"/e/{slug}/vote/identity", **kw)).text


async def reach_choices(
    client: httpx.AsyncClient, app, slug: str, who: dict[str, str], *, headers=None
) -> str:
    kw = {"headers": headers} if headers else {}
    page = await reach_identity(client, slug, **kw)
    response = await post_form(client, f"/e/{slug}/vote/identity", who, page, **kw)
    assert response.status_code == 303, response.text
    if response.headers["location"].endswith("/code"):
        page = (await client.get(f"/e/{slug}/vote/code", **kw)).text
        code = await latest_code(app, e164(who["phone"]))
        response = await post_form(client, f"/e/{slug}/vote/code", {"code": code}, page, **kw)
        assert response.status_code == 303, response.text
    return (await client.get(f"/e/{slug}/vote/choices", **kw)).text


def project_ids(choices_page: str) -> dict[str, str]:
    """Project number → id as offered on the choices page."""
    return {number: pid for pid, number in PROJECT.findall(choices_page)}


async def vote(
    client: httpx.AsyncClient,
    app,
    slug: str,
    who: dict[str, str],
    numbers: list[str],
    *,
    headers=None,
) -> httpx.Response:
    """The whole flow; returns the response to the cast (303 to the receipt on success)."""
    kw = {"headers": headers} if headers else {}
    page = await reach_choices(client, app, slug, who, headers=headers)
    ids = project_ids(page)
    response = await post_form(
        client, f"/e/{slug}/vote/choices", {"project": [ids[n] for n in numbers]}, page, **kw
    )
    assert response.status_code == 303, response.text
    page = (await client.get(f"/e/{slug}/vote/review", **kw)).text
    return await post_form(client, f"/e/{slug}/vote/cast", reviewed_of(page), page, **kw)


def reviewed_of(review_page: str) -> dict[str, str]:
    """The review form's hidden fields, as a browser sends them with the cast."""
    found, voter = REVIEWED.search(review_page), VOTER_SEAL.search(review_page)
    assert found and voter, "no reviewed choices or voter on the review page"
    return {"reviewed": found.group(1), "voter": voter.group(1)}


async def receipt_of(client: httpx.AsyncClient, slug: str) -> str:
    page = (await client.get(f"/e/{slug}/vote/receipt")).text
    match = RECEIPT.search(page)
    assert match, page
    return match.group(1)


async def reach_code(client: httpx.AsyncClient, app, slug: str, who: dict[str, str]):
    """Identify as ``who`` up to the code step: (the code page, the code that was sent)."""
    page = await reach_identity(client, slug)
    await post_form(client, f"/e/{slug}/vote/identity", who, page)
    page = (await client.get(f"/e/{slug}/vote/code")).text
    return page, await latest_code(app, e164(who["phone"]))
