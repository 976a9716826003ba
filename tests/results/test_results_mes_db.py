"""Equal shares' options end to end: imported from META, set in the console's pool form,
used by the tally, shown on the public page and written back to the `.pb` export."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.editions import edition_create, unique_slug
from tests.factories.staff import csrf_of, staff_client
from urna.core.db import transaction, utcnow
from urna.editions import repository as editions_repository
from urna.editions.models import Pool
from urna.results.importer import ImportRefused, edition_import_pabulib
from urna.results.pabulib import pabulib_loads, rule_settings

from .test_results_views import _compute, _publish

pytestmark = pytest.mark.flow

# test_results_mes_variants.MAJORITY in złoty: greedy funds big1 + big2 (preferred by the 6),
# equal shares big1, local1 and local2 (preferred by the 4).
VOTES = "\n".join(
    [f"{n};big1,big2" for n in range(1, 7)] + [f"{n};local1,local2" for n in range(7, 11)]
)
MAJORITY_PB = (
    "META\nkey;value\ndescription;Zielony budżet\ncountry;Poland\nunit;Testowo\n"
    "instance;2023\nbudget;100\nvote_type;approval\nrule;{rule}\n"
    "date_begin;03.04.2023\ndate_end;21.04.2023\n"
    "PROJECTS\nproject_id;cost;name\nbig1;50;Park\nbig2;50;Staw\nlocal1;40;Ławki\nlocal2;10;Kosze\n"
    f"VOTES\nvoter_id;vote\n{VOTES}\n"
)


async def _import(app, tmp_path, rule: str):
    path = tmp_path / "zielony.pb"
    path.write_text(MAJORITY_PB.replace("{rule}", rule), encoding="utf-8")
    async with transaction(app.state.ctx.db) as session:
        return await edition_import_pabulib(session=session, path=path, slug=unique_slug("mes"))


async def _pool(app, edition_id: int) -> Pool:
    async with app.state.ctx.db() as session:
        [pool] = await editions_repository.pools_of(session, edition_id)
        return pool


async def test_comparison_file_is_imported_computed_published_and_exported(app, client, tmp_path):
    summary = await _import(app, tmp_path, "equalshares/add1-comparison")
    slug = summary.edition.slug
    pool = await _pool(app, summary.edition.id)

    assert summary.notices == ()
    assert (pool.rule, pool.mes_completion, pool.mes_add1_start, pool.mes_comparison) == (
        "equal_shares", "add1_utilitarian", "whole", "satisfaction",
    )  # fmt: skip
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        assert (await _publish(admin, slug, run_id)).status_code == 303

    page = (await client.get(f"/e/{slug}/results")).text
    assert (
        "Krok porównania: wynik metody równych udziałów woli głosujących: 4, wynik zachłanny: 6."
        in page
    )
    assert "Więcej głosujących woli wynik zachłanny, więc to on obowiązuje." in page
    assert "Uzupełnienie Add1: start od pełnych złotych na głosującego" in page  # the step log
    payload = (await client.get(f"/e/{slug}/results.json")).json()
    [result] = payload["pools"]
    assert set(result["funded"]) == {"big1", "big2"}
    assert result["allocation"]["comparison"]["prefer_mes"] == 4
    assert result["allocation"]["mes_options"]["add1_start"] == "whole"

    exported = pabulib_loads((await client.get(f"/e/{slug}/results.pb?pool=main")).text)
    assert exported.meta["rule"] == "equalshares/add1-comparison"
    assert exported.meta["mes_add1_start"] == "whole"
    assert (
        rule_settings(exported.meta).mes
        == rule_settings({"rule": "equalshares/add1-comparison"}).mes
    )


async def test_unknown_rule_imports_with_greedy_and_a_clear_notice(app, tmp_path):
    summary = await _import(app, tmp_path, "unknown")
    pool = await _pool(app, summary.edition.id)

    assert pool.rule == "greedy"
    assert summary.notices == (
        "The file does not name a rule Urna can compute (unknown). The pool counts by votes "
        "for now: choose its rule in the console before computing the results.",
    )


async def test_a_file_urna_cannot_read_is_refused_with_a_message(app, tmp_path):
    path = tmp_path / "broken.pb"
    path.write_text("META\nkey;value\nbudget;10\n", encoding="utf-8")
    async with app.state.ctx.db() as session:
        with pytest.raises(ImportRefused, match="cannot be imported"):
            await edition_import_pabulib(session=session, path=path, slug=unique_slug("zly"))


async def test_the_pool_form_stores_the_options_of_equal_shares(app):
    soon = utcnow() + timedelta(days=5)
    edition = await edition_create(
        app,
        voting_opens_at=soon.isoformat(),
        voting_closes_at=(soon + timedelta(days=10)).isoformat(),
        results_at=(soon + timedelta(days=20)).isoformat(),
    )
    async with app.state.ctx.db() as session:
        pools = {p.code: p for p in await editions_repository.pools_of(session, edition.id)}
    url = f"/staff/editions/{edition.slug}/pools/{pools['CITY'].id}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        assert "Metoda równych udziałów: kiedy kończy się Add1" in page
        form = {
            "rule": "equal_shares",
            "mes_completion": "add1",
            "mes_add1_stop": "exhaustive",
            "mes_add1_start": "whole",
            "mes_comparison": "at_least_one",
            "csrf_token": csrf_of(page),
        }
        assert (await admin.post(url, data=form)).status_code == 303
        async with app.state.ctx.db() as session:
            pool = await editions_repository.pool_by_id(session, edition.id, pools["CITY"].id)
        assert (pool.mes_completion, pool.mes_add1_stop, pool.mes_add1_start) == (
            "add1", "exhaustive", "whole",
        )  # fmt: skip
        assert pool.mes_comparison == "at_least_one"
        assert 'value="whole" selected' in (await admin.get(url)).text
        bad = await admin.post(url, data={**form, "mes_comparison": "sometimes"})
        assert bad.status_code == 400
