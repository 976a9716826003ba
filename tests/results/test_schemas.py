"""The typed results payload keeps the stored JSON exactly: its SHA-256 is published."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.factories.editions import edition_create
from tests.results.factories import ballot_add
from urna.core.db import transaction
from urna.editions import repository as editions_repository
from urna.results import service as results
from urna.results.models import TieDraw
from urna.results.schemas import ResultsPayload, canonical_json, payload_digest

pytestmark = pytest.mark.flow


async def _published_payload(app) -> tuple[dict, str]:
    """A draft with a leftover transfer, a tie draw, turnout groups: every part of a payload."""
    edition = await edition_create(app)
    async with transaction(app.state.ctx.db) as session:
        pools = {p.code: p for p in await editions_repository.pools_of(session, edition.id)}
        pools["N"].leftover_to_pool_id = pools["CITY"].id
        projects = {p.number: p for p in await editions_repository.projects_of(session, edition.id)}
        for numbers in (["C1", "C2"], ["C1", "C2"], ["C3"], ["N1"]) * 3:
            await ballot_add(session, projects, numbers)
        session.add(TieDraw(edition_id=edition.id, pool_id=pools["CITY"].id, seed=7, note="ratusz"))
        await session.flush()
        run = await results.run_create(session=session, edition=edition, actor_id=None)
    return run.payload, run.sha256


async def test_a_stored_payload_reads_back_to_the_same_bytes(app):
    stored, sha256 = await _published_payload(app)
    payload = ResultsPayload.model_validate(stored)
    assert payload.as_json() == stored
    assert canonical_json(payload.as_json()) == canonical_json(stored)
    assert payload_digest(payload.as_json()) == sha256
    # the parts a reader relies on, typed
    city = payload.pool("CITY")
    assert city is not None and city.draw is not None and city.draw.seed == 7
    assert city.received > 0 and payload.transfers
    assert payload.turnout.by_age_band == [("25-34", 12)]
    assert payload.pool("NOPE") is None


async def test_a_payload_that_drifted_from_the_format_is_refused(app):
    stored, _ = await _published_payload(app)
    with pytest.raises(ValidationError):
        ResultsPayload.model_validate({**stored, "surprise": 1})
    broken = {**stored, "pools": [{**stored["pools"][0], "spent": "a lot"}]}
    with pytest.raises(ValidationError):
        ResultsPayload.model_validate(broken)
