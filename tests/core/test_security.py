"""Security baseline: headers, session cookies, CSRF, trusted proxies, visit counter."""

import json

import pytest
from httpx import ASGITransport, AsyncClient

from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of, person, reach_choices, reach_identity
from urna.core.cookies import ROTATION_GRACE_SECONDS
from urna.core.sessions import VISITS_KEY

pytestmark = pytest.mark.flow


async def test_security_headers_on_pages_errors_and_static(client):
    for url in ("/", "/no-such-page", "/static/css/urna.css"):
        response = await client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP here
    assert (await client.get("/")).headers["cache-control"] == "no-store"
    assert "max-age" in (await client.get("/static/css/urna.css")).headers["cache-control"]


async def test_personal_pages_are_not_kept_in_history_or_cache(app, client):
    edition = await edition_create(app)
    page = await reach_identity(client, edition.slug)
    assert 'hx-history="false"' in page
    response = await client.get(f"/e/{edition.slug}/vote/identity")
    assert response.headers["cache-control"] == "no-store"


async def test_session_cookie_is_a_session_cookie_only(client):
    response = await client.get("/my-data")  # a page with a form: it gives the cookie
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    assert name == "urna_sid"
    sid = rest.split(";")[0]
    random_part, dot, mac = sid.partition(".")
    assert len(random_part) == 43  # 256 random bits, urlsafe base64
    assert dot and len(mac) == 32  # and the site's signature (a session not stored yet)
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert not any(a.startswith(("expires", "max-age")) for a in attributes)
    assert len(response.headers.get_list("set-cookie")) == 1  # no other cookie, ever


async def test_https_behind_a_trusted_proxy_gets_host_prefix_secure_and_hsts(app):
    transport = ASGITransport(app=app, client=("127.0.0.1", 1234))
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get(
            "/my-data", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-urna_sid=") and "Secure" in cookie
    assert "max-age=31536000" in response.headers["strict-transport-security"]


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(app):
    from fastapi import Request

    seen = {}

    async def whoami(request: Request):
        seen["ip"] = request.client.host
        return {}

    app.add_api_route("/_test/ip", whoami)
    try:
        untrusted = ASGITransport(app=app, client=("198.51.100.7", 1234))
        async with AsyncClient(transport=untrusted, base_url="http://testserver") as http:
            await http.get("/_test/ip", headers={"X-Forwarded-For": "1.2.3.4"})
        assert seen["ip"] == "198.51.100.7"  # spoofed header from an untrusted peer: ignored
        trusted = ASGITransport(app=app, client=("127.0.0.1", 1234))
        async with AsyncClient(transport=trusted, base_url="http://testserver") as http:
            await http.get("/_test/ip", headers={"X-Forwarded-For": "1.2.3.4, 10.9.9.9, 127.0.0.1"})
        # the rightmost hop that is not a configured proxy is the client
        assert seen["ip"] == "10.9.9.9"
    finally:
        app.router.routes.pop()


async def test_csrf_token_is_required_on_every_post(app, client):
    edition = await edition_create(app)
    page = (await client.get(f"/e/{edition.slug}/vote")).text
    missing = await client.post(f"/e/{edition.slug}/vote", data={"acknowledge": "yes"})
    assert missing.status_code == 403 and "Formularz wygasł" in missing.text
    wrong = await client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    cross = await client.post(
        f"/e/{edition.slug}/vote",
        data={"acknowledge": "yes", "csrf_token": csrf_of(page)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    header = await client.post(
        f"/e/{edition.slug}/vote",
        data={"acknowledge": "yes"},
        headers={"X-CSRF-Token": csrf_of(page)},
    )
    assert header.status_code == 303


async def test_session_id_rotates_when_identity_is_confirmed(app, client):
    edition = await edition_create(app)
    await client.get("/my-data")
    before = client.cookies.get("urna_sid")
    await reach_choices(client, app, edition.slug, person())
    after = client.cookies.get("urna_sid")
    assert before and after and before != after
    store = app.state.ctx.store
    if hasattr(store, "_redis"):  # the old id is kept only for a short grace period
        ttl = await store._redis.ttl(store.key("sess:" + before))
        assert 0 < ttl <= ROTATION_GRACE_SECONDS


async def test_session_holds_only_what_the_policy_names(app, client):
    edition = await edition_create(app)
    await reach_choices(client, app, edition.slug, person())
    raw = await app.state.ctx.store.get("sess:" + client.cookies.get("urna_sid"))
    data = json.loads(raw)
    # "trail" is no new fact about the visitor: it is the salted hash of the session's own
    # first id, kept so that the request logs name one session by one value before and
    # after the id is rotated at identity confirmation (the policy's logging promise).
    assert set(data) <= {"created", "csrf", "lang", "vote", "receipt", "trail"}
    # the identity in the session is encrypted: no clear name or phone
    assert "Test" not in json.dumps(data["vote"].get("fields_enc"))


async def test_idle_timeout_is_set_on_the_stored_session(app, client):
    store = app.state.ctx.store
    await client.get("/my-data")
    await client.get("/my-data")  # the cookie came back: the session is stored
    sid = client.cookies.get("urna_sid")
    if hasattr(store, "_redis"):
        ttl = await store._redis.ttl(store.key("sess:" + sid))
        assert 0 < ttl <= 15 * 60
    else:
        value, expires = store._data["sess:" + sid]
        import time

        assert 0 < expires - time.monotonic() <= 15 * 60


async def test_visit_counter_counts_first_pages_of_sessions_only(app, client):
    store = app.state.ctx.store
    start = int(await store.get(VISITS_KEY) or 0)
    await client.get("/my-data")  # a form page: a cookie, no visit until it comes back
    await client.get("/my-data")  # the cookie came back: the session's visit
    await client.get("/receipt")  # same session: not a visit
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as other:
        await other.get("/my-data")
        page = (await other.get("/my-data")).text
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as bot:
        await bot.get("/my-data")  # keeps no cookie: never a visit
    end = int(await store.get(VISITS_KEY))
    assert end - start == 2  # tests in this process run one at a time
    assert f"Odwiedziny: {end - 1}" in page  # shown before its own first page is counted
