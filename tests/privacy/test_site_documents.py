"""The privacy policy and the accessibility statement are published from the console on
any installation (not only by the demo): each new version goes to its public page and its
register of changes, audited; a bad form is said, nothing stored."""

from __future__ import annotations

import uuid

import pytest

from tests.factories.staff import audit_events_of, csrf_of, staff_client
from urna.documents import service as documents

pytestmark = pytest.mark.flow


@pytest.mark.parametrize(
    ("kind", "address"), [("policy", "/privacy"), ("accessibility", "/accessibility")]
)
async def test_the_office_publishes_a_site_document(app, client, kind, address):
    body = f"Tekst {uuid.uuid4().hex[:8]}."
    async with await staff_client(app, "admin") as admin:
        listing = await admin.get("/staff/documents")
        assert listing.status_code == 200 and f'href="/staff/documents/{kind}"' in listing.text
        page = await admin.get(f"/staff/documents/{kind}")
        token = csrf_of(page.text)
        empty = await admin.post(
            f"/staff/documents/{kind}",
            data={"title": " ", "body": body, "change_summary": "x", "csrf_token": token},
        )
        assert empty.status_code == 400 and "To pole jest wymagane." in empty.text
        async with app.state.ctx.db() as session:
            before = await documents.document_latest(session=session, kind=kind)
        published = await admin.post(
            f"/staff/documents/{kind}",
            data={"title": "Dokument", "body": body, "body_en": "Text.",
                  "change_summary": "Nowy adres urzędu", "csrf_token": token},
        )  # fmt: skip
        assert published.status_code == 303
        assert (await admin.get(f"/staff/documents/{kind}-x")).status_code == 404
        page = (await admin.get(f"/staff/documents/{kind}")).text
        assert 'id="document-versions"' in page and f'href="{address}?version=' in page
        assert f'action="/staff/documents/{kind}"' in page and "Nowy adres urzędu" in page
    shown = await client.get(address)
    assert shown.status_code == 200 and body in shown.text and "Nowy adres urzędu" in shown.text
    async with app.state.ctx.db() as session:
        latest = await documents.document_latest(session=session, kind=kind)
    assert latest.version == (before.version + 1 if before else 1)
    events = await audit_events_of(app, f"document:{kind}")
    assert events[-1].action == "document.publish"
    assert events[-1].details == {"version": latest.version}
