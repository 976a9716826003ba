"""The results in English: percentages as English writes them, nouns agreeing with their
numbers ("1 vote", "1 project"), and the minimum to win named with its unit."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.factories.staff import staff_client
from urna.core import i18n
from urna.results.display import Share, outcome_text, share_text
from urna.results.rules import Step, StepKind, step_text_en, step_text_pl
from urna.results.schemas import PoolResult, ProjectResult

from .test_results_views import _compute, _import


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("pl")


def test_a_share_is_written_as_the_page_s_language_writes_it(english):
    assert share_text(4, 7) == "57.1%" and share_text(4, 5) == "80.0%"
    i18n.set_language("pl")
    assert share_text(4, 7) == "57,1\u00a0%" and share_text(0, 0) == "0,0\u00a0%"


@pytest.mark.parametrize(
    ("value", "polish", "in_english"),
    [
        (i18n.Money(123450), "1\u00a0234,50\u00a0zł", "PLN\u00a01,234.50"),
        (Share(4, 7), "57,1\u00a0%", "57.1%"),
    ],
    ids=["money", "share"],
)
def test_a_value_is_written_in_the_language_of_the_page_that_prints_it(value, polish, in_english):
    """Made before the page's language is set (a prefilled form, a chart), a value is
    written in it when printed, whichever language was in force when it was made."""
    i18n.set_language("pl")
    assert str(value) == polish
    try:
        i18n.set_language("en")
        assert str(value) == in_english
    finally:
        i18n.set_language("pl")


@pytest.mark.parametrize(
    ("unit", "threshold", "said"),
    [
        ("votes", 1, "minimum of 1 vote"),
        ("votes", 1500, "minimum of 1,500 votes"),
        ("points", 1, "minimum of 1 point"),
        ("points", 2, "minimum of 2 points"),
    ],
)
def test_the_minimum_a_project_missed_agrees_with_its_number(english, unit, threshold, said):
    row = ProjectResult.model_construct(outcome="below_threshold")
    pool = PoolResult.model_construct(threshold=threshold)
    assert outcome_text(row, pool, unit).endswith(said)


def test_a_run_of_equal_shares_names_one_project_in_the_singular():
    step = Step(kind=StepKind.MES_ROUND, run=1, per_voter_budget=5, funded_count=1, spent=100)
    assert "1 project chosen" in step_text_en(step)
    assert "3 projects chosen" in step_text_en(replace(step, funded_count=3))
    assert "wybrano projektów: 1" in step_text_pl(step)
    recomputed = Step(
        kind=StepKind.RECOMPUTED, pool_id="A", budget=1, funded_count=1, spent=1, money_left=0
    )
    assert "1 project funded" in step_text_en(recomputed)


@pytest.mark.flow
async def test_the_english_run_page_writes_shares_and_the_minimum_in_english(app):
    edition = await _import(app)  # approval, greedy with a 50-vote minimum
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, edition.slug)
        await admin.get("/staff/lang/en")
        html = (await admin.get(f"/staff/editions/{edition.slug}/results/{run_id}")).text
    assert "A project needs at least 50 votes to win." in html
    assert re.search(r">\d+\.\d%<", html) and "\u00a0%" not in html
