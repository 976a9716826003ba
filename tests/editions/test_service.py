"""Edition rules: phases, import validation, and rules frozen once voting opens."""

from datetime import timedelta

import pytest

from tests.factories.editions import edition_create, edition_data
from urna import seeding
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.editions import service
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
            session=db, edition=edition, changes={"max_ballots_per_contact": 2}
        )
    with pytest.raises(service.RulesFrozen):
        await privacy.document_publish(
            session=db, kind="clause", edition=edition, title="v2", body="changed"
        )
    with pytest.raises(service.RulesFrozen):
        await seeding.edition_import_csv(
            session=db, slug=edition.slug, kind="streets", text="name;area\nul. Nowa;N\n"
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
        session=db, edition=edition, changes={"max_ballots_per_contact": 2}
    )
    assert edition.max_ballots_per_contact == 2
    with pytest.raises(FormInvalid):
        await service.edition_update(
            session=db, edition=edition, changes={"confirmation_channel": "email"}
        )
    second = await privacy.document_publish(
        session=db, kind="clause", edition=edition, title="v2", body="nowa treść"
    )
    assert second.version == 2
    register = await privacy.document_register(session=db, kind="clause", edition=edition)
    assert [d.version for d in register] == [2, 1]
    added = await seeding.edition_import_csv(
        session=db,
        slug=edition.slug,
        kind="projects",
        text="number;pool;title;cost;area\nN9;N;Nowe drzewa;150000;N\n",
    )
    assert added == 1
    await db.commit()


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        (
            {"projects": [{"number": "X", "pool": "NOPE", "title": "t", "cost": 1}]},
            "unknown pool NOPE",
        ),
        ({"required_fields": ["first_name", "last_name", "shoe_size"]}, "unknown identity fields"),
        ({"confirmation_channel": "email"}, "needs the email field"),
        ({"slug": "Bad Slug!"}, "slug"),
    ],
)
async def test_import_explains_what_is_wrong(app, db, override, fragment):
    with pytest.raises(FormInvalid) as caught:
        await seeding.edition_import(session=db, data=edition_data(**override))
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
        await seeding.edition_import_csv(
            session=db,
            slug=edition.slug,
            kind="projects",
            text="number,pool,title,cost\nA1,CITY,Dobry,100\nA2,CITY,,abc\n",
        )
    assert set(caught.value.errors) == {"row 3: title", "row 3: cost"}
