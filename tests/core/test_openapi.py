"""The OpenAPI document: served outside production only, and describing every form a
route reads, from the same schema that parses it (``core.forms.form_openapi``)."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute

from tests.conftest import make_settings
from urna.main import create_app

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


@pytest.fixture(scope="module")
async def document(app) -> dict:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _api_routes(app) -> list[tuple[str, APIRoute]]:
    """Every route of the app meant for the document, with its full path (included
    routers are branches in ``app.routes``: the walk of ``staff.matrix.app_routes``)."""
    found: list[tuple[str, APIRoute]] = []

    def walk(routes, prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:
                walk(original.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute) and route.include_in_schema:
                found.append((prefix + route.path_format, route))

    walk(app.routes, "")
    return found


def _body(document: dict, path: str) -> dict:
    """The form schema of ``POST path`` and its media type."""
    content = document["paths"][path]["post"]["requestBody"]["content"]
    ((media, value),) = content.items()
    return {"media": media, **value["schema"]}


async def test_production_serves_no_schema(database_url):
    settings = make_settings(
        database_url, environment="production", notify_provider="smtp", smtp_host="localhost"
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
            for path in ("/openapi.json", "/docs", "/redoc"):
                assert (await http.get(path)).status_code == 404, path
    assert app.openapi_url is None


def test_every_route_is_described_and_every_post_reads_a_described_form(app, document):
    """Enumerated from the app: a new route, or a new POST without ``form_openapi``, fails
    here. Every POST carries at least the CSRF token in its form."""
    routes = _api_routes(app)
    assert len(routes) > 100
    assert {method for _, route in routes for method in route.methods} <= {"GET", "POST"}
    missing = []
    for path, route in routes:
        for method in route.methods:
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                missing.append(f"{method} {path} not described")
            elif method == "POST":
                body = operation.get("requestBody", {}).get("content", {})
                schema = next((body[m]["schema"] for m in FORM_TYPES if m in body), None)
                if schema is None or "csrf_token" not in schema.get("properties", {}):
                    missing.append(f"POST {path} has no form body")
    assert missing == []


def test_form_fields_carry_their_types_and_bounds(document):
    edition = _body(document, "/staff/editions")
    fields = edition["properties"]
    assert edition["media"] == "application/x-www-form-urlencoded"
    assert {"name", "slug", "voting_opens_at", "pool_budget"} <= set(edition["required"])
    assert fields["name"]["maxLength"] == 200 and fields["name"]["minLength"] == 1
    assert fields["slug"]["pattern"] == "^[a-z0-9][a-z0-9-]{1,79}$"
    assert (fields["retention_months"]["minimum"], fields["retention_months"]["maximum"]) == (
        1,
        120,
    )
    assert fields["confirmation_channel"]["enum"] == ["sms", "email", "none"]
    assert fields["required_fields"]["type"] == "array"
    assert "pesel" in fields["required_fields"]["items"]["enum"]
    # money is typed in złoty, as the clerk writes it, not as the integer it becomes
    assert fields["pool_budget"]["type"] == "string"

    # the names the form sends, not the model's (an area shares the pools page)
    area = _body(document, "/staff/editions/{slug}/areas")
    assert set(area["properties"]) == {"area_code", "area_name", "csrf_token"}


def test_uploads_are_multipart_with_a_file(document):
    for path, file in (
        ("/staff/editions/{slug}/projects/{number}/images", "image"),
        ("/staff/editions/{slug}/import/{kind}", "file"),
        ("/staff/editions/import", "file"),
    ):
        body = _body(document, path)
        assert body["media"] == "multipart/form-data", path
        assert body["properties"][file] == {"type": "string", "format": "binary"}, path


def test_public_forms_and_filters_are_described(document):
    identity = _body(document, "/e/{slug}/vote/identity")["properties"]
    assert {"first_name", "last_name", "street", "house_number", "pesel", "phone"} <= set(identity)
    assert identity["birth_date"] == {"type": "string", "format": "date"}  # no null in a form
    choices = document["paths"]["/e/{slug}/vote/choices"]["post"]
    assert choices["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"][
        "properties"
    ]["project"]["items"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert {"read", "live", "update"} <= {p["name"] for p in choices["parameters"]}
    explorer = {p["name"] for p in document["paths"]["/staff/logs"]["get"]["parameters"]}
    assert {"since", "until", "ip", "status", "path"} <= explorer
