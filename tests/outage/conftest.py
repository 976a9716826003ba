"""One private PostgreSQL cluster, one private redis-server and ``urna serve --workers 3``
against them for the outage tests (never the shared services). The tests stop, kill and
restart them; after each test the fixture ``services`` puts back whatever a failed test
left down, and at the end of the run everything is torn down by its process ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.outage.services import App, PrivatePostgres, PrivateRedis, app_start, app_stop

WORKERS = 3


@dataclass
class Services:
    postgres: PrivatePostgres
    redis: PrivateRedis
    app: App
    tmp_dir: Path

    def restore(self) -> None:
        """PostgreSQL and Redis up, the app answering (started again if it died)."""
        if not self.postgres.running:
            self.postgres.start()
        if not self.redis.running:
            self.redis.start()
        if self.app.process.poll() is not None:
            app_stop(self.app)
            self.app = app_start(
                self.tmp_dir,
                database_url=self.app.database_url,
                redis_url=self.redis.url,
                workers=WORKERS,
            )

    def ready(self) -> bool:
        try:
            return httpx.get(self.app.url("/readyz"), timeout=3).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture(scope="session")
def outage_services(tmp_path_factory) -> Iterator[Services]:
    postgres = PrivatePostgres()
    redis: PrivateRedis | None = None
    app: App | None = None
    try:
        postgres.start()
        database_url = postgres.database_create()
        redis = PrivateRedis()
        redis.start()
        tmp_dir = tmp_path_factory.mktemp("outage")
        app = app_start(tmp_dir, database_url=database_url, redis_url=redis.url, workers=WORKERS)
        services = Services(postgres, redis, app, tmp_dir)
        yield services
        app = services.app
    finally:
        if app is not None:
            app_stop(app)
        if redis is not None:
            redis.destroy()
        postgres.destroy()


@pytest.fixture
def services(outage_services: Services) -> Iterator[Services]:
    outage_services.restore()
    yield outage_services
    outage_services.restore()
