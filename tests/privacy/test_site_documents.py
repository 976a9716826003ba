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


async def test_a_site_document_has_an_english_title_for_the_english_page(app, client):
    """The English page was headed in Polish: the console takes an English title (optional:
    without one, the English page shows the Polish title, Polish being the binding text)."""
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get("/staff/documents/accessibility")).text)
        form = {"title": "Deklaracja dostępności", "body": "Treść.", "body_en": "Text.",
                "change_summary": "Tytuł po angielsku", "csrf_token": token}  # fmt: skip
        hidden = await admin.post(
            "/staff/documents/accessibility", data=form | {"title_en": "Statement\u202e"}
        )
        assert hidden.status_code == 400 and "niewidoczne znaki sterujące" in hidden.text
        assert 'href="#f-title_en"' in hidden.text
        published = await admin.post(
            "/staff/documents/accessibility",
            data=form | {"title_en": "Accessibility statement"},
        )
        assert published.status_code == 303
        page = (await admin.get("/staff/documents/accessibility")).text
        assert 'name="title_en"' in page and 'value="Accessibility statement"' in page
    polish = (await client.get("/accessibility")).text
    assert "<h1>Deklaracja dostępności</h1>" in polish
    assert "<title>Deklaracja dostępności" in polish and "Accessibility statement" not in polish
    await client.get("/lang/en")
    english = (await client.get("/accessibility")).text
    assert "<h1>Accessibility statement</h1>" in english and "<p>Text.</p>" in english
    assert "<title>Accessibility statement" in english

    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get("/staff/documents/accessibility")).text)
        again = await admin.post(
            "/staff/documents/accessibility", data=form | {"title_en": "", "csrf_token": token}
        )
        assert again.status_code == 303
    english = (await client.get("/accessibility")).text
    assert "<h1>Deklaracja dostępności</h1>" in english  # no English title: the Polish one
