"""The console pages: who may see them, page vs htmx fragment, inert rendering, export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.staff import staff_client
from tests.factories.voting import person, vote
from tests.requestlog.conftest import client_for
from tests.requestlog.factories import row, rows_write
from urna.core.audit import AuditEvent
from urna.core.i18n import utc_iso
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow

AT = datetime(2004, 4, 4, 4, tzinfo=UTC)  # a period of its own
HOSTILE_UA = '<script>alert("ua")</script>\x1b[31m=HYPERLINK("x")'
WINDOW = {"since": "2004-04-04 00:00", "until": "2004-04-05 00:00"}


@pytest.fixture(scope="module")
async def sample(app):
    rows = [
        row(AT + timedelta(seconds=i), url=f"/e/demo/projects?page={i}", session_hash=f"v-{i}")
        for i in range(6)
    ]
    rows.append(
        row(
            AT,
            url="/%3Cimg%20src=x%3E",
            status=404,
            user_agent=HOSTILE_UA,
            session_hash="v-hostile",
            ip="203.0.113.66",
        )
    )
    return await rows_write(app, rows)


@pytest.mark.parametrize(
    ("path", "roles"),
    [
        ("/staff/logs", {"netadmin", "verifier", "admin"}),
        ("/staff/logs/session/v-1", {"netadmin", "verifier", "admin"}),
        ("/staff/logs/export.csv", {"netadmin", "verifier", "admin"}),
        ("/staff/stats", {"netadmin", "admin"}),
    ],
)
async def test_only_the_roles_the_policy_names_see_logs(app, client, path, roles):
    anonymous = await client.get(path)
    assert anonymous.status_code == 303 and "/staff/login" in anonymous.headers["location"]
    for role in ("netadmin", "verifier", "admin"):
        staff = await staff_client(app, role)
        try:
            response = await staff.get(path)
        finally:
            await staff.aclose()
        assert response.status_code == (200 if role in roles else 403), (role, path)


async def test_the_explorer_renders_rows_inert_and_pages_as_fragments(app, sample):
    staff = await staff_client(app, "netadmin")
    try:
        page = await staff.get("/staff/logs", params=WINDOW)
        fragment = await staff.get(
            "/staff/logs", params={**WINDOW, "ip": "203.0.113.66"}, headers={"HX-Request": "true"}
        )
        trail = await staff.get("/staff/logs/session/v-hostile")
    finally:
        await staff.aclose()
    assert page.status_code == 200 and "<html" in page.text
    assert "Najwyżej 100\xa0000 żądań" in page.text  # the export's limit, before it cuts
    # addresses and sessions: the search pushes its URL, so htmx must not keep the page
    assert 'hx-history="false"' in page.text and 'hx-history="false"' in trail.text
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "\x1b" not in page.text and "\\u001b" in page.text
    assert "/e/demo/projects?page=5" in page.text
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="results"' in fragment.text and "203.0.113.66" in fragment.text
    assert "/e/demo/projects?page=5" not in fragment.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_bad_filter_is_explained(app):
    staff = await staff_client(app, "verifier")
    try:
        response = await staff.get("/staff/logs", params={"ip": "not an address"})
    finally:
        await staff.aclose()
    assert response.status_code == 400 and "error-summary" in response.text


async def test_the_export_is_a_neutralised_csv_and_audited(app, sample):
    staff = await staff_client(app, "verifier")
    try:
        response = await staff.get("/staff/logs/export.csv", params=WINDOW)
    finally:
        await staff.aclose()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "newest" not in response.headers["content-disposition"]  # every row is there
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") == 8  # header + 7 rows
    assert "'<script>" not in text and "\x1b" not in text
    async with app.state.ctx.db() as session:
        event = (
            await session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        ).scalar_one()
    assert event.action == "requestlog.export" and event.details["rows"] == 7
    assert event.actor_id is not None


async def test_the_trail_of_a_ballot(app, sample):
    """The ballot's page reads its session hash and request id and shows that trail."""
    edition = await edition_create(app)
    async with client_for(app) as resident:
        assert (await vote(resident, app, edition.slug, person(), ["C1"])).status_code == 303
    async with app.state.ctx.db() as session:
        ballot = (
            await session.execute(select(Ballot).where(Ballot.edition_id == edition.id))
        ).scalar_one()
    await app.state.request_log.flush()
    staff = await staff_client(app, "verifier")
    try:
        response = await staff.get(f"/staff/logs/ballot/{ballot.id}")
        missing = await staff.get("/staff/logs/ballot/999999999")
        beyond = await staff.get("/staff/logs/ballot/99999999999999999999")
    finally:
        await staff.aclose()
    assert response.status_code == 200
    assert 'hx-history="false"' in response.text  # addresses and browsers: never kept by htmx
    assert ballot.request_id and ballot.session_hash
    assert ballot.request_id in response.text and "/vote/cast" in response.text
    assert ballot.session_hash in response.text and f"/e/{edition.slug}/vote" in response.text
    # cast in Polish time, as every time in the console, the instant kept for machines
    assert "Oddany (czas polski)" in response.text and "(UTC)" not in response.text
    assert f'<time datetime="{utc_iso(ballot.submitted_at)}">' in response.text
    # an id beyond BIGINT names no ballot: 404 before any query (core.forms.path_params_check)
    assert missing.status_code == 404 and beyond.status_code == 404
    async with app.state.ctx.db() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.target == f"ballot:{ballot.id}")
            )
        ).scalar_one()
    assert event.action == "requestlog.trail" and event.details["rows"] >= 2


async def test_statistics_page_shows_charts_and_folds_small_groups(app, sample):
    staff = await staff_client(app, "admin")
    try:
        page = await staff.get("/staff/stats", params=WINDOW)
        fragment = await staff.get("/staff/stats", params=WINDOW, headers={"HX-Request": "true"})
        bad = await staff.get("/staff/stats", params={"since": "2004-04-05", "until": "2004-04-04"})
    finally:
        await staff.aclose()
    assert page.status_code == 200 and "<svg" in page.text and "<html" in page.text
    assert "/e/demo/projects" in page.text
    assert "/%3Cimg" not in page.text  # one visitor's 404: folded into "other"
    assert "203.0.113.66" not in page.text and "v-hostile" not in page.text
    assert "<html" not in fragment.text and "<svg" in fragment.text
    assert "style=" not in page.text and "<script" not in page.text.split("</head>")[1]
    assert bad.status_code == 400
