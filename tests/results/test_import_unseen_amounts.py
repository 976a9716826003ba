"""Pabulib files nobody here has seen: amounts with grosze, amounts beyond what Urna holds,
and ``selected`` as pabulib writes it.

Money is integer grosze in the database, so a file's złoty with up to two decimals import
exactly; a fraction of a grosz is refused naming its line. The election of
``test_import_unseen_results`` with grosze in its costs and budget is computed as
``urna results compute`` computes it and funds what pabutools funds for the same text; its
step log and open data show the grosze.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from urna.core.db import transaction
from urna.results import opendata
from urna.results import service as results
from urna.results.display import step_sentences
from urna.results.importer import ImportRefused, edition_described, edition_import_pabulib
from urna.results.pabulib import pabulib_loads
from urna.results.pabulib_write import pabulib_dumps
from urna.results.schemas import ResultsPayload

from .test_import_refusals import line_of, pb, saved
from .test_import_unseen_files import refused
from .test_import_unseen_results import pabutools_funded, plain

pytestmark = pytest.mark.flow


# --- grosze ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "zloty", "grosze"),
    [
        ("100.5", Decimal("100.50"), 10050),
        ("1234567.89", Decimal("1234567.89"), 123456789),
        ("1 234 567,89", Decimal("1234567.89"), 123456789),
        ("60.10", Decimal("60.10"), 6010),
        ("100.5000", Decimal("100.50"), 10050),  # a data frame's float: still whole grosze
    ],
)
def test_an_amount_with_grosze_is_read_and_imported_exactly(tmp_path, written, zloty, grosze):
    text = pb().replace("budget;100", f"budget;{written}").replace("1;60;", f"1;{written};")
    instance = pabulib_loads(text)
    assert (instance.budget, instance.projects[0].cost) == (zloty, zloty)
    _, data, _ = edition_described(saved(tmp_path, text))
    assert (data.pools[0].budget, data.projects[0].cost) == (grosze, grosze)


@pytest.mark.parametrize("written", ["100.1234", "0,0001", "1 000,0001"])
def test_a_fraction_of_a_grosz_is_refused_naming_its_line(written):
    costs = pb().replace("1;60;", f"1;{written};")
    assert refused(costs) == (
        f"PROJECTS line {line_of(costs, '1;')}: cost of project 1 has a fraction of a grosz: "
        f"{written!r} (at most 2 decimals)"
    )
    budget = pb().replace("budget;100", f"budget;{written}")
    assert refused(budget) == (
        f"META line {line_of(budget, 'budget;')}: budget has a fraction of a grosz: "
        f"{written!r} (at most 2 decimals)"
    )


@pytest.mark.parametrize("written", ["2500.000", "2500,000", "12345,000"])
def test_three_decimals_after_more_than_three_digits_are_decimals(written):
    """2500.000 cannot be thousands apart (a group has three digits): it is 2500 zł, as
    pabutools reads it, where 1,000 or 12.500 stay refused as ambiguous."""
    zloty = Decimal(written.replace(",", "."))
    text = pb().replace("budget;100", f"budget;{written}").replace("1;60;", f"1;{written};")
    instance = pabulib_loads(text)
    assert (instance.budget, instance.projects[0].cost) == (zloty, zloty)
    for ambiguous in ("12.500", "1,000", "-1.000"):
        costs = pb().replace("1;60;", f"1;{ambiguous};")
        assert refused(costs).endswith(
            f"is ambiguous: {ambiguous!r} (thousands apart, or decimals?)"
        )


def grosze_election() -> str:
    """By votes 11, 12, 13 (700.50 + 249.50 zł) leave 49.99 zł of 999.99: 16 (50 zł, tied
    with the dearer 14 and 15) is not funded. Cut to whole złoty (999 zł, 949 zł spent) it
    would be."""
    text = plain("approval", "greedy").replace("v10;16,11,12", "v10;11,12")
    for whole, exact in (("11;400;", "11;400.25;"), ("12;300;", "12;300.25;")):
        text = text.replace(whole, exact)
    return text.replace("13;250;", "13;249.50;").replace("budget;1000", "budget;999.99")


async def test_amounts_with_grosze_fund_what_pabutools_funds_and_are_shown_exactly(app, tmp_path):
    text = grosze_election()
    path = saved(tmp_path, text)
    async with transaction(app.state.ctx.db) as session:
        summary = await edition_import_pabulib(
            session=session, path=path, slug=f"grosze-{uuid.uuid4().hex[:10]}"
        )
        run = await results.run_create(session=session, edition=summary.edition, actor_id=None)
        await results.run_publish(
            session=session, edition=summary.edition, run_id=run.id, actor_id=None
        )
        _, open_data = await opendata.results_pabulib(
            session=session, edition=summary.edition, run=run, pool_code=None
        )
    payload = ResultsPayload.model_validate(run.payload)
    [pool] = payload.pools

    assert set(pool.funded) == pabutools_funded(text) == {"11", "12", "13"}
    sentences = " ".join(map(step_sentences(payload), pool.allocation["steps"]))
    assert "400,25\u00a0zł" in sentences and "zostało 49,99\u00a0zł" in sentences, sentences
    assert "budget;999.99\n" in open_data and "\n11;400.25;" in open_data, open_data
    assert pabulib_loads(open_data).projects[0].cost == Decimal("400.25")


# --- the most Urna holds -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("budget;100", "budget;10000000000000.01"), "META budget"),
        (("1;60;", "1;20000000000000;"), "project 1, cost"),
    ],
)
def test_an_amount_beyond_what_urna_holds_is_refused_quoting_the_limit_in_zloty(
    tmp_path, change, where
):
    """The limit is 10¹⁵ grosze; the office reads złoty."""
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(saved(tmp_path, pb().replace(*change)))
    assert str(import_refused.value) == (
        f"The file does not describe a valid edition: {where}: "
        "An amount can be at most PLN 10,000,000,000,000."
    )
    at_the_limit = pb().replace("budget;100", "budget;10000000000000")
    _, data, _ = edition_described(saved(tmp_path, at_the_limit))
    assert data.pools[0].budget == 10**15


# --- selected ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "selected"),
    [
        ("1", True),
        ("1.0", True),  # a data frame's float column
        ("0", False),
        ("2", False),  # pabulib: selected outside the rule (Poznań's 80% rule), not by it
        ("3", False),
        ("yes", False),  # pabutools reads no meaning into it and refuses nothing: nor do we
        ("None", None),
        ("", None),
    ],
)
def test_selected_is_the_value_1_as_pabulib_writes_it(cell, selected):
    text = pb().replace("project_id;cost;name", "project_id;cost;name;selected")
    text = text.replace("1;60;Ławki", f"1;60;Ławki;{cell}")
    text = text.replace("2;50;Drzewa", "2;50;Drzewa;0").replace("3;30;Kwiaty", "3;30;Kwiaty;1")
    instance = pabulib_loads(text)
    assert [project.selected for project in instance.projects] == [selected, False, True]
    # written back as read: a 2 is not turned into a 0
    written = pabulib_dumps(instance)
    assert f"\n1;60;Ławki;{'' if cell == 'None' else cell}\n" in written, written
