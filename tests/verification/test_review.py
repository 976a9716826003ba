"""What a verifier reads: a case with its ballots masked, their trails, the timeline, the
signals and the choice sets; unmasking with a reason; finding a ballot by receipt code or
by name and address. Who may read and decide: verifiers and the office, never netadmin."""

from __future__ import annotations

import pytest

from tests.factories.staff import csrf_of, staff_client
from tests.verification.conftest import audit_events, case_make, case_page, cast, post_page

pytestmark = pytest.mark.flow


async def test_a_case_shows_masked_ballots_trails_timeline_signals_and_choices(app, edition):
    first = await cast(app, edition.slug, ["C1", "C3"], first_name="Zofia", ip="203.0.113.9")
    second = await cast(app, edition.slug, ["C2"], first_name="Piotr", ip="203.0.113.9")
    case_id, html = await case_page(app, edition, [first, second], ip="203.0.113.9")
    # masked: initials, never the name
    assert f"Z. {first.who['last_name'][0].upper()}." in html
    assert first.who["last_name"] not in html and "Zofia" not in html
    # the signal and why it fired, rendered from its stored message
    assert "2 ballots from 203.0.113.9" in html
    assert "wynik 7,5" in html and "wynik 7.5" not in html  # the score as Polish writes it
    # the choice sets side by side: one column per project chosen in the case
    assert all(f">{number}</th>" in html for number in ("C1", "C2", "C3"))
    assert "C3</th>" in html and "N1</th>" not in html
    # the timeline and the request trails of the sessions that cast them
    assert 'class="chart timeline"' in html
    assert f"/e/{edition.slug}/vote/cast" in html and f"/e/{edition.slug}/vote/identity" in html
    [read] = await audit_events(app, "verification.read", f"case:{case_id}")
    assert read.details["ballots"] == 2 and read.details["requests"] > 10


async def test_unmasking_needs_a_reason_and_is_audited(app, edition):
    ballot = await cast(app, edition.slug, ["C1"], first_name="Maria")
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        masked = await verifier.get(url)
        assert masked.status_code == 200 and ballot.who["last_name"] not in masked.text
        refused = await post_page(verifier, url, url + "/unmask", {"reason": "curious"})
        assert refused.status_code == 400 and ballot.who["last_name"] not in refused.text
        assert await audit_events(app, "verification.unmask", f"ballot:{ballot.ballot_id}") == []
        reason = "Complaint of 2027-06-02: the resident says someone voted for her"
        shown = await post_page(verifier, url, url + "/unmask", {"reason": reason})
    assert shown.status_code == 200
    assert ballot.who["last_name"] in shown.text and "Maria" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    [event] = await audit_events(app, "verification.unmask", f"ballot:{ballot.ballot_id}")
    assert event.reason == reason and "last_name" in event.details["fields"]


async def test_a_ballot_is_found_by_receipt_and_by_name_and_address(app, edition):
    wanted = await cast(
        app, edition.slug, ["C1"], first_name="Łukasz", street="ul. Łąkowa", house_number="12/3"
    )
    await cast(app, edition.slug, ["C1"], first_name="Łukasz", street="ul. Łąkowa")
    url = f"/staff/verify/{edition.slug}/find"
    link = f"/staff/verify/{edition.slug}/ballots/{wanted.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        by_receipt = await post_page(
            verifier, url, url, {"by": "receipt", "code": wanted.receipt.lower()}
        )
        assert by_receipt.status_code == 200 and link in by_receipt.text
        malformed = await post_page(verifier, url, url, {"by": "receipt", "code": "nope"})
        assert malformed.status_code == 400
        person = {
            "by": "person",
            "first_name": "  lukasz ",
            "last_name": wanted.who["last_name"].upper(),
            "street": "ul. Łąkowa",
            "house_number": "12",
        }
        by_person = await post_page(verifier, url, url, person)
        assert by_person.status_code == 200
        assert link in by_person.text and by_person.text.count("/ballots/") == 1
        nobody = await post_page(verifier, url, url, {**person, "house_number": "13"})
        assert "/ballots/" not in nobody.text
        missing = await post_page(verifier, url, url, {**person, "last_name": ""})
        assert missing.status_code == 400
    found = await audit_events(app, "verification.lookup", f"edition:{edition.slug}")
    assert [e.details["by"] for e in found] == ["receipt", "person", "person"]
    assert found[1].details["ballots"] == [wanted.ballot_id]
    assert all(wanted.who["last_name"] not in str(e.details) for e in found)


async def test_netadmin_sees_the_cases_but_no_ballot_identity_choice_or_decision(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    base = f"/staff/verify/{edition.slug}"
    async with await staff_client(app, "netadmin") as netadmin:
        listing = await netadmin.get(base)
        assert listing.status_code == 200 and f"#{case_id}" in listing.text
        assert f"{base}/cases/{case_id}" not in listing.text  # no link to the ballots
        token = csrf_of((await netadmin.get("/staff")).text)
        reads = [f"{base}/cases/{case_id}", f"{base}/ballots/{ballot.ballot_id}", f"{base}/find",
                 f"{base}/export", f"{base}/turnout"]  # fmt: skip
        for url in reads:
            assert (await netadmin.get(url)).status_code == 403, url
        writes = {
            f"{base}/cases/{case_id}/decide": {"verdict": "invalid", "ballot": ballot.ballot_id},
            f"{base}/ballots/{ballot.ballot_id}/decide": {"verdict": "valid", "reason": "genuine"},
            f"{base}/ballots/{ballot.ballot_id}/unmask": {"reason": "x" * 40},
            f"{base}/find": {"by": "receipt", "code": ballot.receipt},
            f"{base}/export": {"scope": "case", "case_id": case_id},
            f"{base}/decisions/1/confirm": {},
            f"{base}/decisions/1/reverse": {"note": "x"},
            f"{base}/rules": {"second_verifier_required": "1"},
        }
        for url, data in writes.items():
            response = await netadmin.post(url, data={**data, "csrf_token": token})
            assert response.status_code == 403, url
    async with await staff_client(app, "verifier") as verifier:
        rules = await post_page(verifier, base, base + "/rules", {"second_verifier_required": "1"})
        assert rules.status_code == 403  # the rule is the office's
    assert await audit_events(app, "verification.decide", f"ballot:{ballot.ballot_id}") == []
    assert await audit_events(app, "verification.unmask", f"ballot:{ballot.ballot_id}") == []


async def test_signals_are_named_in_the_consoles_language(app, edition):
    """A verifier reads what a signal is, not the scan's internal name ("ip")."""
    from urna.fraud.kinds import KINDS, kind_label

    names = {kind.name for kind in KINDS} | {"births", "burst"}
    assert all(kind_label(name) != name for name in names)  # each has a label of its own
    ballot = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    async with await staff_client(app, "verifier") as verifier:
        listing = (await verifier.get(f"/staff/verify/{edition.slug}")).text
        case = (await verifier.get(f"/staff/verify/{edition.slug}/cases/{case_id}")).text
        ballot_page = (
            await verifier.get(f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}")
        ).text
    for page in (listing, case, ballot_page):
        assert "Wiele głosów z jednego adresu IP" in page
    assert "<strong>ip</strong>" not in case + ballot_page
