"""A refused field of a verifier's form is said beside that field, in Polish, and changes
nothing: a NUL or a text too long in a decision's note, a reversal's note, an unmasking
reason or a legal basis is a 400 with its message (never a 500, never cut), and the audit
log and the ballot stay as they were."""

from __future__ import annotations

import re

import pytest

from tests.factories.staff import staff_client
from tests.verification.conftest import audit_events, ballot_get, case_make, cast, post_page
from urna.verification import service as verification

pytestmark = pytest.mark.flow

UNSAFE_PL = "niewidoczne znaki sterujące"
NOTE_TOO_LONG_PL = "Uzasadnienie jest za długie (najwyżej 2000 znaków)."
TOO_LONG_PL = "Ten tekst jest za długi."
SENTENCE = "Sprawdzone w urzędzie, sygnatura KO.123.2027\x00 (art. 15)"


def _beside(page: str, error_id: str) -> str:
    """The message shown in ``<p class="error" id=error_id>``, and the field it describes."""
    found = re.search(rf'<p class="error" id="{error_id}">([^<]*)</p>', page)
    assert found is not None, error_id
    assert f'aria-invalid="true" aria-describedby="{error_id}"' in page, error_id
    return found.group(1)


async def test_a_decision_with_a_hidden_character_is_refused_beside_its_note(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        for verdict, reason in (("invalid", "other"), ("valid", "genuine")):
            data = {"verdict": verdict, "reason": reason, "note": SENTENCE}
            refused = await post_page(verifier, url, url + "/decide", data)
            assert refused.status_code == 400
            assert UNSAFE_PL in _beside(refused.text, "note-error")
        data = {"verdict": "invalid", "reason": "other", "note": "x" * 2001}
        refused = await post_page(verifier, url, url + "/decide", data)
        assert refused.status_code == 400
        assert _beside(refused.text, "note-error") == NOTE_TOO_LONG_PL
    assert await audit_events(app, "verification.decide", f"ballot:{ballot.ballot_id}") == []
    assert (await ballot_get(app, ballot.ballot_id)).status == "counted"


async def test_an_unmasking_reason_with_a_hidden_character_is_refused(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    async with await staff_client(app, "verifier") as verifier:
        for reason, said in ((SENTENCE, UNSAFE_PL), ("x" * 1001, TOO_LONG_PL)):
            refused = await post_page(verifier, url, url + "/unmask", {"reason": reason})
            assert refused.status_code == 400
            assert said in _beside(refused.text, "unmask-error")
            assert ballot.who["last_name"] not in refused.text
    assert await audit_events(app, "verification.unmask", f"ballot:{ballot.ballot_id}") == []


async def test_a_reversal_note_is_refused_beside_its_decision(app, edition):
    ballot = await cast(app, edition.slug, ["C3"])
    await case_make(app, edition.id, [ballot.ballot_id])
    url = f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}"
    invalid = {"verdict": "invalid", "reason": "other", "note": "Seen in the logs"}
    async with await staff_client(app, "verifier") as verifier:
        assert (await post_page(verifier, url, url + "/decide", invalid)).status_code == 303
        async with app.state.ctx.db() as session:
            [decision] = await verification.repository.decisions_of(session, [ballot.ballot_id])
        reverse = f"/staff/verify/{edition.slug}/decisions/{decision.id}/reverse"
        for note, said in ((SENTENCE, UNSAFE_PL), ("x" * 2001, NOTE_TOO_LONG_PL)):
            refused = await post_page(verifier, url, reverse, {"note": note})
            assert refused.status_code == 400
            assert said in _beside(refused.text, f"reverse-{decision.id}-error")
    assert (await ballot_get(app, ballot.ballot_id)).status == "invalid"
    assert await audit_events(app, "verification.reverse", f"ballot:{ballot.ballot_id}") == []


async def test_a_legal_basis_with_a_hidden_character_is_refused(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    url = f"/staff/verify/{edition.slug}/export"
    scope = {"scope": "case", "case_id": str(case_id), "category": "police"}
    async with await staff_client(app, "verifier") as verifier:
        for basis, said in ((SENTENCE, UNSAFE_PL), ("x" * 2001, TOO_LONG_PL)):
            refused = await post_page(verifier, url, url, {**scope, "basis": basis})
            assert refused.status_code == 400
            assert said in _beside(refused.text, "basis-error")
    assert await audit_events(app, "verification.export", f"case:{case_id}") == []
