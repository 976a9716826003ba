"""The resident's vote is matched first (Starlette tries routes in order), each route on
the app's own list (``core.routes.routes_adopt``: no included router to match through),
and taking that place changes no other address: no other route's address is the vote's,
nor the other way round."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from starlette.routing import Mount, compile_path

from urna.voting.views import router as voting_router

PARAM = re.compile(r"\{[^}:]+(:path)?\}")


def _routes(routes, prefix: str = ""):
    """(path template, regex it is matched with) of every route, included routers walked."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _routes(original.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            path = prefix + route.path + "/{path:path}"
            yield path, compile_path(path)[0]
        else:
            yield prefix + route.path, compile_path(prefix + route.path)[0]


def _sample(path: str) -> str:
    """An address the template stands for (each parameter ``x``)."""
    return PARAM.sub(lambda m: "x/y" if m.group(1) else "x", path)


def test_the_vote_is_matched_first_on_one_flat_list(app):
    api = [route for route in app.router.routes if isinstance(route, APIRoute)]
    first = api[: len(voting_router.routes)]
    assert [r.endpoint for r in first] == [r.endpoint for r in voting_router.routes]
    assert not any(getattr(route, "original_router", None) for route in app.router.routes)


def test_no_other_address_is_taken_by_the_vote_nor_the_vote_s_by_another(app):
    vote = {route.path for route in voting_router.routes}
    everything = list(_routes(app.router.routes))
    others = [(path, regex) for path, regex in everything if path not in vote]
    assert len(everything) - len(others) == len(voting_router.routes) and len(others) > 100
    assert any(path.startswith("/static/") for path, _ in others)
    for path in vote:
        regex = compile_path(path)[0]
        for other, other_regex in others:
            assert not regex.match(_sample(other)), (path, other)
            assert not other_regex.match(_sample(path)), (other, path)
