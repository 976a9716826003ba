"""A publication held for several reasons says every one: the office that reads only the
verification team's reason settles it, tries again, and only then learns that a paper
sheet waits too (each round trip a day, when the sheet is in another office's drawer)."""

from __future__ import annotations

import pytest

from tests.factories.editions import voting_close
from tests.factories.staff import staff_client
from tests.factories.voting import person
from tests.verification.conftest import case_make, cast
from tests.voting.test_paper_console import paper_edition
from tests.voting.test_paper_desk import two_clerks

from .test_publication_guards import _published
from .test_results_views import _compute, _publish

pytestmark = pytest.mark.flow

VERIFICATION_PL = "Zespół weryfikacyjny nie zakończył pracy"
PAPER_PL = "Karty papierowe nie są jeszcze rozstrzygnięte"


async def test_verification_and_paper_holding_the_publication_are_both_said(app):
    edition = await paper_edition(app)
    suspect = await cast(app, edition.slug, ["C1"])
    await case_make(app, edition.id, [suspect.ballot_id])  # undecided
    async with two_clerks(app, edition) as desk:
        await desk.typed_once(person(), "H-1")  # waits for its second entry
    await voting_close(app, edition.id)
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, edition.slug)
        refused = await _publish(admin, edition.slug, run_id)
    assert refused.status_code == 409
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert VERIFICATION_PL in summary and PAPER_PL in summary
    beside = refused.text.split('id="confirm-error"')[1].split("</ul>")[0]
    assert VERIFICATION_PL in beside and PAPER_PL in beside
    assert await _published(app, edition.id) is None
