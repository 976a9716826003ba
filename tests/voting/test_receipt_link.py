"""The receipt reaches the resident whenever the ballot is stored: the redirect after the
cast carries it sealed, so the receipt page shows it even without the session (the
session store failed after the commit). A forged, altered, foreign or old link shows
nothing."""

import re
import time

import httpx
import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from urna.voting import receipts

pytestmark = pytest.mark.flow
CODE = re.compile(r'id="receipt-code"[^>]*>\s*([0-9A-Z-]{14})')


def _fresh(app) -> httpx.AsyncClient:  # a browser whose session was lost
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_receipt_link_shows_the_receipt_without_the_session(app, client):
    edition = await edition_create(app)
    response = await vote(client, app, edition.slug, person(), ["C1"])
    location = response.headers["location"]
    assert location.startswith(f"/e/{edition.slug}/vote/receipt?receipt=")
    with_session = CODE.search((await client.get(location)).text).group(1)
    async with _fresh(app) as lost:
        page = await lost.get(location)
        assert page.status_code == 200 and page.headers["cache-control"].startswith("no-store")
        assert CODE.search(page.text).group(1) == with_session
        token = location.split("receipt=", 1)[1]
        altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        other = await edition_create(app)
        for url in (
            f"/e/{edition.slug}/vote/receipt?receipt={altered}",
            f"/e/{edition.slug}/vote/receipt?receipt=%00%ff" + "x" * 5000,
            f"/e/{other.slug}/vote/receipt?receipt={token}",
            f"/e/{edition.slug}/vote/receipt",
        ):
            refused = await lost.get(url)
            # a NUL in the query is refused at the edge (400); the others lead back (303)
            assert refused.status_code in (303, 400) and "receipt-code" not in refused.text


def test_an_old_link_is_refused(app, monkeypatch):
    crypto = app.state.ctx.crypto
    token = receipts.receipt_link_token(crypto, slug="bo", code="ABCDABCDABCD")
    assert receipts.receipt_link_open(crypto, token, slug="bo") == "ABCDABCDABCD"
    later = time.time() + receipts.LINK_SECONDS + 1
    monkeypatch.setattr(receipts.time, "time", lambda: later)
    assert receipts.receipt_link_open(crypto, token, slug="bo") is None
