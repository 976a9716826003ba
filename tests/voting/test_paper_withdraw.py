"""A counted paper sheet typed wrongly is withdrawn before the results (an admin, with a
reason, audited) and typed again under its number, for the same person: its ballot and
typings are kept as evidence and never count again, the person's keys are released (or
the right typing would be refused as a second vote), the publication waits for the sheet
to be typed again, and once the results are out nothing is withdrawn. Before this, a
counted sheet typed wrongly could not be settled at all."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from tests.factories.editions import voting_close
from tests.factories.staff import csrf_of, staff_client, staff_user_create
from tests.factories.voting import person
from tests.verification.conftest import ballot_get, case_make, cast, post_page
from tests.verification.test_decisions import INVALID
from tests.voting.test_paper_console import audit_actions, ballot, ballots, entries, paper_edition
from tests.voting.test_paper_desk import _publish, _publish_in
from urna.core.db import transaction, utcnow
from urna.editions import service as editions
from urna.results import service as results
from urna.verification import service as verification
from urna.voting import paper_sheets, paper_withdraw
from urna.voting.models import Ballot, Voter

pytestmark = pytest.mark.flow


async def _typed(admin, edition, who: dict, sheet: str, numbers=("C1",)):
    url = f"/staff/paper/{edition.slug}"
    page = (await admin.get(url)).text
    return await admin.post(url, data=ballot(who, list(numbers), page, sheet=sheet))


async def _withdraw(admin, slug: str, sheet: str, reason: str):
    page = await admin.get(f"/staff/paper/{slug}/withdraw", params={"sheet": sheet})
    action = page.text.split(f'action="/staff/paper/{slug}/withdraw/')[1].split('"')[0]
    form = {"reason": reason, "csrf_token": csrf_of(page.text)}
    return page, await admin.post(f"/staff/paper/{slug}/withdraw/{action}", data=form)


async def test_a_counted_sheet_is_withdrawn_and_typed_again_for_the_same_person(app, client):
    edition = await paper_edition(app)
    who = person()
    async with await staff_client(app, "admin") as admin:
        assert (await _typed(admin, edition, who, "R-1", ["C1"])).status_code == 303
        [wrong] = await entries(app, edition.id, "R-1")
        page, empty = await _withdraw(admin, edition.slug, "r–1", "  ")  # found as typed now
        assert "Policzona" in page.text and empty.status_code == 400
        assert 'href="#f-reason"' in empty.text
        _, withdrawn = await _withdraw(admin, edition.slug, "R-1", "Zaznaczono C1 zamiast C2")
        assert withdrawn.headers["location"] == f"/staff/paper/{edition.slug}?again={wrong.id}"
        desk = (await admin.get(withdrawn.headers["location"])).text
        assert 'id="withdrawn"' in desk and 'id="again"' in desk
        assert 'name="sheet" type="text" value="R-1"' in desk  # ready to type it again
        await voting_close(app, edition.id)
        with pytest.raises(results.ResultsError) as held:
            await _publish(app, edition)
        assert held.value.message == paper_sheets.WITHDRAWN_WAITING
        again = await _typed(admin, edition, who, "R-1", ["C2"])  # the same person
        assert again.status_code == 303
        assert "Policzona" in (await admin.get(again.headers["location"])).text
    first, right = await entries(app, edition.id, "R-1")
    assert (first.status, first.invalid_reason) == ("withdrawn", "Zaznaczono C1 zamiast C2")
    assert first.data_enc is not None and right.status == "counted"  # evidence kept
    old = await ballot_get(app, first.ballot_id)
    assert (old.status, old.channel) == ("withdrawn", "paper") and old.withdrawn_at
    async with app.state.ctx.db() as session:
        voter = await session.get(Voter, old.voter_id)
    assert voter.identity_key is None and voter.identity_enc is not None
    assert sorted(b.status for b in await ballots(app, edition.id)) == ["counted", "withdrawn"]
    assert "paper.withdraw" in await audit_actions(app, f"paper:{edition.slug}/R-1")
    await _publish(app, edition)
    published = (await client.get(f"/e/{edition.slug}/results")).text
    assert "Policzone głosy: 1." in published  # the sheet once, as typed again
    assert "po weryfikacji: 0; nieważne karty papierowe: 0." in published
    url = f"/staff/paper/{edition.slug}/withdraw"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url, params={"sheet": "R-1"})).text
        assert 'id="closed"' in page and "są ostateczne" in page and f'"{url}/' not in page
        form = {"reason": "pomyłka", "csrf_token": csrf_of(page)}
        late = await admin.post(f"{url}/{right.id}", data=form)  # a form opened before
    assert late.status_code == 409 and "są ostateczne" in late.text
    assert [e.status for e in await entries(app, edition.id, "R-1")] == ["withdrawn", "counted"]


async def test_a_withdrawn_ballot_never_counts_again_and_an_online_one_is_never_withdrawn(app):
    """The database keeps it so, whatever writes a ballot's status later (a verifier's
    decision, a script): withdrawn is final, and only of a paper ballot."""
    edition = await paper_edition(app)
    online = await cast(app, edition.slug, ["C1"])
    async with await staff_client(app, "admin") as admin:
        await _typed(admin, edition, person(), "R-2")
        await _withdraw(admin, edition.slug, "R-2", "Dane innej osoby")
    [sheet] = await entries(app, edition.id, "R-2")
    for ballot_id, values in (
        (sheet.ballot_id, {"status": "counted"}),
        (online.ballot_id, {"status": "withdrawn", "withdrawn_at": utcnow()}),
    ):
        with pytest.raises(IntegrityError):
            async with transaction(app.state.ctx.db) as session:
                await session.execute(update(Ballot).where(Ballot.id == ballot_id).values(values))
    assert (await ballot_get(app, sheet.ballot_id)).status == "withdrawn"
    assert (await ballot_get(app, online.ballot_id)).status == "counted"


async def test_a_ballot_the_verification_team_holds_is_not_withdrawn(app):
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        await _typed(admin, edition, person(), "R-3")
        [sheet] = await entries(app, edition.id, "R-3")
        await case_make(app, edition.id, [sheet.ballot_id])
        _, refused = await _withdraw(admin, edition.slug, "R-3", "pomyłka")
    assert refused.status_code == 409 and "zespołu weryfikacyjnego" in refused.text
    assert [e.status for e in await entries(app, edition.id, "R-3")] == ["counted"]


@pytest.mark.postgres_only
async def test_a_withdrawal_while_the_results_are_published_waits_and_is_refused(app):
    """Ordered by the desk: had the withdrawal read the results as not out yet, a ballot
    they count would be withdrawn behind them."""
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        await _typed(admin, edition, person(), "R-4")
    [sheet] = await entries(app, edition.id, "R-4")
    operator, _, _ = await staff_user_create(app, "admin")
    await voting_close(app, edition.id)

    async def withdraw() -> None:
        async with transaction(app.state.ctx.db) as session:
            await paper_withdraw.paper_sheet_withdraw(
                session=session,
                snapshot=await editions.edition_snapshot(session=session, slug=edition.slug),
                operator_id=operator.id,
                entry_id=sheet.id,
                form={"reason": "pomyłka"},
                published=results.results_are_published,
                reviewed=app.state.ctx.ballot_reviewed,
            )

    async with transaction(app.state.ctx.db) as session:  # published, not yet committed
        await _publish_in(session, app, edition.id)
        withdrawing = asyncio.create_task(withdraw())
        await asyncio.wait({withdrawing}, timeout=2)
        assert not withdrawing.done()
    with pytest.raises(paper_sheets.PaperClosed) as refused:
        await withdrawing
    assert refused.value.message == paper_withdraw.RESULTS_FINAL
    assert [e.status for e in await entries(app, edition.id, "R-4")] == ["counted"]


async def test_a_decision_on_a_withdrawn_ballot_is_recorded_and_never_a_500(app):
    """A withdrawn ballot stays withdrawn (the CHECK): a verifier's decision on it (its
    page reached by its number, or a case made while it was withdrawn) is recorded, its
    second verifier's confirmation and its reversal too, without touching its status —
    where the confirmation's write broke the CHECK (500) and the pending invalidation held
    the publication until someone rejected it."""
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        await _typed(admin, edition, person(), "R-5")
        await _withdraw(admin, edition.slug, "R-5", "Dane innej osoby")
        base = f"/staff/verify/{edition.slug}"
        rules = await post_page(admin, base, base + "/rules", {"second_verifier_required": "1"})
        assert rules.status_code == 303
    [sheet] = await entries(app, edition.id, "R-5")
    url = f"{base}/ballots/{sheet.ballot_id}"
    async with (
        await staff_client(app, "verifier") as first,
        await staff_client(app, "verifier") as second,
    ):
        assert (await post_page(first, url, url + "/decide", INVALID)).status_code == 303
        async with app.state.ctx.db() as session:
            [pending] = await verification.repository.decisions_pending(session, edition.id)
        confirm = f"{base}/decisions/{pending.id}/confirm"
        assert (await post_page(second, url, confirm, {})).status_code == 303
        reverse = f"{base}/decisions/{pending.id}/reverse"
        note = {"note": "Karta wycofana"}
        assert (await post_page(second, url, reverse, note)).status_code == 303
        valid = {"verdict": "valid", "reason": "genuine", "note": ""}
        assert (await post_page(first, url, url + "/decide", valid)).status_code == 303
    assert (await ballot_get(app, sheet.ballot_id)).status == "withdrawn"
