"""The proxies in infra/: every request reaches the app (its request log records every
HTTP request, static files included: the privacy policy's promise and the page views the
fraud signals read), per-address limits answer 429 before Python runs, and the visitor's
address is set by the proxy, never passed on from the client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[2] / "infra"
CONFIGS = sorted(INFRA.glob("nginx*.conf"))


def _locations(config: str) -> list[str]:
    """Each ``location`` block's body (they hold no nested braces)."""
    return re.findall(r"\blocation\b[^{]*\{([^}]*)\}", config)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_request_goes_to_the_app_within_a_per_address_limit(path):
    config = path.read_text()
    locations = _locations(config)
    assert locations
    for body in locations:
        assert "proxy_pass http://urna_app;" in body
        assert not re.search(r"^\s*(alias|root|return)\b", body, re.MULTILINE)  # none served here
        assert re.search(r"^\s*limit_req zone=\w+ burst=\d+ nodelay;", body, re.MULTILINE)
        # the proxy's own view of the visitor, never the client's header appended to
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in body
    assert "limit_req_status 429;" in config
    zones = set(re.findall(r"limit_req_zone \$binary_remote_addr zone=(\w+):", config))
    assert zones and zones == set(re.findall(r"limit_req zone=(\w+)", config))


def test_both_proxies_are_checked():
    assert [path.name for path in CONFIGS] == ["nginx.compose.conf", "nginx.conf"]
