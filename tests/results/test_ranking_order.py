"""The published ranking follows the rule's own order: most votes first, a tie in the order
of its public draw, other equal scores by number read as a number ("2" before "10"); the
same order on the page and in results.json, results.csv and the pabulib file. And a pool
whose name begins with "Pula" is not called "Pula Pula" in the step log."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.factories.editions import edition_create, voting_close
from tests.factories.staff import csrf_of, staff_client
from urna.results.pabulib import pabulib_loads
from urna.results.rules import Project, Transfer, greedy_allocate, step_text, transfers_apply
from urna.results.schemas import number_key

from .factories import ballots_add
from .test_results_views import _compute, _publish

POOLS = [
    {
        "code": "CITY",
        "name": "Pula ogólnomiejska",
        "kind": "citywide",
        "budget": 100_000_00,
        "max_choices": 4,
        "min_votes": 2,
    },
    {
        "code": "N",
        "name": "Pula Północ",
        "kind": "district",
        "area": "N",
        "budget": 30_000_00,
        "max_choices": 3,
        "min_votes": 2,
        "leftover_to": "CITY",
    },
]
PROJECTS = [
    {"number": number, "pool": "CITY", "title": f"Projekt {number}", "cost": cost}
    for number, cost in (("1", 40_000_00), ("2", 40_000_00), ("3", 40_000_00), ("10", 10_000_00))
] + [
    {"number": number, "pool": "N", "title": f"Projekt {number}", "cost": 8_000_00, "area": "N"}
    for number in ("N1", "N2", "N10")
]
DRAWN = ["3", "10", "2", "1"]


@pytest.mark.flow
async def test_the_published_ranking_follows_the_draw_everywhere(app, client):
    edition = await edition_create(app, pools=POOLS, projects=PROJECTS)
    slug = edition.slug
    # CITY: 1, 2, 3 and 10 tie at 3 votes. N: N1 wins with 2; N2 and N10 have 1 vote each,
    # below the minimum of 2, and no draw orders them
    await ballots_add(app, edition, [["1", "2", "3", "10"]] * 3 + [["N1"]] * 2 + [["N2", "N10"]])
    async with await staff_client(app, "admin") as admin:
        first = await _compute(admin, slug)
        page = (await admin.get(f"/staff/editions/{slug}/results/{first}")).text
        response = await admin.post(
            f"/staff/editions/{slug}/results/{first}/draw",
            data={"pool": "CITY", "order": ", ".join(DRAWN), "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303, response.text
        run_id = await _compute(admin, slug)
        await voting_close(app, edition.id)
        assert (await _publish(admin, slug, run_id)).status_code == 303

    payload = json.loads((await client.get(f"/e/{slug}/results.json")).content)
    city, north = payload["pools"]
    # N passes its 22 000 zł on: with 122 000 zł, 3, 10 and 2 fit in the drawn order, 1 not
    assert city["funded"] == ["3", "10", "2"]
    ranking = {"CITY": DRAWN, "N": ["N1", "N2", "N10"]}
    for pool in (city, north):
        assert [row["number"] for row in pool["projects"]] == ranking[pool["code"]]
        assert [row["rank"] for row in pool["projects"]] == list(
            range(1, len(pool["projects"]) + 1)
        )

    csv_text = (await client.get(f"/e/{slug}/results.csv")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [row["number"] for row in rows] == DRAWN + ["N1", "N2", "N10"]
    for code, numbers in ranking.items():
        text = (await client.get(f"/e/{slug}/results.pb", params={"pool": code})).text
        assert [project.project_id for project in pabulib_loads(text).projects] == numbers

    html = (await client.get(f"/e/{slug}/results")).text
    assert "kolejność 3, 10, 2, 1 ustalona w publicznym losowaniu" in html
    linked = re.findall(rf'<td data-label="[^"]+"><a href="/e/{slug}/projects/([^"]+)">', html)
    assert linked == DRAWN + ["N1", "N2", "N10"]
    # the transfer names each pool once
    assert "Pula Pula" not in html and "puli Pula" not in html
    assert (
        "Pula Północ przekazuje 22\u00a0000\u00a0zł niewykorzystanych środków do puli „Pula" in html
    )


def test_project_numbers_are_ordered_as_numbers():
    numbers = ["10", "2", "C10", "c2", "C1", "1a", "1"]
    assert sorted(numbers, key=number_key) == ["1", "1a", "2", "10", "C1", "c2", "C10"]


def test_a_pool_named_pula_is_not_called_pula_pula():
    def city(budget):
        return greedy_allocate(projects=[Project("C", 120_000, 9)], budget=budget)

    district = greedy_allocate(projects=[Project("D", 70_000, 5)], budget=100_000)
    outcome = transfers_apply(
        results={"N": district, "CITY": city(100_000)},
        transfers=[Transfer("N", "CITY")],
        recompute={"CITY": city},
    )
    names = {"N": "Pula Północ", "CITY": "pula ogólnomiejska"}
    texts = [step_text(step, pool_names=names).replace("\u00a0", " ") for step in outcome.steps]
    assert texts == [
        "Pula Północ przekazuje 300 zł niewykorzystanych środków do puli „pula ogólnomiejska”; "
        "zostaje jej 0 zł.",
        "Pula ogólnomiejska otrzymuje 300 zł z puli „Pula Północ”; jej budżet wynosi teraz "
        "1 300 zł.",
        "Wynik puli „pula ogólnomiejska” przeliczony z budżetem 1 300 zł: finansowanych "
        "projektów 1, za 1 200 zł, zostaje 100 zł.",
    ]
    # a name without the word keeps it: "pula Bałuty", "z puli Bałuty"
    assert step_text(outcome.steps[1], pool_names={"N": "Bałuty", "CITY": "miasto"}) == (
        "Pula miasto otrzymuje 300\u00a0zł z puli Bałuty; jej budżet wynosi teraz "
        "1\u00a0300\u00a0zł."
    )
