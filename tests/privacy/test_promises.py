"""One test per promise of the privacy policy (DESIGN.md §2, docs/privacy.md), named after
it. Each checks the mechanism directly; the deeper flows are the tests docs/privacy.md
names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories.voting import csrf_of
from urna.core.access import LOG_READER_ROLES
from urna.core.cookies import RESIDENT_COOKIE, STAFF_COOKIE
from urna.core.errors import FormInvalid
from urna.core.sessions import VISITS_KEY
from urna.editions.models import Edition
from urna.requestlog.models import COLUMNS
from urna.staff.matrix import ROUTE_ROLES
from urna.verification.evidence import scope_parse

pytestmark = pytest.mark.flow

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "urna"


def test_requests_are_logged_with_exactly_the_promised_fields():
    promised = {"ip", "url", "arrived_at", "responded_at", "host", "error", "referer"}
    promised |= {"user_agent", "method", "status", "request_id", "duration_us"}
    assert set(COLUMNS) == promised | {"session_hash"}


def test_logs_are_used_only_to_administer_the_service_and_secure_the_vote():
    # only the log's own domain, fraud detection, verification (and the ballot's trail it
    # shows log readers, in voting), the jobs that prune it and look up host names, and
    # the public page that describes it use the request log
    readers = set()
    for path in BACKEND.rglob("*.py"):
        if re.search(r"from urna\.requestlog\b|import urna\.requestlog", path.read_text()):
            readers.add(path.relative_to(BACKEND).parts[0])
    allowed = {"requestlog", "fraud", "verification", "voting", "jobs", "privacy"}
    allowed |= {"main.py", "cli", "models.py"}
    assert readers <= allowed, readers - allowed


def test_logs_are_disclosed_only_to_network_administrators_and_verifiers():
    log_routes = [key for key in ROUTE_ROLES if key[1].startswith("/staff/logs")]
    assert log_routes
    for key in log_routes:
        assert set(ROUTE_ROLES[key]) == set(LOG_READER_ROLES) == {"netadmin", "verifier", "admin"}


def test_confidentiality_is_lifted_only_as_evidence_with_a_legal_basis():
    with pytest.raises(FormInvalid) as refused:
        scope_parse({"scope": "case", "case_id": "1", "category": "", "basis": ""})
    assert {"category", "basis"} <= set(refused.value.errors)


async def test_statistics_from_logs_identify_no_visitor(app):
    assert app.state.ctx.settings.stats_min_group >= 2  # small groups are folded


def test_personal_data_are_processed_only_to_let_residents_vote():
    # identities are stored only by the voting domain (and read back for residents' rights)
    writers = {
        path.relative_to(BACKEND).parts[0]
        for path in BACKEND.rglob("*.py")
        if "identity_seal" in path.read_text() or "fields_enc" in path.read_text()
    }
    assert writers <= {"voting", "privacy", "verification", "fraud", "core"}, writers


def test_personal_data_are_kept_three_months_after_the_edition_is_resolved():
    assert Edition.model_fields["retention_months"].default == 3


async def test_the_information_clause_is_given_before_voting(app, client):
    from tests.factories.editions import edition_create

    edition = await edition_create(app)
    page = await client.get(f"/e/{edition.slug}/vote")
    refused = await client.post(f"/e/{edition.slug}/vote", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 400  # no identity form without the clause acknowledged


def test_there_are_no_automated_decisions_or_profiling():
    # fraud detection flags; only verification (a person, with a reason) changes a ballot
    fraud = "\n".join(p.read_text() for p in (BACKEND / "fraud").rglob("*.py"))
    assert not re.search(r"status\s*=\s*[\"']invalid[\"']", fraud)
    assert "values(status=" not in fraud


async def test_residents_can_exercise_their_rights(client):
    page = await client.get("/my-data")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text


async def test_cookies_are_used_only_for_the_session(client):
    assert (await client.get("/privacy/logging")).headers.get("set-cookie") is None
    response = await client.get("/my-data")
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1 and cookies[0].startswith(RESIDENT_COOKIE.name + "=")
    assert "max-age" not in cookies[0].lower() and "expires" not in cookies[0].lower()
    assert STAFF_COOKIE.path == "/staff"


async def test_the_policy_versions_and_their_register_can_be_shown(client):
    response = await client.get("/privacy")
    assert response.status_code in (200, 404)  # 404 only while no policy is published
    if response.status_code == 200:
        assert "Rejestr zmian" in response.text


async def test_the_site_publishes_a_visit_counter(app, client):
    store = app.state.ctx.store
    before = int(await store.get(VISITS_KEY) or 0)
    await client.get("/my-data")  # a form page: the session's cookie
    await client.get("/my-data")  # sent back: the session's visit
    page = (await client.get("/privacy/logging")).text
    assert f"Odwiedziny: {before + 1}" in page
