"""Prometheus metrics: per-route counts and latency (route templates, never URLs), the
request log's buffer and the outbox backlog, readable only by a direct peer on the allow
list — never through the proxy, never from outside."""

from __future__ import annotations

import httpx
import pytest


def _client(app, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _value(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no metric line starting with {line_start!r}")


async def test_requests_are_counted_by_route_template_and_timed(app):
    async with _client(app, "127.0.0.1") as http:
        before = (await http.get("/metrics")).text
        await http.get("/e/no-such-edition-for-metrics")
        await http.get("/e/another-missing-edition")
        after = (await http.get("/metrics")).text
    line = 'urna_http_requests_total{method="GET",route="/e/{slug}",status="404"}'
    seen_before = _value(before, line) if line in before else 0.0
    assert _value(after, line) == seen_before + 2
    assert "no-such-edition-for-metrics" not in after  # labels are templates, not URLs
    assert 'urna_http_request_duration_seconds_bucket{le="0.005",route="/e/{slug}"}' in after
    assert "urna_request_log_pending" in after and "urna_outbox_backlog" in after
    assert _value(after, "urna_outbox_backlog ") >= 0


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("203.0.113.9", {}),  # from outside
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # relayed by the proxy
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
    ],
)
async def test_metrics_are_never_public(app, peer, headers):
    async with _client(app, peer) as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "urna_http_requests_total" not in response.text
