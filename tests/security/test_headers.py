"""Security headers on every response: every GET route of the app (enumerated from
``app.routes``) as an anonymous visitor, a resident mid-vote and an admin, over HTTP and
HTTPS; and the answers no route gives by itself: 404, 405, 500, 503, 403, redirects, htmx
fragments, static files, /healthz, /readyz. CSP, nosniff, frame-ancestors and
X-Frame-Options, Referrer-Policy, Permissions-Policy, no-store on everything but public
files, HSTS over HTTPS (behind the trusted proxy, as in production) and only there."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.security.checklist import (
    header_faults,
    plain_client,
    visitors,
    visitors_close,
)
from tests.world import routes, world_seed

pytestmark = pytest.mark.flow


async def _crawl(app, world, *, https: bool) -> tuple[list, int, dict[int, int]]:
    clients = await visitors(app, world, https=https)
    faults, seen, statuses = [], 0, {}
    try:
        for who, http in clients.items():
            for _, path in routes(app, frozenset({"GET"})):
                for headers in ({}, {"HX-Request": "true"}) if not https else ({},):
                    response = await http.get(world.url(path), headers=headers)
                    seen += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    found = header_faults(response, template=path, https=https)
                    if found:
                        faults.append((who, path, headers, response.status_code, found))
    finally:
        await visitors_close(clients)
    return faults, seen, statuses


async def test_every_get_route_carries_the_headers_over_http_and_https(app):
    world = await world_seed(app)
    for https in (False, True):
        faults, seen, statuses = await _crawl(app, world, https=https)
        print(f"headers, https={https}: {seen} responses, by status {sorted(statuses.items())}")
        assert faults == []
        assert seen >= 3 * (1 if https else 2) * 60
        # not a crawl of error pages only: most routes answered with what they serve
        assert statuses.get(200, 0) > seen // 3, statuses
        assert max(statuses) < 500, statuses


async def test_answers_no_route_gives_carry_the_headers_too(app):
    async def boom():
        raise RuntimeError("a bug")

    async def store_down():
        raise RedisConnectionError("store down")

    app.add_api_route("/_test/boom", boom)
    app.add_api_route("/_test/store-down", store_down)
    http = plain_client(app)
    try:
        answers = {
            "404": await http.get("/no-such-page"),
            "404 staff": await http.get("/staff/no-such-page"),
            "405": await http.delete("/privacy"),
            "500": await http.get("/_test/boom"),
            "503": await http.get("/_test/store-down"),
            "403 csrf": await http.post("/receipt", data={"code": "x"}),
            "303 login": await http.get("/staff"),
            "303 language": await http.get("/lang/pl"),
            "static": await http.get("/static/css/urna.css"),
            "favicon": await http.get("/favicon.ico"),
            "healthz": await http.get("/healthz"),
            "readyz": await http.get("/readyz"),
            "htmx 404": await http.get("/no-such-page", headers={"HX-Request": "true"}),
        }
    finally:
        del app.router.routes[-2:]
        await http.aclose()
    expected = {"404": 404, "404 staff": 404, "405": 405, "500": 500, "503": 503,
                "403 csrf": 403, "303 login": 303, "303 language": 303, "static": 200,
                "favicon": 200, "healthz": 200, "readyz": 200, "htmx 404": 404}  # fmt: skip
    assert {name: r.status_code for name, r in answers.items()} == expected
    templates = {"static": "/static/", "favicon": "/favicon.ico"}
    faults = {
        name: found
        for name, response in answers.items()
        if (found := header_faults(response, template=templates.get(name, name)))
    }
    assert faults == {}
    assert answers["503"].headers["Retry-After"] == "30"
