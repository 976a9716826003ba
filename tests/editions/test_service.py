"""Edition rules: phases, import validation, and rules frozen once voting opens."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories.editions import edition_create, edition_data, upcoming_data
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.documents import service as documents
from urna.editions import repository, service
from urna.editions.schemas import PoolIn, PoolRulesIn
from urna.privacy import service as privacy

pytestmark = pytest.mark.flow


async def test_phases_follow_the_dates(app):
    edition = await edition_create(app)
    assert service.edition_phase(edition) == "open"
    assert (
        service.edition_phase(edition, edition.voting_opens_at - timedelta(seconds=1)) == "upcoming"
    )
    assert service.edition_phase(edition, edition.voting_closes_at) == "closed"
    assert service.edition_phase(edition, edition.results_at) == "resolved"


async def test_rules_are_frozen_once_voting_opens(app, db):
    edition = await edition_create(app)
    edition = await service.edition_get(session=db, slug=edition.slug)
    with pytest.raises(service.RulesFrozen):
        await service.edition_update(
            session=db, edition=edition, changes={"max_ballots_per_contact": 2}, actor_id=None
        )
    with pytest.raises(service.RulesFrozen):
        await documents.document_publish(
            session=db, kind="clause", edition=edition, title="v2", body="changed"
        )
    with pytest.raises(service.RulesFrozen):
        await service.rows_import(
            session=db,
            edition=edition,
            kind="streets",
            text="name;area\nul. Nowa;N\n",
            actor_id=None,
        )


async def test_upcoming_edition_can_change_and_the_clause_gets_a_new_version(app, db):
    later = utcnow() + timedelta(days=3)
    edition = await edition_create(
        app,
        voting_opens_at=later.isoformat(),
        voting_closes_at=(later + timedelta(days=7)).isoformat(),
        results_at=(later + timedelta(days=14)).isoformat(),
    )
    edition = await service.edition_get(session=db, slug=edition.slug)
    await service.edition_update(
        session=db, edition=edition, changes={"max_ballots_per_contact": 2}, actor_id=None
    )
    assert edition.max_ballots_per_contact == 2
    with pytest.raises(FormInvalid):
        await service.edition_update(
            session=db, edition=edition, changes={"confirmation_channel": "email"}, actor_id=None
        )
    second = await documents.document_publish(
        session=db, kind="clause", edition=edition, title="v2", body="nowa treść"
    )
    assert second.version == 2
    register = await documents.document_register(session=db, kind="clause", edition=edition)
    assert [d.version for d in register] == [2, 1]
    added = await service.rows_import(
        session=db,
        edition=edition,
        kind="projects",
        text="number;pool;title;cost;area\nN9;N;Nowe drzewa;150000;N\n",
        actor_id=None,
    )
    assert added == 1
    await db.commit()


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        (
            {"projects": [{"number": "X", "pool": "NOPE", "title": "t", "cost": 1}]},
            "projects.0.pool Unknown pool code.",  # on its path, never with the file's value
        ),
        ({"required_fields": ["first_name", "last_name", "shoe_size"]}, "required_fields Choose"),
        ({"confirmation_channel": "email"}, "needs the email field"),
        ({"slug": "Bad Slug!"}, "slug"),
    ],
)
async def test_import_explains_what_is_wrong(app, db, override, fragment):
    with pytest.raises(FormInvalid) as caught:
        await privacy.edition_import(session=db, data=edition_data(**override))
    assert fragment in " ".join(f"{k} {v}" for k, v in caught.value.errors.items())


async def test_csv_import_reports_errors_per_row(app, db):
    later = utcnow() + timedelta(days=3)
    edition = await edition_create(
        app,
        voting_opens_at=later.isoformat(),
        voting_closes_at=(later + timedelta(days=7)).isoformat(),
        results_at=(later + timedelta(days=14)).isoformat(),
    )
    with pytest.raises(FormInvalid) as caught:
        await service.rows_import(
            session=db,
            edition=await service.edition_get(session=db, slug=edition.slug),
            kind="projects",
            text="number,pool,title,cost\nA1,CITY,Dobry,100\nA2,CITY,,abc\n",
            actor_id=None,
        )
    assert set(caught.value.errors) == {"row 3: title", "row 3: cost"}


# ---- pool rules -------------------------------------------------------------------------


def _with_pool_rules(data, **rules_by_code):
    """``data`` with rule settings merged into the pools named by code."""
    data["pools"] = [{**pool, **rules_by_code.get(pool["code"], {})} for pool in data["pools"]]
    return data


async def test_import_keeps_pool_rules_and_finds_the_leftover_pool_by_code(app, db):
    data = _with_pool_rules(
        upcoming_data(vote_type="approval", publish_demographics=True),
        CITY={"rule": "equal_shares", "min_votes_percent": "2.5"},
        N={"rule": "greedy_stop", "min_votes": 10, "leftover_to": "CITY"},
        S={"leftover_to": "N"},
    )
    edition = await privacy.edition_import(session=db, data=data)
    await db.commit()
    pools = {p.code: p for p in await repository.pools_of(db, edition.id)}
    assert edition.vote_type == "approval" and edition.publish_demographics is True
    assert pools["CITY"].rule == "equal_shares"
    assert pools["CITY"].min_votes_percent == Decimal("2.5")
    assert pools["CITY"].leftover_to_pool_id is None
    assert (pools["N"].rule, pools["N"].min_votes) == ("greedy_stop", 10)
    assert pools["N"].leftover_to_pool_id == pools["CITY"].id
    assert pools["S"].rule == "greedy" and pools["S"].leftover_to_pool_id == pools["N"].id


@pytest.mark.parametrize(
    ("vote_type", "rules", "field", "message"),
    [
        ("approval", {"N": {"min_votes_percent": "100.5"}}, "pools.1.min_votes_percent",
         "as a number from 0 to 100"),
        ("approval", {"N": {"min_votes_percent": "-1"}}, "pools.1.min_votes_percent",
         "as a number from 0 to 100"),
        ("approval", {"N": {"min_votes_percent": "2.555"}}, "pools.1.min_votes_percent",
         "at most two decimal places"),
        ("approval", {"S": {"min_votes": -1}}, "pools.2.min_votes", "cannot be below 0"),
        ("approval", {"N": {"leftover_to": "NOPE"}}, "pools.1.leftover_to",
         "must be another pool of this edition"),
        ("approval", {"N": {"leftover_to": "N"}}, "pools.1.leftover_to", "to itself"),
        ("approval", {"N": {"leftover_to": "S"}, "S": {"leftover_to": "CITY"},
                      "CITY": {"leftover_to": "N"}},
         "pools.0.leftover_to", "go round in a circle"),
        ("ordinal", {"CITY": {"rule": "equal_shares"}}, "pools.0.rule", "only with approval"),
    ],
)  # fmt: skip
async def test_import_refuses_wrong_pool_rules(app, db, vote_type, rules, field, message):
    data = _with_pool_rules(upcoming_data(vote_type=vote_type), **rules)
    with pytest.raises(FormInvalid) as caught:
        await privacy.edition_import(session=db, data=data)
    assert message in caught.value.errors[field]
    await db.rollback()


async def test_a_pool_is_added_with_its_rule_and_its_rule_changes_while_editable(app, db):
    edition = await privacy.edition_import(session=db, data=upcoming_data())
    await db.commit()
    added = await service.pool_create(
        session=db,
        edition=edition,
        data=PoolIn(code="EXTRA", name="Pula dodatkowa", budget=1000, rule="greedy_stop",
                    min_votes=5, min_votes_percent=Decimal("1.25"), leftover_to="CITY"),
        actor_id=None,
    )  # fmt: skip
    pools = {p.code: p for p in await repository.pools_of(db, edition.id)}
    assert added.leftover_to_pool_id == pools["CITY"].id
    assert (added.rule, added.min_votes, added.min_votes_percent) == (
        "greedy_stop", 5, Decimal("1.25"),
    )  # fmt: skip
    with pytest.raises(FormInvalid) as caught:
        await service.pool_create(
            session=db,
            edition=edition,
            data=PoolIn(code="TWO", name="x", budget=1, leftover_to="TWO", min_votes=-3),
            actor_id=None,
        )
    assert set(caught.value.errors) == {"leftover_to", "min_votes"}

    # CITY -> EXTRA would close the circle EXTRA -> CITY
    city = pools["CITY"]
    with pytest.raises(FormInvalid) as caught:
        await service.pool_rules_update(
            session=db,
            edition=edition,
            pool=city,
            data=PoolRulesIn(leftover_to="EXTRA"),
            actor_id=None,
        )
    assert "go round in a circle" in caught.value.errors["leftover_to"]
    await service.pool_rules_update(
        session=db,
        edition=edition,
        pool=city,
        data=PoolRulesIn(rule="equal_shares", min_votes=0, leftover_to="N"),
        actor_id=None,
    )
    assert (city.rule, city.min_votes, city.leftover_to_pool_id) == (
        "equal_shares",
        0,
        pools["N"].id,
    )

    # a pool uses equal shares: the vote type stays approval
    with pytest.raises(FormInvalid) as caught:
        await service.edition_update(
            session=db, edition=edition, changes={"vote_type": "scoring"}, actor_id=None
        )
    assert "Method of Equal Shares" in caught.value.errors["vote_type"]
    await service.pool_rules_update(
        session=db, edition=edition, pool=city, data=PoolRulesIn(), actor_id=None
    )
    assert city.leftover_to_pool_id is None and city.min_votes is None
    await service.edition_update(
        session=db,
        edition=edition,
        changes={"vote_type": "scoring", "publish_demographics": True},
        actor_id=None,
    )
    assert edition.vote_type == "scoring" and edition.publish_demographics is True
    with pytest.raises(FormInvalid) as caught:
        await service.pool_rules_update(
            session=db,
            edition=edition,
            pool=city,
            data=PoolRulesIn(rule="equal_shares"),
            actor_id=None,
        )
    assert "only with approval" in caught.value.errors["rule"]
    await db.commit()


async def test_pool_rules_are_frozen_once_voting_opens(app, db):
    edition = await edition_create(app)
    edition = await service.edition_get(session=db, slug=edition.slug)
    pool = (await repository.pools_of(db, edition.id))[0]
    with pytest.raises(service.RulesFrozen):
        await service.pool_rules_update(
            session=db,
            edition=edition,
            pool=pool,
            data=PoolRulesIn(rule="greedy_stop"),
            actor_id=None,
        )
    with pytest.raises(service.RulesFrozen):
        await service.pool_create(
            session=db, edition=edition, data=PoolIn(code="LATE", name="x", budget=1), actor_id=None
        )
    with pytest.raises(service.RulesFrozen):
        await service.edition_update(
            session=db, edition=edition, changes={"publish_demographics": True}, actor_id=None
        )
