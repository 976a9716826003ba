"""Residents' rights: receipt + one-time code → what is held (never the choices), its JSON,
a request in the office's queue with a deadline, the answer read back, and an erasure that
keeps the anonymous ballot counted; every step in the audit log."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import e164, latest_code, person, receipt_of, vote
from urna.core.audit import AuditEvent
from urna.core.cookies import COOKIE_NAME
from urna.core.db import utcnow
from urna.privacy import requests
from urna.privacy.models import DataRequest
from urna.voting.models import Ballot, Voter

pytestmark = pytest.mark.flow


async def _rights_session(client, app, receipt: str, phone: str) -> None:
    page = (await client.get("/my-data")).text
    response = await client.post("/my-data", data={"code": receipt, "csrf_token": csrf_of(page)})
    assert response.status_code == 303, response.text
    page = (await client.get("/my-data/code")).text
    assert 'href="/my-data"' in page  # a new code: the receipt code again
    for malformed, said in (  # said, and no attempt counted
        ("", "Kod ma 6 cyfr"),
        ("abc", "Kod ma 6 cyfr"),
        ("12345678", "Kod ma 6 cyfr"),
        ("12\x0034", "niewidoczne znaki"),
    ):
        refused = await client.post(
            "/my-data/code", data={"code": malformed, "csrf_token": csrf_of(page)}
        )
        assert refused.status_code == 400 and said in refused.text, malformed
    wrong = await client.post("/my-data/code", data={"code": "000000", "csrf_token": csrf_of(page)})
    assert wrong.status_code == 400  # (the real code is 000000 once in a million)
    assert "Pozostałe próby: 4" in wrong.text
    code = await latest_code(app, e164(phone))
    before = client.cookies.get(COOKIE_NAME)
    response = await client.post("/my-data/code", data={"code": code, "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    assert client.cookies.get(COOKIE_NAME) not in (None, before)  # a new session id


async def test_a_resident_sees_downloads_and_files_and_reads_the_answer(app, client, db):
    edition = await edition_create(app)
    who = person(first_name="Bożena", last_name="Przykładowa")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)

    assert "Przykładowa" not in (await client.get("/my-data")).text  # not before the code
    wrong = await client.post(
        "/my-data",
        data={"code": "0000-0000-0000", "csrf_token": csrf_of((await client.get("/my-data")).text)},
    )
    assert wrong.status_code == 400
    await _rights_session(client, app, receipt, who["phone"])

    page = await client.get("/my-data")
    assert "Przykładowa" in page.text and who["house_number"] in page.text
    # the retention date as an office writes it, not as JSON holds it
    assert re.search(r"<dd>\d\d\.\d\d\.\d{4}</dd>", page.text) and "+00:00" not in page.text
    assert page.headers["cache-control"].startswith("no-store")
    assert "C1" not in re.sub(r"<[^>]+>", " ", page.text)  # never the choices
    data = (await client.get("/my-data.json")).json()
    assert data["identity"]["last_name"] == "Przykładowa"
    assert data["clause_version"] == 1 and data["ballot"]["status"] == "counted"
    assert "choices" not in data["ballot"]
    # all that is held (art. 15): the ballot's address and browser, and its session's
    # requests as the request log holds them (address, page, browser)
    cast = (await db.execute(select(Ballot).where(Ballot.edition_id == edition.id))).scalar_one()
    assert data["ballot"]["ip"] == cast.ip and data["ballot"]["browser"] == cast.user_agent
    assert cast.ip and cast.user_agent
    db.expunge(cast)  # read again after the erasure below
    await app.state.request_log.flush()
    data = (await client.get("/my-data.json")).json()
    logged = data["requests_logged"]
    assert any(r["method"] == "POST" and r["url"] == f"/e/{edition.slug}/vote/cast" for r in logged)
    assert all(r["ip"] == cast.ip and r["browser"] == cast.user_agent for r in logged)
    assert not any(r["url"].startswith("/my-data") for r in logged)  # only up to the cast
    page = await client.get("/my-data")
    assert "Twoja wizyta w dzienniku zapytań" in page.text and cast.user_agent in page.text
    assert f"POST /e/{edition.slug}/vote/cast" in page.text

    for text, message in (("x" * 4001, "za długi"), ("Popraw\x00 nazwisko", "niewidoczne")):
        refused = await client.post(  # refused whole, never cut or stored as sent
            "/my-data/request",
            data={"kind": "rectification", "text": text, "csrf_token": csrf_of(page.text)},
        )
        assert refused.status_code == 400 and message in refused.text
    for kind, text in (("rectification", "Popraw ulicę"), ("erasure", "Proszę usunąć")):
        response = await client.post(
            "/my-data/request",
            data={"kind": kind, "text": text, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 303
    filed = (await client.get("/my-data.json")).json()["requests"]
    assert sorted((r["kind"], r["state"], r["body"]) for r in filed) == [
        ("erasure", "new", "Proszę usunąć"),
        ("rectification", "new", "Popraw ulicę"),
    ]
    [request_id] = [r["id"] for r in filed if r["kind"] == "erasure"]
    [rectification_id] = [r["id"] for r in filed if r["kind"] == "rectification"]

    async with await staff_client(app, "admin") as staff:
        queue = await staff.get("/staff/privacy/requests")
        assert f"/staff/privacy/requests/{request_id}" in queue.text
        detail = await staff.get(f"/staff/privacy/requests/{request_id}")
        assert "Przykładowa" not in detail.text  # opened only on purpose
        detail = await staff.post(
            f"/staff/privacy/requests/{request_id}/held", data={"csrf_token": csrf_of(detail.text)}
        )
        assert detail.status_code == 200 and "Przykładowa" in detail.text
        not_asked = await staff.post(
            f"/staff/privacy/requests/{rectification_id}/erase",
            data={"csrf_token": csrf_of(detail.text)},
        )
        assert not_asked.status_code == 409 and "Niczego nie usunięto" in not_asked.text
        assert "Przykładowa" in (await client.get("/my-data")).text  # still held
        for _twice in range(2):  # the second finds nothing to erase and records nothing
            erased = await staff.post(
                f"/staff/privacy/requests/{request_id}/erase",
                data={"csrf_token": csrf_of(detail.text)},
            )
            assert erased.status_code == 303
        answered = await staff.post(
            f"/staff/privacy/requests/{request_id}",
            data={"state": "done", "answer": "Usunięto.", "csrf_token": csrf_of(detail.text)},
        )
        assert answered.status_code == 303

    data = (await client.get("/my-data.json")).json()
    assert data["identity"] == {} and data["identity_erased"] is True
    assert data["ballot"]["ip"] is None and data["requests_logged"] == []  # links gone too
    [answered] = [r for r in data["requests"] if r["id"] == request_id]
    assert answered["answer"] == "Usunięto." and answered["state"] == "done"
    ballot = (await db.execute(select(Ballot).where(Ballot.edition_id == edition.id))).scalar_one()
    assert ballot.status == "counted"  # the anonymous ballot stays in the tally
    voter = await db.get(Voter, ballot.voter_id)
    assert voter.identity_enc is None and voter.identity_key  # still one ballot per person
    assert ballot.ip is None and ballot.user_agent is None
    # nor its way to its requests, whose log keeps the address and browser
    assert ballot.request_id is None and ballot.session_hash is None
    actions = (
        (
            await db.execute(
                select(AuditEvent.action).where(AuditEvent.target == f"data_request:{request_id}")
            )
        )
        .scalars()
        .all()
    )
    assert {
        "privacy.request_filed",
        "privacy.request_read",
        "privacy.request_held_read",
        "privacy.identity_erase",
        "privacy.request_answer",
    } <= set(actions)
    assert actions.count("privacy.identity_erase") == 1  # erased once, recorded once


async def test_the_queue_warns_a_week_before_the_deadline_and_after_it():
    now = utcnow()
    soon = DataRequest(edition_id=1, kind="objection", filed_at=now, due_at=now + timedelta(days=6))
    later = DataRequest(
        edition_id=1, kind="objection", filed_at=now, due_at=now + timedelta(days=20)
    )
    late = DataRequest(edition_id=1, kind="objection", filed_at=now, due_at=now - timedelta(days=1))
    done = DataRequest(
        edition_id=1, kind="objection", state="done", filed_at=now, due_at=now - timedelta(days=1)
    )
    assert [requests.urgency(r, now) for r in (soon, later, late, done)] == [
        "due_soon",
        "",
        "overdue",
        "",
    ]


async def test_a_minor_s_guardian_is_among_what_is_held(app, client):
    """A 13-17-year-old votes with a guardian's consent: the guardian's name is held with
    the identity, so it is shown and downloaded too."""
    edition = await edition_create(app)
    today = utcnow().date()
    who = person(
        birth_date=today.replace(year=today.year - 15).isoformat(),
        guardian_name="Ewa Opiekuńska",
        guardian_declaration="consent",
    )
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    await _rights_session(client, app, await receipt_of(client, edition.slug), who["phone"])
    assert (await client.get("/my-data.json")).json()["identity"]["guardian_name"] == (
        "Ewa Opiekuńska"
    )
    page = (await client.get("/my-data")).text
    assert "<dt>imię i nazwisko opiekuna</dt><dd>Ewa Opiekuńska</dd>" in page
