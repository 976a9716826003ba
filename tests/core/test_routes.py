"""A domain's routes adopted on the app's own router: the same answers, dependencies in
the order an include gives them (the app's, the router's, the route's), the form's
OpenAPI description kept, and a route with an option the adoption would lose refused."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute

from urna.core.routes import routes_adopt


async def _app_wide(request: Request) -> None:
    request.state.order = ["app"]


async def _router_wide(request: Request) -> None:
    request.state.order.append("router")


async def _own(request: Request) -> None:
    request.state.order.append("route")


def _app() -> FastAPI:
    router = APIRouter(dependencies=[Depends(_router_wide)])

    @router.post("/x/{item_id}", dependencies=[Depends(_own)], openapi_extra={"x-form": 1})
    async def x(request: Request, item_id: int):
        return PlainTextResponse(f"{item_id} " + " ".join(request.state.order))

    app = FastAPI(dependencies=[Depends(_app_wide)])
    routes_adopt(app, router)
    return app


async def test_adopted_routes_answer_with_every_dependency_in_order():
    app = _app()
    assert not any(getattr(route, "original_router", None) for route in app.router.routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/x/7")
        wrong = await client.post("/x/seven")
    assert answer.text == "7 app router route"
    assert wrong.status_code == 422  # the path parameter still validated
    (route,) = [r for r in app.router.routes if isinstance(r, APIRoute)]
    assert app.openapi()["paths"]["/x/{item_id}"]["post"]["x-form"] == 1
    assert route.methods == {"POST"}


def test_an_option_the_adoption_would_lose_is_refused():
    router = APIRouter()

    @router.get("/tagged", tags=["t"])
    async def tagged():
        return PlainTextResponse("")

    with pytest.raises(ValueError, match="/tagged"):
        routes_adopt(FastAPI(), router)
