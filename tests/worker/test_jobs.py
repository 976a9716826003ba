"""The worker's built-in jobs over what the app wrote: host names of logged requests,
and the retention purge."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select, update

from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from tests.requestlog.conftest import client_for, logged
from tests.worker.conftest import worker_settings
from urna.core.db import transaction, utcnow
from urna.editions.models import Edition
from urna.jobs import scheduled
from urna.main import create_app
from urna.requestlog.dns import HostResolver
from urna.voting.models import Voter


def fake_lookup(ip: str) -> str:
    """Reverse DNS without the network: a name for TEST-NET-3, none for the rest."""
    return "host-" + ip.replace(".", "-") + ".example.net" if ip.startswith("203.0.113.") else ""


@pytest.fixture(scope="module")
async def worker_app(worker_database_url: str):
    app = create_app(worker_settings(worker_database_url))
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(worker_app) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(worker_app) as http:
        yield http


async def logged_host(app, request_id: str) -> str | None:
    return (await logged(app, request_id)).host


async def test_the_worker_fills_in_host_names_the_app_left_out(worker_app, job_ctx, caplog):
    caplog.set_level(logging.INFO, logger="urna.jobs")
    request_ids = {}
    for peer in ("203.0.113.77", "198.51.100.8"):
        async with client_for(worker_app, peer) as http:
            request_ids[peer] = (await http.get("/healthz")).headers["x-request-id"]
    for request_id in request_ids.values():
        assert await logged_host(worker_app, request_id) is None  # the app looks up nothing

    looked_up = []

    def lookup(ip: str) -> str:
        looked_up.append(ip)
        return fake_lookup(ip)

    job_ctx.resolver = HostResolver(lookup=lookup, timeout=2)
    await scheduled.hosts_resolve(job_ctx)
    assert await logged_host(worker_app, request_ids["203.0.113.77"]) == (
        "host-203-0-113-77.example.net"
    )
    assert await logged_host(worker_app, request_ids["198.51.100.8"]) == ""  # no name
    assert "hosts: names of" in caplog.text

    async with client_for(worker_app, "203.0.113.77") as http:
        again = (await http.get("/healthz")).headers["x-request-id"]
    await worker_app.state.request_log.flush()
    looked_up.clear()
    await scheduled.hosts_resolve(job_ctx)
    assert await logged_host(worker_app, again) == "host-203-0-113-77.example.net"
    assert looked_up == []  # the resolver's cache, kept from one run to the next


async def test_the_retention_job_purges_editions_past_their_retention(
    worker_app, client, job_ctx, caplog
):
    caplog.set_level(logging.INFO, logger="urna.jobs")
    edition = await edition_create(worker_app)
    response = await vote(client, worker_app, edition.slug, person(), ["C1"])
    assert response.status_code == 303
    await scheduled.retention_purge(job_ctx)
    async with job_ctx.db() as session:
        voter = await session.scalar(select(Voter).where(Voter.edition_id == edition.id))
    assert voter.identity_enc is not None  # its retention has not ended

    long_ago = utcnow() - timedelta(days=400)
    async with transaction(job_ctx.db) as session:
        await session.execute(
            update(Edition)
            .where(Edition.id == edition.id)
            .values(
                voting_opens_at=long_ago - timedelta(days=30),
                voting_closes_at=long_ago - timedelta(days=20),
                results_at=long_ago,
            )
        )
    await scheduled.retention_purge(job_ctx)
    async with job_ctx.db() as session:
        voter = await session.scalar(select(Voter).where(Voter.edition_id == edition.id))
    assert voter.identity_enc is None and voter.purged_at is not None
    assert f"retention: {edition.slug}: 1 identities" in caplog.text
