"""The app's routes on one list.

FastAPI 0.165 keeps an ``include_router`` as a branch in ``app.routes``: every request
is matched through each branch twice (its router, then its route), saving and restoring
the branch's context in the ASGI scope for every route it tries — the largest part of
the router's cost per request. ``routes_adopt`` registers a domain's routes on the app's
own router instead: Starlette tries them in order, once, and each route is the same
``APIRoute`` with the app's dependencies first, then its router's, then its own (as an
include gives them). The domains keep their ``APIRouter`` and decorators unchanged."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute

# What a domain's route may set besides its path, methods and dependencies; a route using
# anything else is refused at startup rather than adopted without it.
CARRIED = ("name", "include_in_schema", "openapi_extra", "status_code", "summary")


def routes_adopt(app: FastAPI, router: APIRouter) -> None:
    """Add each route of ``router`` (mounted at no prefix) to ``app``'s own router."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r}: only API routes are adopted")
        if route.tags or route.responses or route.callbacks or route.deprecated:
            raise ValueError(f"{route.path}: an option routes_adopt does not carry")
        extra = {}
        if not isinstance(route.response_class, DefaultPlaceholder):
            extra["response_class"] = route.response_class
        app.router.add_api_route(
            route.path,
            route.endpoint,
            methods=sorted(route.methods),
            # the router's dependencies are already the route's (added at its decorator)
            dependencies=route.dependencies,
            **{option: getattr(route, option) for option in CARRIED},
            **extra,
        )
