"""What a new-user pass as residents found: editions with pools that limit both the count
and the money, codes and numbers pasted with spaces, a code typed once it is used up,
streets written the way people write them."""

from __future__ import annotations

import re

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import person, reach_choices

pytestmark = pytest.mark.flow

# A city-wide pool asking for 2–3 projects costing at most 100,000 zł, and a district
# pool whose money limit is its budget.
LIMITED_POOLS = [
    {"code": "CITY", "name": "Pula ogólnomiejska", "kind": "citywide", "budget": 500_000_00,
     "min_choices": 2, "max_choices": 3, "max_total_cost": 100_000_00},
    {"code": "N", "name": "Pula Północ", "kind": "district", "area": "N",
     "budget": 30_000_00, "max_choices": 2, "max_total_cost": 30_000_00},
    {"code": "S", "name": "Pula Południe", "kind": "district", "area": "S",
     "budget": 30_000_00, "max_choices": 1},
]  # fmt: skip


def _hint(page: str, pool_name: str) -> str:
    """The words under a pool's name on the ballot, as a screen shows them."""
    found = re.search(rf"<legend>{pool_name} .*?<p class=\"hint\"[^>]*>(.*?)</p>", page, re.S)
    assert found, pool_name
    return re.sub(r"\s+", " ", found.group(1))


async def _ballot(app, client, lang: str) -> str:
    edition = await edition_create(app, pools=LIMITED_POOLS)
    if lang == "en":
        await client.get("/lang/en")
    return await reach_choices(client, app, edition.slug, person())


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_a_pools_limits_are_sentences_of_their_own(app, client, lang):
    """A pool asking for at least two projects and limiting their cost says both, each its
    own sentence: "…najmniej 2 projekty. Łącznie mogą…", never "projekty.Łącznie"."""
    city = _hint(await _ballot(app, client, lang), "Pula ogólnomiejska")
    assert not re.search(r"\.[^\s\d]", city.replace("\u00a0", " ")), city


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_a_pool_whose_choices_fit_its_money_never_says_they_may_cost_more(app, client, lang):
    """The projects chosen "may together cost more than the pool" only without a money
    limit (or one above the budget): never beside "together they may cost at most" it."""
    edition = await edition_create(app, pools=LIMITED_POOLS)
    if lang == "en":
        await client.get("/lang/en")
    more_than_pool = {
        "pl": "mogą razem kosztować więcej niż pula",
        "en": "may together cost more than the pool",
    }[lang]
    north = await reach_choices(client, app, edition.slug, person())
    assert more_than_pool not in _hint(north, "Pula ogólnomiejska")  # ≤ 100,000 of 500,000
    assert more_than_pool not in _hint(north, "Pula Północ")  # at most 30,000 of 30,000
    south = await reach_choices(client, app, edition.slug, person(street="ul. Słoneczna"))
    assert more_than_pool in _hint(south, "Pula Południe")  # no money limit
