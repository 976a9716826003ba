"""Decisions by a person: an invalid ballot leaves the tally and its receipt says why; the
second-verifier rule; reversals; a case is decided when each of its ballots is; every
decision, confirmation and reversal is in the audit log."""

from __future__ import annotations

import pytest

from tests.factories.staff import asgi_client, csrf_of, staff_client
from tests.verification.conftest import (
    audit_events,
    ballot_get,
    case_make,
    case_status,
    cast,
    post_page,
)
from urna.editions.models import Edition
from urna.results import service as results
from urna.verification import service as verification

pytestmark = pytest.mark.flow

INVALID = {"verdict": "invalid", "reason": "foreign_identity", "note": "Resident says: not me"}


async def _votes(app, edition_id: int) -> dict[str, int]:
    async with app.state.ctx.db() as session:
        payload = await results.results_compute(
            session=session, edition=await session.get(Edition, edition_id)
        )
    city = next(pool for pool in payload.pools if pool.code == "CITY")
    return {row.number: row.votes for row in city.projects}


async def _receipt_page(app, code: str) -> str:
    async with asgi_client(app) as http:
        page = await http.get("/receipt")
        response = await http.post(
            "/receipt", data={"code": code, "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 303  # the status is on the page it leads to
        return (await http.get(response.headers["location"])).text


async def test_an_invalid_ballot_leaves_the_tally_and_its_receipt_says_why(app, edition):
    honest = await cast(app, edition.slug, ["C1"])
    forged = await cast(app, edition.slug, ["C1", "C3"])
    assert await _votes(app, edition.id) == {"C1": 2, "C2": 0, "C3": 1}
    case_id = await case_make(app, edition.id, [forged.ballot_id])
    case_url = f"/staff/verify/{edition.slug}/cases/{case_id}"
    async with await staff_client(app, "verifier") as verifier:
        response = await post_page(
            verifier, case_url, case_url + "/decide", {**INVALID, "ballot": [forged.ballot_id]}
        )
        assert response.status_code == 303
    ballot = await ballot_get(app, forged.ballot_id)
    assert (ballot.status, ballot.status_reason) == ("invalid", "foreign_identity")
    assert await _votes(app, edition.id) == {"C1": 1, "C2": 0, "C3": 0}
    assert (await ballot_get(app, honest.ballot_id)).status == "counted"
    page = await _receipt_page(app, forged.receipt)
    assert "nieważny" in page and "Powód: Cudza tożsamość" in page
    assert "Powód" not in await _receipt_page(app, honest.receipt)
    [event] = await audit_events(app, "verification.decide", f"ballot:{forged.ballot_id}")
    assert event.reason == INVALID["note"]
    assert event.details["verdict"] == "invalid" and event.details["case_id"] == case_id
    assert await case_status(app, case_id) == "decided"


async def test_a_second_verifier_confirms_an_invalidation(app, edition):
    ballot = await cast(app, edition.slug, ["C2"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    cases_url = f"/staff/verify/{edition.slug}"
    ballot_url = f"{cases_url}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "admin") as admin:
        response = await post_page(
            admin, cases_url, cases_url + "/rules", {"second_verifier_required": "1"}
        )
        assert response.status_code == 303
    assert await audit_events(app, "verification.rules", f"edition:{edition.slug}")
    async with (
        await staff_client(app, "verifier") as first,
        await staff_client(app, "verifier") as second,
    ):
        response = await post_page(first, ballot_url, ballot_url + "/decide", INVALID)
        assert response.status_code == 303
        # not in effect yet: still counted, and the case and the publication wait
        assert (await ballot_get(app, ballot.ballot_id)).status == "counted"
        assert await _votes(app, edition.id) == {"C1": 0, "C2": 1, "C3": 0}
        assert await case_status(app, case_id) == "open"
        async with app.state.ctx.db() as session:
            assert await verification.publication_blocker(session, edition.id)
            [pending] = await verification.repository.decisions_pending(session, edition.id)
        confirm = f"{cases_url}/decisions/{pending.id}/confirm"
        refused = await post_page(first, ballot_url, confirm, {})
        assert refused.status_code == 409
        assert "drugi" in refused.text  # a second, different verifier must confirm
        assert (await ballot_get(app, ballot.ballot_id)).status == "counted"
        confirmed = await post_page(second, ballot_url, confirm, {})
        assert confirmed.status_code == 303
    ballot_row = await ballot_get(app, ballot.ballot_id)
    assert (ballot_row.status, ballot_row.status_reason) == ("invalid", "foreign_identity")
    assert await _votes(app, edition.id) == {"C1": 0, "C2": 0, "C3": 0}
    assert await case_status(app, case_id) == "decided"
    [event] = await audit_events(app, "verification.confirm", f"ballot:{ballot.ballot_id}")
    assert event.actor_id == second.staff_user.id


async def test_a_reversal_restores_the_ballot_and_reopens_the_case(app, edition):
    ballot = await cast(app, edition.slug, ["C3"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        assert (await post_page(verifier, url, url + "/decide", INVALID)).status_code == 303
        twice = await post_page(verifier, url, url + "/decide", INVALID)
        assert twice.status_code == 409  # one decision in force per ballot
        async with app.state.ctx.db() as session:
            [decision] = await verification.repository.decisions_of(session, [ballot.ballot_id])
        reverse = f"/staff/verify/{edition.slug}/decisions/{decision.id}/reverse"
        no_note = await post_page(verifier, url, reverse, {"note": " "})
        assert no_note.status_code == 400
        assert (await ballot_get(app, ballot.ballot_id)).status == "invalid"
        response = await post_page(verifier, url, reverse, {"note": "The resident proved it"})
        assert response.status_code == 303
    row = await ballot_get(app, ballot.ballot_id)
    assert (row.status, row.status_reason) == ("counted", None)
    assert await _votes(app, edition.id) == {"C1": 0, "C2": 0, "C3": 1}
    assert await case_status(app, case_id) == "open"
    [event] = await audit_events(app, "verification.reverse", f"ballot:{ballot.ballot_id}")
    assert event.reason == "The resident proved it"


async def test_a_case_is_decided_ballot_by_ballot_and_holds_publication(app, edition):
    first = await cast(app, edition.slug, ["C1"])
    second = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [first.ballot_id, second.ballot_id])
    checks = app.state.ctx.publish_checks
    assert verification.publication_blocker in checks

    async def blockers() -> list[str]:
        async with app.state.ctx.db() as session:
            return [r for check in checks if (r := await check(session, edition.id))]

    assert await blockers() == [verification.UNDECIDED]
    url = f"/staff/verify/{edition.slug}/cases/{case_id}"
    valid = {"verdict": "valid", "reason": "shared_network", "note": ""}
    async with await staff_client(app, "admin") as admin:
        mismatched = await post_page(
            admin, url, url + "/decide", {**valid, "reason": "automated", "ballot": first.ballot_id}
        )
        assert mismatched.status_code == 400  # a reason that does not fit the verdict
        assert await audit_events(app, "verification.decide", f"ballot:{first.ballot_id}") == []
        await post_page(admin, url, url + "/decide", {**valid, "ballot": first.ballot_id})
        assert await case_status(app, case_id) == "open"
        assert await blockers() == [verification.UNDECIDED]
        await post_page(admin, url, url + "/decide", {**valid, "ballot": second.ballot_id})
    assert await case_status(app, case_id) == "decided"
    assert await blockers() == []
    assert (await ballot_get(app, first.ballot_id)).status == "counted"


async def test_decisions_end_when_the_results_are_published(app, edition):
    """After publication a reversal would make a receipt say "counted" of a ballot the
    published results left out: decisions, confirmations and reversals are refused."""
    from tests.factories.editions import voting_close
    from tests.factories.results import result_run_add

    ballot = await cast(app, edition.slug, ["C3"])
    other = await cast(app, edition.slug, ["C1"])
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        assert (await post_page(verifier, url, url + "/decide", INVALID)).status_code == 303
        async with app.state.ctx.db() as session:
            [decision] = await verification.repository.decisions_of(session, [ballot.ballot_id])
        await voting_close(app, edition.id)
        async with app.state.ctx.db() as session:
            await result_run_add(session, edition.id, publish=True)
            await session.commit()
        reverse = f"/staff/verify/{edition.slug}/decisions/{decision.id}/reverse"
        refused = await post_page(verifier, url, reverse, {"note": "The resident proved it"})
        assert refused.status_code == 409 and "zostały opublikowane" in refused.text
        other_url = f"/staff/verify/{edition.slug}/ballots/{other.ballot_id}"
        late = await post_page(verifier, other_url, other_url + "/decide", INVALID)
        assert late.status_code == 409 and "zostały opublikowane" in late.text
    assert (await ballot_get(app, ballot.ballot_id)).status == "invalid"
    assert (await ballot_get(app, other.ballot_id)).status == "counted"
    assert await audit_events(app, "verification.reverse", f"ballot:{ballot.ballot_id}") == []
