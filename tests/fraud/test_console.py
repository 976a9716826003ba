"""The allow-list in the console: verifiers and the office add and remove networks with
a note, each change audited; a network administrator may not; bad input gets a message."""

from sqlalchemy import select

from tests.factories.staff import csrf_of, staff_client
from urna.core.audit import AuditEvent
from urna.fraud.models import FraudAllow


async def test_verifier_adds_and_removes_a_shared_network(app):
    async with await staff_client(app, "verifier") as verifier:
        page = await verifier.get("/staff/fraud/allow")
        assert page.status_code == 200 and "Known shared networks" not in page.text
        form = {"cidr": "198.51.100.0/25", "note": "Biblioteka Miejska, czytelnia"}
        added = await verifier.post(
            "/staff/fraud/allow", data={**form, "csrf_token": csrf_of(page.text)}
        )
        assert added.status_code == 303 and added.headers["location"] == "/staff/fraud/allow"
        page = await verifier.get("/staff/fraud/allow")
        assert "198.51.100.0/25" in page.text and "Biblioteka Miejska, czytelnia" in page.text
        async with app.state.ctx.db() as session:
            entry = (
                await session.execute(select(FraudAllow).where(FraudAllow.cidr == form["cidr"]))
            ).scalar_one()
        assert entry.created_by == verifier.staff_user.id

        twice = await verifier.post(
            "/staff/fraud/allow", data={**form, "csrf_token": csrf_of(page.text)}
        )
        assert twice.status_code == 400 and "już na liście" in twice.text
        bad = await verifier.post(
            "/staff/fraud/allow",
            data={"cidr": "biblioteka", "note": "", "csrf_token": csrf_of(page.text)},
        )
        assert bad.status_code == 400 and "Podaj adres IP lub sieć" in bad.text
        for cidr in ("0.0.0.0/0", "10.0.0.0/8", "2001:db8::/16"):  # would silence everyone
            wide = await verifier.post(
                "/staff/fraud/allow",
                data={"cidr": cidr, "note": "Cała sieć", "csrf_token": csrf_of(page.text)},
            )
            assert wide.status_code == 400 and "zbyt szeroka" in wide.text, cidr
        zoned = await verifier.post(
            "/staff/fraud/allow",
            data={"cidr": "fe80::1%eth0", "note": "Kiosk", "csrf_token": csrf_of(page.text)},
        )
        assert zoned.status_code == 400 and "Podaj adres IP lub sieć" in zoned.text
        for note, message in (("x" * 501, "za długi"), ("Kiosk\x00", "niewidoczne znaki")):
            refused = await verifier.post(
                "/staff/fraud/allow",
                data={"cidr": "192.0.2.7", "note": note, "csrf_token": csrf_of(page.text)},
            )
            assert refused.status_code == 400 and message in refused.text

        removed = await verifier.post(
            f"/staff/fraud/allow/{entry.id}/remove", data={"csrf_token": csrf_of(page.text)}
        )
        assert removed.status_code == 303
        missing = await verifier.post(
            f"/staff/fraud/allow/{entry.id}/remove", data={"csrf_token": csrf_of(page.text)}
        )
        assert missing.status_code == 404
    async with app.state.ctx.db() as session:
        assert await session.get(FraudAllow, entry.id) is None
        refused = ["0.0.0.0/0", "10.0.0.0/8", "2001:db8::/16", "192.0.2.7/32"]
        stored = select(FraudAllow).where(FraudAllow.cidr.in_(refused))
        assert (await session.execute(stored)).first() is None  # no refusal stored
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.actor_id)
                .where(AuditEvent.target == "cidr:198.51.100.0/25")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert events == [
        ("fraud.allow.add", verifier.staff_user.id),
        ("fraud.allow.remove", verifier.staff_user.id),
    ]


async def test_network_administrator_may_not_touch_the_list(app):
    async with await staff_client(app, "netadmin") as netadmin:
        assert (await netadmin.get("/staff/fraud/allow")).status_code == 403
        start = await netadmin.get("/staff")
        assert "/staff/fraud/allow" not in start.text
    async with await staff_client(app, "admin") as admin:
        start = await admin.get("/staff")
        assert "/staff/fraud/allow" in start.text
