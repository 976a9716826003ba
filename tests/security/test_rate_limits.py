"""Rate limits: each limited step reaches its limit and answers 429 with a Polish (or
English) page and a ``Retry-After`` taken from the limit's own window: the vote's identity
step (codes sent per address), resending a code (per contact), confirming a code (tries
per code), the receipt check and /my-data (per address), the staff login (per account).
The keys the limiter stores never hold an e-mail address, a phone number or a receipt
code: contacts and staff addresses are keyed hashes (docs/privacy.md); network addresses
are kept as the request log keeps them."""

from __future__ import annotations

import re
import uuid

import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import BACKEND, REDIS_URL, RUN_REDIS_PREFIX, make_settings
from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, random_ip, staff_user_create
from tests.factories.voting import (
    e164,
    latest_code,
    person,
    post_form,
    reach_code,
    reach_identity,
    receipt_of,
    vote,
)
from tests.security.checklist import header_faults, plain_client, text_of
from urna.core.errors import TooManyRequests
from urna.main import create_app
from urna.staff.login import LoginThrottled

pytestmark = pytest.mark.flow

PER_IP = 2  # codes sent per address, receipt checks per address (per minute)
STAFF_FAILS = 3  # failed logins per account per minute


def too_many_pl() -> str:
    return text_of(TooManyRequests.message).split(".")[0]  # "Zbyt wiele prób"


@pytest.fixture(scope="module")
async def limited(database_url):
    prefix = f"{RUN_REDIS_PREFIX}limits-{uuid.uuid4().hex[:8]}:"
    settings = make_settings(
        database_url,
        redis_prefix=prefix,
        otp_send_per_ip=f"{PER_IP}/minute",
        otp_resend_per_contact="3/10 minutes",
        receipt_check_per_ip=f"{PER_IP}/minute",
        staff_login_account_limits=f"{STAFF_FAILS}/minute",
        staff_login_ip_limits="100/minute",
    )
    app = create_app(settings)
    async with LifespanManager(app):
        yield app


def assert_limited(response, *, window: int, text: str | None = None) -> int:
    """A 429 page that says so and when to come back (within the limit's window)."""
    assert response.status_code == 429, response.text[:300]
    assert (text or too_many_pl()) in response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= window
    assert header_faults(response, template=response.request.url.path) == []
    return seconds


async def test_the_identity_step_is_limited_per_address(limited):
    edition = await edition_create(limited)
    ip = random_ip()
    answers = []
    for _ in range(PER_IP + 1):  # residents behind one address each ask for a code
        async with plain_client(limited, ip=ip) as resident:
            page = await reach_identity(resident, edition.slug)
            answers.append(
                await post_form(resident, f"/e/{edition.slug}/vote/identity", person(), page)
            )
    assert [a.status_code for a in answers[:PER_IP]] == [303] * PER_IP
    assert_limited(answers[-1], window=60)


async def test_resending_a_code_is_limited_per_contact(limited):
    edition = await edition_create(limited)
    async with plain_client(limited, ip=random_ip()) as resident:
        page, _ = await reach_code(resident, limited, edition.slug, person())
        url, answers = f"/e/{edition.slug}/vote/code/resend", []
        for _ in range(3):  # from a new address each time: the per-address limit stays out
            async with plain_client(limited, ip=random_ip()) as moved:
                moved.cookies = resident.cookies
                answers.append(await post_form(moved, url, {}, page))
    assert [a.status_code for a in answers[:2]] == [303, 303]  # 3 codes in all
    assert_limited(answers[-1], window=600, text="Odczekaj 10 minut")


async def test_confirming_a_code_is_limited_per_code(limited):
    edition = await edition_create(limited)
    tries = limited.state.ctx.settings.otp_max_attempts
    async with plain_client(limited, ip=random_ip()) as resident:
        page, code = await reach_code(resident, limited, edition.slug, person())
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        url = f"/e/{edition.slug}/vote/code"
        answers = [await post_form(resident, url, {"code": wrong}, page) for _ in range(tries)]
    assert [a.status_code for a in answers[:-1]] == [400] * (tries - 1)
    assert_limited(answers[-1], window=600, text=text_of("Too many wrong codes. Send a new one."))


async def test_the_receipt_check_is_limited_per_address_in_polish_and_english(limited):
    ip = random_ip()
    async with plain_client(limited, ip=ip) as visitor:
        token = csrf_of((await visitor.get("/receipt")).text)
        for _ in range(PER_IP):
            answer = await visitor.post("/receipt", data={"code": "ABCD", "csrf_token": token})
            assert answer.status_code == 400
        assert_limited(
            await visitor.post("/receipt", data={"code": "ABCD", "csrf_token": token}), window=60
        )
        await visitor.get("/lang/en")
        token = csrf_of((await visitor.get("/receipt")).text)
        english = await visitor.post("/receipt", data={"code": "ABCD", "csrf_token": token})
    assert_limited(english, window=60, text=TooManyRequests.message)


async def test_my_data_is_limited_per_address(limited):
    async with plain_client(limited, ip=random_ip()) as visitor:
        token = csrf_of((await visitor.get("/my-data")).text)
        for _ in range(PER_IP):
            answer = await visitor.post("/my-data", data={"code": "ABCD", "csrf_token": token})
            assert answer.status_code == 400
        refused = await visitor.post("/my-data", data={"code": "ABCD", "csrf_token": token})
    assert_limited(refused, window=60)


async def test_the_staff_login_is_limited_per_account(limited):
    user, _, _ = await staff_user_create(limited, "admin")
    async with plain_client(limited, ip=random_ip()) as staff:
        page = (await staff.get("/staff/login")).text
        form = {"email": user.email, "password": "wrong password", "csrf_token": csrf_of(page)}
        for _ in range(STAFF_FAILS):
            assert (await staff.post("/staff/login", data=form)).status_code == 400
        refused = await staff.post("/staff/login", data=form)
    throttled = text_of(LoginThrottled.message).split("%")[0].strip()
    assert_limited(refused, window=60, text=throttled)


async def _limit_keys(app) -> list[str]:
    storage = app.state.ctx.limits_storage
    if BACKEND == "embedded":
        return [*storage.events, *storage.storage]
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        pattern = app.state.ctx.settings.redis_prefix + "limits*"
        return [key.decode() async for key in client.scan_iter(match=pattern, count=1000)]
    finally:
        await client.aclose()


async def test_limit_keys_hold_no_contact_address_or_receipt(limited):
    edition = await edition_create(limited)
    who = person(email=f"someone-{uuid.uuid4().hex[:6]}@example.org")
    async with plain_client(limited, ip=random_ip()) as resident:
        cast = await vote(resident, limited, edition.slug, who, ["C1"])
        assert cast.status_code == 303
        receipt = await receipt_of(resident, edition.slug)
        await latest_code(limited, e164(who["phone"]))  # a code went out: its limits hit
        token = csrf_of((await resident.get("/my-data")).text)
        await resident.post("/my-data", data={"code": receipt, "csrf_token": token})
    staff_email = f"login-{uuid.uuid4().hex[:6]}@example.org"
    async with plain_client(limited, ip=random_ip()) as staff:
        page = (await staff.get("/staff/login")).text
        form = {"email": staff_email, "password": "x" * 12, "csrf_token": csrf_of(page)}
        await staff.post("/staff/login", data=form)
    keys = await _limit_keys(limited)
    assert any("otp-contact" in key for key in keys) and any("staff-login" in key for key in keys)
    digits = re.sub(r"\D", "", who["phone"])
    secrets = [digits, who["email"], staff_email, receipt, receipt.replace("-", "")]
    leaked = [key for key in keys for secret in secrets if secret.lower() in key.lower()]
    assert leaked == []
