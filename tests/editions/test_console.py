"""Edition setup in the staff console: what ``urna edition import`` does, and forms for
editions, areas, pools, projects, streets and the versioned information clause."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.factories.editions import edition_data
from tests.factories.staff import csrf_of, staff_client
from urna.core.audit import AuditEvent
from urna.core.db import utcnow
from urna.documents import service as documents
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.privacy import service as privacy

pytestmark = pytest.mark.flow

FROZEN_PL = "Głosowanie w tej edycji już się rozpoczęło"


async def _edition(app, slug: str) -> Edition:
    async with app.state.ctx.db() as session:
        return await editions_repository.edition_by_slug(session, slug)


async def _actions(app, slug: str) -> list[str]:
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.target == f"edition:{slug}")
            .order_by(AuditEvent.id)
        )
        return list(result.scalars())


async def _voting_opens(app, edition_id: int) -> None:
    """Voting opened an hour ago: the edition's rules are frozen from now on."""
    async with app.state.ctx.db() as session:
        await session.execute(
            update(Edition)
            .where(Edition.id == edition_id)
            .values(voting_opens_at=utcnow() - timedelta(hours=1))
        )
        await session.commit()


def _local(days: int) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT10:00")


async def test_an_edition_is_set_up_from_the_console(app):
    slug = "konsola-" + uuid.uuid4().hex[:8]
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/editions/new")).text
        form = {
            "slug": slug,
            "name": "Budżet z konsoli",
            "municipality": "Gmina Konsolowo",
            "voting_opens_at": _local(10),
            "voting_closes_at": _local(20),
            "results_at": _local(30),
            "required_fields": ["first_name", "last_name", "address", "birth_date", "phone"],
            "confirmation_channel": "sms",
            "max_ballots_per_contact": "1",
            "retention_months": "3",
            "district_limited_to_area": "1",
            "pool_code": "CITY",
            "pool_name": "Pula ogólnomiejska",
            "pool_budget": "150 000",
            "pool_max_choices": "2",
            "csrf_token": csrf_of(page),
        }
        wrong = await admin.post("/staff/editions", data=dict(form, pool_budget="dużo"))
        assert wrong.status_code == 400 and "Podaj kwotę w złotych" in wrong.text
        response = await admin.post("/staff/editions", data=form)
        assert (
            response.status_code == 303
            and response.headers["location"] == f"/staff/editions/{slug}"
        )

        page = (await admin.get(f"/staff/editions/{slug}/pools")).text
        token = csrf_of(page)
        response = await admin.post(
            f"/staff/editions/{slug}/areas",
            data={"area_code": "N", "area_name": "Północ", "csrf_token": token},
        )
        assert response.status_code == 303
        response = await admin.post(
            f"/staff/editions/{slug}/pools",
            data={"code": "N", "name": "Pula Północ", "kind": "district", "area": "N",
                  "budget": "30 000,50", "max_choices": "1", "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 303
        response = await admin.post(
            f"/staff/editions/{slug}/projects",
            data={"number": "P1", "pool": "CITY", "title": "Park", "cost": "60 000",
                  "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 303

        # CSV with mistakes: a preview lists the errors of each row, nothing is added
        bad_csv = (
            "number;pool;title;cost;area\n"
            "P2;CITY;Ławki;800000;\n"
            "P3;XYZ;Zła pula;100;\n"
            "P1;CITY;Powtórzony numer;100;\n"
            "P4;N;Ujemny koszt;-5;N\n"
        )
        preview = await admin.post(
            f"/staff/editions/{slug}/import/projects/preview",
            data={"text": bad_csv, "csrf_token": token},
        )
        assert preview.status_code == 400
        rows = preview.text.split("<tbody>")[1]
        assert rows.count('class="row-error"') == 3
        assert "Nieznany kod puli." in rows and "Projekt o tym numerze jest już w edycji." in rows
        assert "Add these rows" not in preview.text and "Dodaj te wiersze" not in preview.text
        refused = await admin.post(
            f"/staff/editions/{slug}/import/projects", data={"text": bad_csv, "csrf_token": token}
        )
        assert refused.status_code == 400

        good_csv = "number;pool;title;cost;area\nP2;CITY;Ławki;800000;\nP3;N;Plac;2500000;N\n"
        preview = await admin.post(
            f"/staff/editions/{slug}/import/projects/preview",
            files={"file": ("projekty.csv", good_csv.encode("utf-8-sig"), "text/csv")},
            data={"csrf_token": token},
        )
        assert preview.status_code == 200 and "Dodaj te wiersze" in preview.text
        response = await admin.post(
            f"/staff/editions/{slug}/import/projects", data={"text": good_csv, "csrf_token": token}
        )
        assert response.status_code == 303
        response = await admin.post(
            f"/staff/editions/{slug}/import/streets",
            data={"text": "name,area\nul. Lipowa,N\nul. Polna,N\n", "csrf_token": token},
        )
        assert response.status_code == 303

        for version in (1, 2):
            response = await admin.post(
                f"/staff/editions/{slug}/clause",
                data={"title": "Klauzula", "body": f"## Administrator\n\nWersja {version}",
                      "change_summary": f"wersja {version}", "csrf_token": token},
            )  # fmt: skip
            assert response.status_code == 303
        response = await admin.post(
            f"/staff/editions/{slug}",
            data=dict(form, name="Budżet z konsoli 2027", csrf_token=token),
        )
        assert response.status_code == 303

        edition = await _edition(app, slug)
        async with app.state.ctx.db() as session:
            pools = {p.code: p for p in await editions_repository.pools_of(session, edition.id)}
            projects = await editions_repository.projects_by_pool(session, edition.id)
            streets = await editions_repository.streets_of(session, edition.id)
            clauses = await documents.document_register(
                session=session, kind="clause", edition=edition
            )
        assert edition.name == "Budżet z konsoli 2027"
        assert pools["CITY"].budget == 150_000_00 and pools["N"].budget == 30_000_50
        assert pools["N"].kind == "district" and pools["N"].area_id is not None
        assert sorted(p.number for p in projects) == ["P1", "P2", "P3"]
        assert [s.name for s in streets] == ["ul. Lipowa", "ul. Polna"]
        assert [c.version for c in clauses] == [2, 1]

        # once voting opens, everything is frozen
        await _voting_opens(app, edition.id)
        frozen = await admin.post(
            f"/staff/editions/{slug}/clause",
            data={
                "title": "Klauzula",
                "body": "zmiana",
                "change_summary": "x",
                "csrf_token": token,
            },
        )
        assert frozen.status_code == 409 and FROZEN_PL in frozen.text
        frozen = await admin.post(
            f"/staff/editions/{slug}/import/streets",
            data={"text": "name,area\nul. Nowa,N\n", "csrf_token": token},
        )
        assert frozen.status_code == 409
        page = await admin.get(f"/staff/editions/{slug}")
        assert page.status_code == 200 and "Zapisz zasady" not in page.text
    assert await _actions(app, slug) == [
        "edition.create",
        "edition.area_add",
        "edition.pool_add",
        "edition.project_add",
        "edition.projects_import",
        "edition.streets_import",
        "clause.publish",
        "clause.publish",
        "edition.update",
    ]


async def test_an_edition_json_file_is_imported_as_by_the_command_line(app):
    data = edition_data()
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/editions")).text
        broken = await admin.post(
            "/staff/editions/import",
            files={"file": ("edycja.json", b"{not json", "application/json")},
            data={"csrf_token": csrf_of(page)},
        )
        assert broken.status_code == 400 and "Plik nie jest poprawnym plikiem JSON." in broken.text
        response = await admin.post(
            "/staff/editions/import",
            files={"file": ("edycja.json", json.dumps(data).encode(), "application/json")},
            data={"csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/editions/{data['slug']}"
        listed = (await admin.get("/staff/editions")).text
    assert data["slug"] in listed
    edition = await _edition(app, data["slug"])
    async with app.state.ctx.db() as session:
        assert len(await editions_repository.projects_by_pool(session, edition.id)) == 6
        assert await documents.document_latest(session=session, kind="clause", edition=edition)
    assert await _actions(app, data["slug"]) == ["edition.import"]


async def test_every_setup_page_renders_before_and_after_voting_opens(app):
    upcoming = await edition_create_upcoming(app)
    opened = edition_data()
    async with app.state.ctx.db() as session:
        await privacy.edition_import(session=session, data=opened)
        await session.commit()
    async with await staff_client(app, "admin") as admin:
        for slug in (upcoming, opened["slug"]):
            for suffix in ("", "/pools", "/projects", "/streets", "/clause",
                           "/import/projects", "/import/streets"):  # fmt: skip
                response = await admin.get(f"/staff/editions/{slug}{suffix}")
                assert response.status_code == 200, (slug, suffix, response.text[-2000:])
        page = await admin.get(f"/staff/editions/{upcoming}")
        assert "Zapisz zasady" in page.text and 'value="Budżet' in page.text
        assert (await admin.get("/staff/editions/nope/import/nothing")).status_code == 404


async def edition_create_upcoming(app) -> str:
    data = edition_data(
        voting_opens_at=(utcnow() + timedelta(days=5)).isoformat(),
        voting_closes_at=(utcnow() + timedelta(days=15)).isoformat(),
        results_at=(utcnow() + timedelta(days=25)).isoformat(),
    )
    async with app.state.ctx.db() as session:
        await privacy.edition_import(session=session, data=data)
        await session.commit()
    return data["slug"]


async def _pools(app, slug: str) -> dict:
    edition = await _edition(app, slug)
    async with app.state.ctx.db() as session:
        return {p.code: p for p in await editions_repository.pools_of(session, edition.id)}


async def test_pool_rules_are_set_when_adding_a_pool_and_changed_until_voting_opens(app):
    slug = await edition_create_upcoming(app)
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(f"/staff/editions/{slug}/pools")
        assert "Według liczby głosów, z pominięciem projektów" in page.text
        token = csrf_of(page.text)
        pool = {"code": "EXTRA", "name": "Pula dodatkowa", "kind": "citywide",
                "budget": "10 000", "max_choices": "1", "rule": "greedy_stop",
                "min_votes": "25", "min_votes_percent": "2,5", "leftover_to": "CITY",
                "csrf_token": token}  # fmt: skip
        for wrong, message in [
            ({"min_votes_percent": "150"}, "jako liczbę od 0 do 100, z najwyżej dwoma miejscami"),
            ({"min_votes_percent": "dużo"}, "Podaj odsetek jako liczbę, np. 5 lub 2,5."),
            ({"min_votes": "-2"}, "Podaj liczbę całkowitą, 0 lub większą."),
            ({"leftover_to": "EXTRA"}, "Pula nie może przekazać pozostałych środków sama sobie."),
            ({"leftover_to": "NOPE"}, "musi być inną pulą tej edycji"),
        ]:
            response = await admin.post(f"/staff/editions/{slug}/pools", data={**pool, **wrong})
            assert response.status_code == 400 and message in response.text, wrong
        response = await admin.post(f"/staff/editions/{slug}/pools", data=pool)
        assert response.status_code == 303
        pools = await _pools(app, slug)
        extra = pools["EXTRA"]
        assert (extra.rule, extra.min_votes, extra.min_votes_percent) == (
            "greedy_stop", 25, Decimal("2.5"),
        )  # fmt: skip
        assert extra.leftover_to_pool_id == pools["CITY"].id
        listed = (await admin.get(f"/staff/editions/{slug}/pools")).text
        assert "Najmniejszy odsetek głosujących: 2,5%" in listed and "Zmień regułę" in listed

        # the rule of an existing pool: CITY -> EXTRA -> CITY would be a circle
        url = f"/staff/editions/{slug}/pools/{pools['CITY'].id}"
        page = await admin.get(url)
        assert page.status_code == 200 and "Zapisz regułę" in page.text
        assert 'value="EXTRA"' in page.text and 'value="CITY"' not in page.text  # not itself
        circle = {"rule": "equal_shares", "leftover_to": "EXTRA", "csrf_token": token}
        response = await admin.post(url, data=circle)
        assert response.status_code == 400
        assert "Pozostałe środki wróciłyby w kółko do tej puli." in response.text
        await admin.get("/staff/lang/en")
        response = await admin.post(url, data=circle)
        assert "The leftover money would go round in a circle" in response.text
        await admin.get("/staff/lang/pl")
        response = await admin.post(
            url, data={"rule": "equal_shares", "min_votes": "0", "csrf_token": token}
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/editions/{slug}/pools?saved=1"
        assert (await _pools(app, slug))["CITY"].rule == "equal_shares"
        assert (await admin.get(f"/staff/editions/{slug}/pools/999999")).status_code == 404

        # the edition's vote type: equal shares needs approval voting
        edition = await _edition(app, slug)
        form = {
            "name": edition.name,
            "description": "",
            "voting_opens_at": _local(5),
            "voting_closes_at": _local(15),
            "results_at": _local(25),
            "required_fields": edition.required_fields,
            "confirmation_channel": edition.confirmation_channel,
            "max_ballots_per_contact": "1",
            "retention_months": "3",
            "district_limited_to_area": "1",
            "csrf_token": token,
        }
        page = (await admin.get(f"/staff/editions/{slug}")).text
        assert "Rodzaj głosowania" in page and "przedział wieku i płeć" in page
        response = await admin.post(
            f"/staff/editions/{slug}", data={**form, "vote_type": "ordinal"}
        )
        assert response.status_code == 400
        assert "Niektóre pule korzystają z metody równych udziałów" in response.text
        response = await admin.post(
            f"/staff/editions/{slug}", data={**form, "publish_demographics": "1"}
        )
        assert response.status_code == 303
        assert (await _edition(app, slug)).publish_demographics is True
        page = (await admin.get(f"/staff/editions/{slug}")).text
        assert 'name="publish_demographics" value="1" checked' in page

        # once voting opens, the pool rules are frozen too
        await _voting_opens(app, edition.id)
        frozen = await admin.post(url, data={"rule": "greedy", "csrf_token": token})
        assert frozen.status_code == 409 and FROZEN_PL in frozen.text
        page = await admin.get(url)
        assert page.status_code == 200 and "Zapisz regułę" not in page.text
        assert "Zmień regułę" not in (await admin.get(f"/staff/editions/{slug}/pools")).text
    assert (await _pools(app, slug))["CITY"].rule == "equal_shares"
    assert await _actions(app, slug) == [
        "edition.pool_add",
        "edition.pool_rules",
        "edition.update",
    ]


async def test_a_json_edition_with_wrong_pool_rules_is_refused_in_polish(app):
    data = edition_data()
    data["pools"][1]["min_votes"] = -1
    data["pools"][2]["rule"] = "equal_shares"
    data["vote_type"] = "cumulative"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/editions")).text
        response = await admin.post(
            "/staff/editions/import",
            files={"file": ("edycja.json", json.dumps(data).encode(), "application/json")},
            data={"csrf_token": csrf_of(page)},
        )
    assert response.status_code == 400
    assert "pools.1.min_votes" in response.text
    assert "Minimalna liczba głosów nie może być mniejsza niż 0." in response.text
    assert "Metoda równych udziałów działa tylko przy głosowaniu aprobującym" in response.text
    assert await _edition(app, data["slug"]) is None


async def test_an_opening_time_already_past_opens_voting_only_once_confirmed(app):
    """A mistyped year must not open voting (and freeze the edition) unnoticed: a new
    edition, or one not open yet, given an opening time already past is refused on an
    "Open voting now" box; ticked, it is saved and voting is open."""
    slug = "otwarcie-" + uuid.uuid4().hex[:8]
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/editions/new")).text
        assert 'id="f-open_now"' not in page  # only when it is needed
        form = {
            "slug": slug, "name": "Budżet", "municipality": "Gmina Testowa",
            "voting_opens_at": _local(-365), "voting_closes_at": _local(20),
            "results_at": _local(30), "required_fields": ["first_name", "last_name"],
            "confirmation_channel": "none", "pool_code": "CITY", "pool_name": "Pula",
            "pool_budget": "150 000", "csrf_token": csrf_of(page),
        }  # fmt: skip
        refused = await admin.post("/staff/editions", data=form)
        assert refused.status_code == 400 and 'id="f-open_now"' in refused.text
        assert "Ten czas otwarcia już minął" in refused.text
        assert await _edition(app, slug) is None
        created = await admin.post("/staff/editions", data={**form, "open_now": "1"})
        assert created.status_code == 303
        assert (await _edition(app, slug)).voting_opens_at <= utcnow()  # open

        later = "otwarcie-" + uuid.uuid4().hex[:8]
        await admin.post(
            "/staff/editions", data={**form, "slug": later, "voting_opens_at": _local(5)}
        )
        page = (await admin.get(f"/staff/editions/{later}")).text
        update = {key: value for key, value in form.items() if not key.startswith("pool")}
        update.pop("slug")
        update = {**update, "municipality": "", "csrf_token": csrf_of(page)}
        moved = await admin.post(f"/staff/editions/{later}", data=update)
        assert moved.status_code == 400 and "Ten czas otwarcia już minął" in moved.text
        assert (await _edition(app, later)).voting_opens_at > utcnow()  # unchanged
        moved = await admin.post(f"/staff/editions/{later}", data={**update, "open_now": "1"})
        assert moved.status_code == 303 and (await _edition(app, later)).voting_opens_at <= utcnow()
