"""`urna serve` runs uvicorn as production wants it: uvloop and httptools, one worker per
core when sessions live in Redis (one without), a keep-alive longer than the proxy's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import uvicorn
from typer.testing import CliRunner

from urna.cli import app as cli
from urna.cli import common


@pytest.fixture
def launched(monkeypatch) -> dict:
    calls: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.update(kw, target=target))
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    return calls


def _serve(monkeypatch, redis_url, *args: str) -> None:
    monkeypatch.setattr(common, "settings", lambda: SimpleNamespace(redis_url=redis_url))
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 0, result.output


def test_with_redis_one_worker_per_core_on_uvloop_and_httptools(monkeypatch, launched):
    _serve(monkeypatch, "redis://127.0.0.1:6379/0")
    assert launched["workers"] == 4
    assert (launched["loop"], launched["http"]) == ("uvloop", "httptools")
    assert launched["timeout_keep_alive"] > 60  # nginx keeps idle upstreams 60 s
    assert launched["factory"] is True and launched["proxy_headers"] is False
    assert launched["access_log"] is False  # Urna's own request log records each request


def test_without_redis_one_worker_and_an_explicit_count_wins(monkeypatch, launched):
    _serve(monkeypatch, None)
    assert launched["workers"] == 1
    _serve(monkeypatch, "redis://127.0.0.1:6379/0", "--workers", "3")
    assert launched["workers"] == 3


def test_uvloop_and_httptools_are_installed():
    import httptools
    import uvloop

    assert uvloop.new_event_loop and httptools.HttpRequestParser
