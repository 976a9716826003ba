"""The one-time code's tries are counted atomically: many wrong codes sent at once on one
session are evaluated at most ``otp_max_attempts`` times (the count is not in the
session, which each concurrent request would read and write back)."""

import asyncio
from collections import Counter
from types import SimpleNamespace

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import person, post_form, reach_code
from urna.voting import service

pytestmark = pytest.mark.flow


async def test_32_concurrent_wrong_codes_are_evaluated_at_most_5_times(app, client, monkeypatch):
    edition = await edition_create(app)
    page, code = await reach_code(client, app, edition.slug, person())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    evaluated = 0
    compare = service.hmac.compare_digest

    def counting(a, b):
        nonlocal evaluated
        evaluated += 1
        return compare(a, b)

    monkeypatch.setattr(service, "hmac", SimpleNamespace(compare_digest=counting))
    url = f"/e/{edition.slug}/vote/code"
    answers = await asyncio.gather(
        *(post_form(client, url, {"code": wrong}, page) for _ in range(32))
    )
    # a wrong code is told how many tries are left (400) unless the others used them up
    # meanwhile (how many see a try left depends on the interleaving); every request past
    # the fifth is refused before its code is compared, a rate limit (429)
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {400, 429} and sum(statuses.values()) == 32, statuses
    max_tries = app.state.ctx.settings.otp_max_attempts
    assert statuses[400] <= max_tries - 1 and statuses[429] >= 32 - max_tries + 1, statuses
    assert evaluated == app.state.ctx.settings.otp_max_attempts
    # the right code is refused too once the tries are used up
    response = await post_form(client, url, {"code": code}, page)
    assert response.status_code in (400, 409, 429)
    assert evaluated == app.state.ctx.settings.otp_max_attempts
