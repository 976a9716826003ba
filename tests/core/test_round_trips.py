"""Store round trips per step of the vote, with the production caches on: a session is
read and kept alive in one call and written back only when a step changes it; the
editions' generation and the visit counter are not read at every request."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of, person, post_form, project_ids
from urna.core.sessions import VISITS_KEY
from urna.editions.snapshot import GENERATION_KEY
from urna.main import create_app

pytestmark = pytest.mark.flow

COUNTED = ("get", "get_touch", "set", "touch", "delete", "incr")


class Calls:
    """The store's calls (one round trip each), by step."""

    def __init__(self, store) -> None:
        self.all: list[tuple[str, str]] = []
        for name in COUNTED:
            method = getattr(store, name)
            setattr(store, name, self._counting(name, method))

    def _counting(self, name, method):
        async def call(key, *args, **kwargs):
            self.all.append((name, key))
            return await method(key, *args, **kwargs)

        return call

    def take(self) -> list[tuple[str, str]]:
        taken, self.all = self.all, []
        return taken


@pytest.fixture
async def production_app(database_url) -> AsyncIterator:
    settings = make_settings(
        database_url,
        edition_cache_seconds=60,
        edition_generation_seconds=60,
        visits_cache_seconds=60,
    )
    app = create_app(settings)
    # A shutdown stuck on SQLite's lock waits its busy timeout (30 s) and fails here;
    # 20 s leave room for a loaded machine's slow but healthy shutdown
    async with LifespanManager(app, shutdown_timeout=20):
        yield app


async def test_each_step_of_the_vote_costs_at_most_its_round_trips(production_app):
    app = production_app
    edition = await edition_create(
        app, confirmation_channel="none", required_fields=["first_name", "last_name",
                                                           "address", "birth_date"]
    )  # fmt: skip
    slug = edition.slug
    calls = Calls(app.state.ctx.store)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    steps: dict[str, list[tuple[str, str]]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/")  # warm: the visit counter and the generation are read once
        await client.get(f"/e/{slug}/projects")
        warm = calls.take()
        page = (await client.get(f"/e/{slug}/vote")).text
        steps["clause page (new session)"] = calls.take()
        await post_form(client, f"/e/{slug}/vote", {"acknowledge": "yes"}, page)
        steps["clause acknowledged"] = calls.take()
        page = (await client.get(f"/e/{slug}/vote/identity")).text
        steps["identity page"] = calls.take()
        response = await post_form(client, f"/e/{slug}/vote/identity", person(), page)
        assert response.headers["location"].endswith("/choices"), response.text[:500]
        steps["identity submitted"] = calls.take()
        page = (await client.get(f"/e/{slug}/vote/choices")).text
        steps["choices page"] = calls.take()
        ids = project_ids(page)
        await client.get(f"/e/{slug}/vote/choices", headers={"HX-Request": "true"})
        steps["choices fragment (htmx)"] = calls.take()
        live = await client.post(
            f"/e/{slug}/vote/choices?live=1",
            data={"project": [ids["C1"]], "csrf_token": csrf_of(page)},
            headers={"HX-Request": "true"},
        )
        assert live.status_code == 200
        steps["choice picked (htmx)"] = calls.take()
        await post_form(client, f"/e/{slug}/vote/choices", {"project": [ids["C1"]]}, page)
        steps["choices submitted"] = calls.take()
        page = (await client.get(f"/e/{slug}/vote/review")).text
        steps["review page"] = calls.take()
        cast = await post_form(client, f"/e/{slug}/vote/cast", {}, page)
        assert cast.status_code == 303
        steps["cast"] = calls.take()
        await client.get(cast.headers["location"])
        steps["receipt page"] = calls.take()

    kinds = {step: Counter(name for name, _ in made) for step, made in steps.items()}
    everything = [call for made in steps.values() for call in made]
    # the warm-up read the counter and the generation; no step of the vote reads them again
    assert ("get", VISITS_KEY) in warm
    assert not [c for c in everything if c == ("get", VISITS_KEY)]
    assert not [c for c in everything if c == ("get", GENERATION_KEY)]
    # a page or fragment that changes nothing in the session: one round trip, a read that
    # also keeps it alive; nothing written back
    for step in ("identity page", "choices page", "choices fragment (htmx)", "review page"):
        assert kinds[step] == Counter(get_touch=1), (step, steps[step])
    # a step that changes the session: read once, written once
    for step in ("choice picked (htmx)", "choices submitted", "cast"):
        assert kinds[step] == Counter(get_touch=1, set=1), (step, steps[step])
    # identity: the session gets a new id; the old one is written back, as it was read,
    # marked with the end of its grace (no second read)
    assert kinds["identity submitted"] == Counter(get_touch=1, set=2)
    # the first page stores nothing (a signed cookie only); when the cookie comes back
    # the session is stored and its one visit counted
    assert kinds["clause page (new session)"] == Counter()
    assert kinds["clause acknowledged"] == Counter(get_touch=1, set=1, incr=1)
    assert kinds["receipt page"] == Counter(get_touch=1)
    assert len(everything) <= 20


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_get_touch_reads_and_pushes_the_expiry_in_one_call(kind, redis_run_keys):
    from tests.conftest import BACKEND, REDIS_URL
    from urna.core.store import MemoryStore, RedisStore

    if kind == "redis" and BACKEND != "postgres":
        store = MemoryStore()  # the embedded run has no Redis: the same contract in-process
    else:
        store = MemoryStore() if kind == "memory" else RedisStore(REDIS_URL, prefix=redis_run_keys)
    try:
        assert await store.get_touch("gt:none", ttl=60) is None
        await store.set("gt:key", b"value", ttl=1)
        assert await store.get_touch("gt:key", ttl=600) == b"value"
        if isinstance(store, RedisStore):
            assert 590 < await store._redis.ttl(store.key("gt:key")) <= 600
        else:
            assert store._data["gt:key"][1] - time.monotonic() > 590
    finally:
        await store.delete("gt:key")
        await store.close()
