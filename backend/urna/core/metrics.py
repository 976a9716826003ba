"""Prometheus metrics: requests and latency per route, ballots cast, the request log's
buffer, the outbox backlog, and what a request waits for besides its own work: a free
database connection (``core.db`` times the pool), the session store (Redis; timed by
``core.store``) and the event loop. Never public:
``/metrics`` answers only a direct peer in ``URNA_METRICS_ALLOW`` (the scraper on the
internal network, or the load test's generator) that came through no proxy, so the same
request relayed by nginx or the ingress (with X-Forwarded-For) is refused.

With several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory per
start): counters and histograms of every worker are then summed in one answer."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
METRICS_PATH = "/metrics"

REQUESTS = Counter(
    "urna_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "urna_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BALLOTS_CAST = Counter("urna_ballots_cast_total", "Ballots committed", ["channel"])
LOG_PENDING = Gauge(
    "urna_request_log_pending", "Request-log records waiting to be written",
    multiprocess_mode="livesum",
)  # fmt: skip
LOG_DROPPED = Gauge(
    "urna_request_log_dropped", "Request-log records lost because the buffer was full",
    multiprocess_mode="livesum",
)  # fmt: skip
OUTBOX_BACKLOG = Gauge(
    "urna_outbox_backlog", "Messages in the outbox not yet sent", multiprocess_mode="max"
)
# The limits a load test must tell apart from CPU (loadtests/readiness reads them): how long
# a request waited for a pooled connection, and how late the event loop ran a callback.
WAIT_BUCKETS = (0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
POOL_WAIT = Histogram(
    "urna_db_pool_wait_seconds", "Time to get a connection from the database pool",
    buckets=WAIT_BUCKETS,
)  # fmt: skip
POOL_TIMEOUTS = Counter(
    "urna_db_pool_timeouts_total", "Requests refused: no pooled connection within the timeout"
)
POOL_CONNECTIONS = Gauge(
    "urna_db_pool_connections", "Connections a worker's pool keeps (size) and may add (overflow)",
    ["kind"], multiprocess_mode="max",
)  # fmt: skip
DB_BATCH = Histogram(
    "urna_db_batch_statements", "Statements one batched transaction carried (the casts)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)  # fmt: skip
WORKERS = Gauge("urna_workers", "Live app worker processes", multiprocess_mode="livesum")
LOOP_LAG = Histogram(
    "urna_event_loop_lag_seconds", "Delay before the event loop runs a callback queued now",
    buckets=WAIT_BUCKETS,
)  # fmt: skip
LOOP_PROBE_SECONDS = 0.1  # at most one lag probe per process this often
# A command to a local Redis takes well under a millisecond; a remote or overloaded one, or
# one behind a slow network, shows here before anywhere else (its CPU may not be visible).
SESSION_STORE = Histogram(
    "urna_session_store_seconds", "Time a session-store command took, as the app waited for it",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)  # fmt: skip


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return DEFAULT_REGISTRY


def _allowed(peer: str, headers: dict[bytes, bytes], networks: Sequence[Network]) -> bool:
    if b"x-forwarded-for" in headers or b"forwarded" in headers:
        return False
    try:
        return any(ipaddress.ip_address(peer) in net for net in networks)
    except ValueError:
        return False


class MetricsMiddleware:
    """Outermost: times every request (labelled by its route template, not its URL, so
    no personal data and no unbounded label set), and answers ``/metrics`` itself."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allow: Sequence[Network],
        log_writer=None,
        outbox_backlog: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.app = app
        self.allow = list(allow)
        self.log_writer = log_writer
        self.outbox_backlog = outbox_backlog
        self._probed = 0.0
        WORKERS.set(1)

    def _probe_loop_lag(self) -> None:
        """Queue a callback and record how late it runs: a worker's CPU as its requests
        feel it, visible from outside the machine (a remote target's CPU is not)."""
        now = time.perf_counter()
        if now - self._probed < LOOP_PROBE_SECONDS:
            return
        self._probed = now
        asyncio.get_running_loop().call_soon(lambda: LOOP_LAG.observe(time.perf_counter() - now))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH:
            await self._answer(scope, send)
            return
        started = time.perf_counter()
        status = 500
        self._probe_loop_lag()

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched"
            )
            _counted(scope["method"], template, status).inc()
            _timed(template).observe(time.perf_counter() - started)

    async def _answer(self, scope: Scope, send: Send) -> None:
        peer = (scope.get("client") or ("", 0))[0]
        if not _allowed(peer, dict(scope["headers"]), self.allow):
            await _plain(send, 404, b"Not Found")
            return
        if self.log_writer is not None:
            LOG_PENDING.set(self.log_writer.pending)
            LOG_DROPPED.set(self.log_writer.dropped)
        if self.outbox_backlog is not None:
            try:
                OUTBOX_BACKLOG.set(await self.outbox_backlog())
            except Exception:  # noqa: BLE001 - metrics must answer while the database is down
                OUTBOX_BACKLOG.set(-1)
        await _plain(send, 200, generate_latest(_registry()), CONTENT_TYPE_LATEST)


# Each request's series found once (``labels`` locks and builds a key per call); the
# labels are route templates, methods and statuses: a bounded set.
@lru_cache(maxsize=4096)
def _counted(method: str, template: str, status: int):
    return REQUESTS.labels(method, template, str(status))


@lru_cache(maxsize=1024)
def _timed(template: str):
    return LATENCY.labels(template)


async def _plain(send: Send, status: int, body: bytes, content_type: str = "text/plain") -> None:
    headers = [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
