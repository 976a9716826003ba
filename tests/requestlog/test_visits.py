"""The footer's visit counter is one number across app processes (Redis INCR)."""

from __future__ import annotations

import re
import uuid

import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from tests.requestlog.conftest import client_for
from urna.main import create_app

pytestmark = pytest.mark.postgres_only  # the embedded store serves one process by design


def shown(page: str) -> int:
    """The counter as the footer writes it (thousands apart: 12\u00a0345)."""
    return int(re.search(r"Odwiedziny: ([\d\u00a0]+)", page).group(1).replace("\u00a0", ""))


async def test_two_app_processes_count_into_one_counter(database_url, redis_run_keys):
    prefix = f"{redis_run_keys}visits-{uuid.uuid4().hex[:8]}:"  # a counter of its own
    first, second = (create_app(make_settings(database_url, redis_prefix=prefix)) for _ in range(2))
    async with LifespanManager(first), LifespanManager(second):
        async with client_for(first) as a, client_for(second) as b:
            await a.get("/my-data")  # a form page on the first: the session's cookie
            await a.get("/my-data")  # the cookie back: a visit
            await b.get("/my-data")  # a new session on the second
            on_b = shown((await b.get("/my-data")).text)  # its cookie back: another visit
            on_b_again = shown((await b.get("/my-data")).text)  # the same session: no visit
            on_a_again = shown((await a.get("/my-data")).text)
    # a page shows the count before its own visit is counted
    assert on_b == 1  # the second process counted on top of the first
    assert on_b_again == 2  # the same session again: no new visit
    assert on_a_again == 2  # and the first sees the second's visits
