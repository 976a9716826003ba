"""Which ties waiting for their public draw decide what a pool funds (``results.deciding``):
for the greedy rules read off the step log, and checked here against every order of the
tied projects; under equal shares computed again for every order."""

from __future__ import annotations

import random
from collections import Counter
from itertools import permutations

import pytest

from tests.factories.editions import edition_create, edition_data, unique_slug, voting_close
from tests.factories.results import run_drawn
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.results import repository as results_repository
from urna.results import service as results
from urna.results.deciding import funding_ties, ties_deciding, undrawn_ties
from urna.results.importer import edition_import_pabulib
from urna.results.rules import (
    PartialDrawOrder,
    Project,
    equal_shares_allocate,
    greedy_allocate,
)
from urna.results.schemas import ResultsPayload

from .factories import ballots_add
from .pabulib_support import pabulib_path
from .test_results_views import tie_in_city


def _greedy(projects, budget, *, stop=False, threshold=None, tie_order=None):
    return greedy_allocate(
        projects=projects,
        budget=budget,
        stop_at_first_misfit=stop,
        threshold_votes=threshold,
        tie_order=tie_order,
    )


@pytest.mark.parametrize(
    ("projects", "budget", "stop", "deciding"),
    [
        # both fit alone, not together: the draw picks the one funded
        ([Project("A", 60, 3), Project("B", 50, 3)], 100, False, [["A", "B"]]),
        # both fit together: funded in any order
        ([Project("A", 40, 3), Project("B", 50, 3)], 100, False, []),
        # neither fits in what the leader left
        ([Project("X", 95, 9), Project("A", 10, 3), Project("B", 10, 3)], 100, False, []),
        # only A can ever fit: funded in any order, B in none
        ([Project("A", 50, 3), Project("B", 70, 3)], 60, False, []),
        # stopping at the first misfit: B first would stop before A
        ([Project("A", 50, 3), Project("B", 70, 3)], 60, True, [["A", "B"]]),
        # stopping: neither fits, the allocation stops at the tie whatever its order
        ([Project("A", 70, 3), Project("B", 80, 3)], 60, True, []),
        # stopping before the tie: nothing after it is considered
        ([Project("X", 70, 9), Project("A", 5, 3), Project("B", 5, 3)], 60, True, []),
        # a tie at the bottom of the ranking still decides when money is left for one
        ([Project("X", 50, 9), Project("A", 30, 0), Project("B", 40, 0)], 100, False, [["A", "B"]]),
    ],
)
def test_a_greedy_tie_decides_when_another_order_funds_other_projects(
    projects, budget, stop, deciding
):
    assert funding_ties(_greedy(projects, budget, stop=stop).to_dict()) == deciding


def test_a_drawn_tie_and_a_tie_below_the_threshold_decide_nothing():
    tied = [Project("A", 60, 3), Project("B", 50, 3)]
    assert funding_ties(_greedy(tied, 100, tie_order=["B", "A"]).to_dict()) == []
    assert funding_ties(_greedy(tied, 100, threshold=5).to_dict()) == []


def test_the_projects_are_named_in_number_order():
    tied = [Project("C10", 60, 3), Project("C2", 50, 3), Project("C9", 45, 3)]
    assert funding_ties(_greedy(tied, 100).to_dict()) == [["C2", "C9", "C10"]]


def _order_matters(projects, budget, stop, threshold, group) -> bool:
    """Brute force: does any order of ``group`` (other ties by number) fund other projects?"""
    funded = {
        frozenset(
            _greedy(
                projects, budget, stop=stop, threshold=threshold, tie_order=PartialDrawOrder(order)
            ).funded
        )
        for order in permutations(group)
    }
    return len(funded) > 1


def test_the_greedy_verdict_is_exact_against_every_order_of_the_tie():
    """Random small pools with many ties: a tie is reported exactly when some order of its
    projects (every other tie as numbered) funds another set."""
    rng = random.Random(20261201)
    checked = deciding = 0
    for _ in range(600):
        size = rng.randint(2, 6)
        projects = [Project(f"P{i}", rng.randint(1, 12), rng.randint(0, 3)) for i in range(size)]
        budget = rng.randint(5, 30)
        stop = rng.random() < 0.4
        threshold = rng.choice([None, None, 1, 2])
        allocation = _greedy(projects, budget, stop=stop, threshold=threshold)
        reported = {tuple(sorted(group)) for group in funding_ties(allocation.to_dict())}
        for group in allocation.ties:
            matters = _order_matters(projects, budget, stop, threshold, group.project_ids)
            assert (tuple(sorted(group.project_ids)) in reported) == matters, (
                projects,
                budget,
                stop,
                threshold,
                group,
            )
            checked += 1
            deciding += matters
    assert checked > 300 and 0 < deciding < checked  # not vacuous: both verdicts were met


def test_under_equal_shares_the_step_log_cannot_tell():
    projects = [Project("A", 50), Project("B", 50)]
    ballots = [("A",), ("B",)]
    waiting = equal_shares_allocate(projects=projects, ballots=ballots, budget=100)
    drawn = equal_shares_allocate(
        projects=projects, ballots=ballots, budget=100, tie_order=["B", "A"]
    )
    assert waiting.draw_needed and funding_ties(waiting.to_dict()) is None
    assert undrawn_ties(waiting.to_dict()) == [["A", "B"]]
    assert funding_ties(drawn.to_dict()) == []


def _equal_shares_file(costs: int) -> str:
    """Two voters approve A and B, of ``costs`` each: equal shares meets A and B tied."""
    return (
        "META\nkey;value\ndescription;Remis\ncountry;Poland\nunit;Testowo\ninstance;2023\n"
        "budget;100\nvote_type;approval\nrule;equalshares\n"
        "date_begin;03.04.2023\ndate_end;21.04.2023\n"
        f"PROJECTS\nproject_id;cost;name\nA;{costs};Park\nB;{costs};Staw\n"
        "VOTES\nvoter_id;vote\n1;A,B\n2;A,B\n"
    )


@pytest.mark.flow
@pytest.mark.parametrize(("costs", "deciding"), [(60, True), (50, False)])
async def test_under_equal_shares_the_pool_is_computed_for_every_order(
    app, tmp_path, costs, deciding
):
    """Each voter has 50 zł. At 60 zł each, whichever of A and B comes first leaves its
    supporters 20 zł each, too little for the other: the draw decides. At 50 zł each,
    both are funded in either order: the tie is published as ranked. Published straight
    through the service, as the demo and scripts publish: the rule is the service's."""
    path = tmp_path / "remis.pb"
    path.write_text(_equal_shares_file(costs), encoding="utf-8")
    async with transaction(app.state.ctx.db) as session:
        summary = await edition_import_pabulib(session=session, path=path, slug=unique_slug("mes"))
        edition = summary.edition
        run = await results.run_create(session=session, edition=edition, actor_id=None)
        payload = ResultsPayload.model_validate(run.payload)
        assert undrawn_ties(payload.pools[0].allocation) == [["A", "B"]]
        found = await ties_deciding(session=session, edition=edition, payload=payload)
        assert [(pool.name, numbers) for pool, numbers in found] == (
            [("Testowo", ["A", "B"])] if deciding else []
        )
        if deciding:
            with pytest.raises(results.DrawDecidesFunding) as refused:
                await results.run_publish(
                    session=session, edition=edition, run_id=run.id, actor_id=None
                )
            assert refused.value.params == {"ties": "A, B (Testowo)"}
            run = await run_drawn(session, edition)  # the draw recorded, computed again
            assert ResultsPayload.model_validate(run.payload).pools[0].draw is not None
        await results.run_publish(session=session, edition=edition, run_id=run.id, actor_id=None)


@pytest.mark.flow
async def test_every_publisher_waits_for_the_draw_of_a_tie_that_decides_funding(app):
    """Not only the console's publication: C1 and C2 tie in CITY, which funds one of them,
    and publishing straight through the service is refused, naming them, until their draw
    is recorded (with the console's draw service) and the results computed again."""
    edition = await tie_in_city(app)
    await voting_close(app, edition.id)
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        run = await results.run_create(session=session, edition=found, actor_id=None)
        with pytest.raises(results.DrawDecidesFunding) as refused:
            await results.run_publish(session=session, edition=found, run_id=run.id, actor_id=None)
        assert refused.value.params == {"ties": "C1, C2 (Pula ogólnomiejska)"}
        assert await results_repository.run_published(session, edition.id) is None
        drawn = await run_drawn(session, found)
        city = ResultsPayload.model_validate(drawn.payload).pool("CITY")
        assert city.draw.order == ["C1", "C2"] and not city.draw_needed
        await results.run_publish(session=session, edition=found, run_id=drawn.id, actor_id=None)
        assert (await results_repository.run_published(session, edition.id)).id == drawn.id


@pytest.mark.flow
async def test_a_real_election_with_ties_that_only_rank_publishes_without_a_draw(app):
    """Praga-Południe 2020 (pabulib) has nine ties no draw ordered, none of which changes
    what is funded: it is published as imported, by a publisher outside the console."""
    path = pabulib_path("Poland_Warszawa_2020_Praga-Poludnie.pb")
    async with transaction(app.state.ctx.db) as session:
        summary = await edition_import_pabulib(session=session, path=path, slug=unique_slug("pp"))
        run = await results.run_create(session=session, edition=summary.edition, actor_id=None)
        [pool] = ResultsPayload.model_validate(run.payload).pools
        assert len(undrawn_ties(pool.allocation)) == 9 and pool.draw_needed
        await results.run_publish(
            session=session, edition=summary.edition, run_id=run.id, actor_id=None
        )
        assert (await results_repository.run_published(session, summary.edition.id)).id == run.id


@pytest.mark.flow
async def test_the_check_reads_the_computations_inputs_once_for_all_pools(app, monkeypatch):
    """Two equal-shares pools, each with a tie its draw decides (C1 or C2 in CITY, N1 or
    N2 in N): the check reads the edition-wide tally and voters once, not once per pool,
    and a payload whose pools the step log settles reads nothing."""
    data = edition_data()
    for pool in data["pools"][:2]:
        pool.update(rule="equal_shares", mes_completion="utilitarian")
    costs = {"C1": 60_000_00, "C2": 60_000_00, "N1": 20_000_00, "N2": 20_000_00}
    for project in data["projects"]:  # each fits its pool's money, not both
        project["cost"] = costs.get(project["number"], project["cost"])
    edition = await edition_create(app, pools=data["pools"], projects=data["projects"])
    await ballots_add(app, edition, [["C1", "C2", "N1", "N2"]] * 3)
    reads = Counter()
    for name in ("project_tallies", "pool_voter_counts", "approval_classes", "draws_of"):
        monkeypatch.setattr(results_repository, name, _counted(reads, name))
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        payload = await results.results_compute(session=session, edition=found)
        assert reads == {"project_tallies": 1, "pool_voter_counts": 1, "approval_classes": 2,
                         "draws_of": 1}  # fmt: skip
        reads.clear()
        deciding = await ties_deciding(session=session, edition=found, payload=payload)
        assert [(pool.code, numbers) for pool, numbers in deciding] == [
            ("CITY", ["C1", "C2"]),
            ("N", ["N1", "N2"]),
        ]
        assert reads == {"project_tallies": 1, "pool_voter_counts": 1, "approval_classes": 2,
                         "draws_of": 1}  # fmt: skip
        reads.clear()
        greedy = payload.model_copy(update={"pools": [payload.pool("S")]})
        assert await ties_deciding(session=session, edition=found, payload=greedy) == []
        assert reads == {}


def _counted(reads: Counter, name: str):
    read = getattr(results_repository, name)

    async def counted(*args, **kwargs):
        reads[name] += 1
        return await read(*args, **kwargs)

    return counted
