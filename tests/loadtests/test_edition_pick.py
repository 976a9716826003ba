"""A newcomer's `make loadtest` against the demo: without EDITION the target names the
editions open for online voting (`/_loadtest/editions`, load-test mode only) and the
generator loads the only one, or stops before any load naming them; the verdict's pool line
on a target without a pool gauge."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from asgi_lifespan import LifespanManager

from loadtests.readiness.appmetrics import AppSignals, Reading
from loadtests.readiness.limits import pool_text
from loadtests.readiness.preflight import edition_pick
from loadtests.readiness.replaydb import Refused
from tests.conftest import make_settings
from tests.factories.editions import edition_create
from urna.core.db import utcnow
from urna.main import create_app


async def test_the_target_lists_only_editions_open_for_online_voting(database_url, client):
    soon = (utcnow() + timedelta(days=3)).isoformat()
    app = create_app(make_settings(database_url, loadtest_mode=True))
    async with LifespanManager(app):
        open_one = await edition_create(app)
        upcoming = await edition_create(app, voting_opens_at=soon)
        on_paper = await edition_create(app, vote_type="ordinal")  # points: never online
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            voting = (await http.get("/_loadtest/editions")).json()["voting"]
    assert {"slug": open_one.slug, "name": open_one.name} in voting
    assert not {upcoming.slug, on_paper.slug} & {item["slug"] for item in voting}
    # without the mode the route does not exist
    assert (await client.get("/_loadtest/editions")).status_code == 404


def _target(voting) -> tuple[HTTPServer, str]:
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = json.dumps({"voting": voting}).encode()
            self.send_response(200 if self.path == "/_loadtest/editions" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def test_the_only_open_edition_is_loaded():
    server, target = _target([{"slug": "bo-2027", "name": "BO 2027"}])
    try:
        assert edition_pick(target) == "bo-2027"
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("voting", "said_en", "said_pl"),
    [
        ([], "No edition is open for online voting", "nie trwa głosowanie"),
        (
            [{"slug": "bo-a", "name": "A"}, {"slug": "bo-b", "name": "B"}],
            "Voting is open in several editions (bo-a, bo-b): choose one with --edition",
            "wybierz jedną",
        ),
        (None, "Could not read the target's editions", "Nie udało się odczytać"),
    ],
)
def test_none_or_several_open_stop_the_run_before_any_load(voting, said_en, said_pl):
    server, target = _target(voting)
    try:
        with pytest.raises(Refused) as refused:
            edition_pick(target)
    finally:
        server.shutdown()
    said = str(refused.value)
    assert said_en in said and said_pl in said and "No load was generated." in said


def test_the_pool_line_without_a_known_pool_names_the_workers_alone():
    """An embedded (SQLite) target exports no pool gauge: no "pool ?", and one worker."""
    reading = Reading(waits=10, slow_waits=0, wait_seconds=0.1, timeouts=0, probes=5, late=0)
    pl, en = pool_text(AppSignals(reading, workers=1, pool_size=None, pool_overflow=None))
    assert en == "0 requests waited > 1 s for a connection (1 worker)"
    assert pl == "żądań czekających > 1 s na połączenie z bazą: 0 (procesów: 1)"
    pl, en = pool_text(AppSignals(reading, workers=2, pool_size=5, pool_overflow=None))
    assert en.endswith("(pool 5 per worker, 2 workers)") and "pula 5 na proces" in pl
