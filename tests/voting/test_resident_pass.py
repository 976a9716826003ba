"""What a new-user pass as residents found: editions with pools that limit both the count
and the money, codes and numbers pasted with spaces, a code typed once it is used up,
streets written the way people write them."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import (
    csrf_of,
    e164,
    latest_code,
    person,
    pesel_for,
    post_form,
    project_ids,
    reach_choices,
    reach_code,
    reach_identity,
    receipt_of,
    reviewed_of,
    vote,
)
from urna.core.db import transaction
from urna.core.forms import form_parse
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import street_index_of, street_lookup
from urna.voting.models import Ballot
from urna.voting.schemas import CodeForm, ReceiptForm
from urna.voting.service import NO_CODE_WAITING

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


def _rules_cell(page: str, pool_name: str) -> str:
    """The edition page's rules for choosing in a pool's row, as a screen shows them."""
    row = re.search(rf">{pool_name}</a></td>.*?</tr>", page, re.S)
    assert row, pool_name
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    return re.sub(r"\s+", " ", cells[-1]).strip()


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_the_edition_page_states_a_pools_limits_as_the_ballot_does(app, client, lang):
    """The edition page told only the most projects ("do 3 projektów"); a resident learnt
    of the fewest and of the money limit on the ballot. Now it says what the ballot says."""
    edition = await edition_create(app, pools=LIMITED_POOLS)
    if lang == "en":
        await client.get("/lang/en")
    about = (await client.get(f"/e/{edition.slug}")).text
    ballot = await reach_choices(client, app, edition.slug, person())
    budget_said = {"pl": " Pula ma ", "en": " The pool has "}[lang]
    for pool in ("Pula ogólnomiejska", "Pula Północ"):
        limits = _hint(ballot, pool).split(budget_said)[0].strip()
        assert _rules_cell(about, pool) == limits
    least = {"pl": "co najmniej 2 projekty", "en": "at least 2 projects"}[lang]
    assert least in _rules_cell(about, "Pula ogólnomiejska")


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_a_code_typed_once_it_is_used_up_asks_for_a_new_one_never_a_restart(
    app, client, lang
):
    """After "Too many wrong codes. Send a new one." (or an expired code) the page still
    has its code field: a code typed there gets the same advice beside the field, with
    "Send a new code" under it — not the error page's "start again from the beginning",
    which would throw away the identity typed."""
    edition = await edition_create(app)
    if lang == "en":
        await client.get("/lang/en")
    who = person()
    page, code = await reach_code(client, app, edition.slug, who)
    url = f"/e/{edition.slug}/vote/code"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(app.state.ctx.settings.otp_max_attempts):
        used_up = await post_form(client, url, {"code": wrong}, page)
    assert used_up.status_code == 429
    again = await post_form(client, url, {"code": code}, used_up.text)
    assert again.status_code == 400
    advice = {"pl": "Tego kodu nie można już użyć. Wyślij nowy.", "en": NO_CODE_WAITING}[lang]
    assert advice in again.text and 'id="code-error"' in again.text
    assert "/vote/code/resend" in again.text
    resent = await post_form(client, f"{url}/resend", {}, again.text)
    assert resent.status_code == 303
    page = (await client.get(url)).text
    fresh = await latest_code(app, e164(who["phone"]))
    confirmed = await post_form(client, url, {"code": fresh}, page)
    assert confirmed.headers["location"] == f"/e/{edition.slug}/vote/choices"


def _kept_of(page: str, field: str, pasted: str) -> str:
    """What a browser keeps of ``pasted`` in the page's ``field``: a paste is cut at the
    input's maxlength."""
    tag = re.search(rf'<input id="f-{field}"[^>]*>', page).group(0)
    limit = re.search(r'maxlength="(\d+)"', tag)
    return pasted[: int(limit.group(1))] if limit else pasted


async def test_a_pesel_and_a_code_pasted_with_spaces_are_not_cut_by_the_page(app, client):
    """The server reads " 850304 12345 " and " 123 456 " (spaces and the number's groups
    copied with it); the page's maxlength must not cut them first, or the resident who
    pasted the right number is told it is not valid."""
    edition = await edition_create(
        app, required_fields=["first_name", "last_name", "address", "pesel", "phone"]
    )
    who = person()
    del who["birth_date"]
    pesel = pesel_for(date(1985, 3, 4))
    page = await reach_identity(client, edition.slug)
    who["pesel"] = _kept_of(page, "pesel", f" {pesel[:6]} {pesel[6:]} ")
    identified = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert identified.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', identified.text)
    page = (await client.get(f"/e/{edition.slug}/vote/code")).text
    code = await latest_code(app, e164(who["phone"]))
    typed = _kept_of(page, "code", f" {code[:3]} {code[3:]} ")
    confirmed = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": typed}, page)
    assert confirmed.headers.get("location") == f"/e/{edition.slug}/vote/choices"


@pytest.mark.parametrize("typed", ["ul.Lipowa", "UL.LIPOWA", "ul.  lipowa", "pl.Wolności"])
def test_a_street_is_found_with_no_space_after_its_kinds_dot(typed):
    """Many people write an address "ul.Lipowa" (a phone without the list's suggestions
    sends what they type): the same street as "ul. Lipowa"."""
    register = [RegisterStreet("ul. Lipowa", 1), RegisterStreet("pl. Wolności", 2)]
    found = street_lookup(street_index_of(register), typed)
    assert (
        found is not None
        and found.name == {"u": "ul. Lipowa", "p": "pl. Wolności"}[typed[0].lower()]
    )


def _full_width(text: str) -> str:
    """``text`` as a CJK keyboard (or a page set in it) writes it: "１２３－Ａ"."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


async def test_numbers_typed_in_full_width_digits_are_read_as_digits(app, client):
    """A house number, a PESEL and a one-time code in full-width digits (and a receipt
    code, below) are what they show, not "not valid" (the phone number already was)."""
    edition = await edition_create(
        app, required_fields=["first_name", "last_name", "address", "pesel", "phone"]
    )
    who = person(house_number=_full_width("12A/3"), pesel=_full_width(pesel_for(date(1990, 1, 2))))
    del who["birth_date"]
    page = await reach_identity(client, edition.slug)
    identified = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert identified.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', identified.text)
    page = (await client.get(f"/e/{edition.slug}/vote/code")).text
    code = _full_width(await latest_code(app, e164(who["phone"])))
    confirmed = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert confirmed.headers.get("location") == f"/e/{edition.slug}/vote/choices"


def test_a_receipt_code_in_full_width_letters_is_read():
    assert form_parse(ReceiptForm, {"code": _full_width("7k3m-q9tx-2b4d")}).code == "7K3MQ9TX2B4D"
    assert form_parse(CodeForm, {"code": "\u3000１２３\u3000４５６"}).code == "123456"


# The dashes a word processor, a phone's keyboard or a page put where the code has "-".
DASHES = ["\u2013", "\u2010", "\u2011", "\u2014", "\u2212"]  # en, hyphen, nb, em, minus


async def test_a_receipt_code_written_with_other_dashes_is_found(app, client):
    """ "S8PN–DRM2–7TSV" (an en dash, as a note app writes it) is the code printed as
    "S8PN-DRM2-7TSV": on the receipt check and on /my-data."""
    edition = await edition_create(app)
    who = person()
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    for dash in DASHES:
        page = (await client.get("/receipt")).text
        checked = await post_form(client, "/receipt", {"code": receipt.replace("-", dash)}, page)
        assert checked.status_code == 303, (dash, checked.text)
    page = (await client.get("/my-data")).text
    started = await post_form(client, "/my-data", {"code": receipt.replace("-", DASHES[0])}, page)
    assert started.headers.get("location") == "/my-data/code"


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_my_data_writes_the_date_of_birth_as_the_site_writes_dates(app, client, lang):
    """/my-data showed "1980-01-02" in both languages; the site writes 02.01.1980 (2 Jan
    1980). The JSON download stays machine-readable: ISO."""
    edition = await edition_create(app)
    who = person(birth_date="1980-01-02")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    if lang == "en":
        await client.get("/lang/en")
    page = (await client.get("/my-data")).text
    assert (await post_form(client, "/my-data", {"code": receipt}, page)).status_code == 303
    page = (await client.get("/my-data/code")).text
    code = await latest_code(app, e164(who["phone"]))
    assert (await post_form(client, "/my-data/code", {"code": code}, page)).status_code == 303
    shown = (await client.get("/my-data")).text
    assert {"pl": "<dd>02.01.1980</dd>", "en": "<dd>2 Jan 1980</dd>"}[lang] in shown
    assert "1980-01-02" not in shown
    assert (await client.get("/my-data.json")).json()["identity"]["birth_date"] == "1980-01-02"


async def _review(client, app, slug: str, who: dict[str, str]) -> httpx.Response:
    page = await reach_choices(client, app, slug, who)
    await post_form(client, f"/e/{slug}/vote/choices", {"project": [project_ids(page)["C1"]]}, page)
    return await client.get(f"/e/{slug}/vote/review")


async def test_the_review_page_names_whose_ballot_it_is_and_nothing_more(app, client):
    """Two tabs of one browser share the vote: a second person identifying in tab B takes
    over the ballot tab A reviews. The review page names the voter, "Anna K.", so the one
    about to cast sees it; never the PESEL, the phone or the address. No name asked: none."""
    edition = await edition_create(
        app, required_fields=["first_name", "last_name", "address", "pesel", "phone"]
    )
    who = person(first_name="Anna", last_name="kowalska-Nowak", pesel=pesel_for(date(1980, 1, 2)))
    del who["birth_date"]
    review = await _review(client, app, edition.slug, who)
    assert review.headers["cache-control"] == "no-store"
    assert '<p id="voter">Osoba głosująca: Anna K.</p>' in review.text
    for withheld in ("kowalska", "Nowak", who["pesel"], who["phone"], who["street"]):
        assert withheld not in review.text
    nameless = await edition_create(app, required_fields=["pesel", "address", "phone"])
    client.cookies.clear()
    who = person(pesel=pesel_for(date(1981, 2, 3)))
    for field in ("first_name", "last_name", "birth_date"):
        del who[field]
    review = await _review(client, app, nameless.slug, who)
    assert review.status_code == 200 and 'id="voter"' not in review.text


async def test_a_ballot_taken_over_in_another_tab_after_its_review_is_not_cast(app, client):
    """Tab A reviews Anna's ballot; in tab B of the same browser Jan identifies and picks
    the same project. Tab A's "Cast my ballot" is refused (the choices alone agree), nothing
    is stored, and Jan's own review then casts his."""
    edition = await edition_create(app)
    anna, jan = person(first_name="Anna"), person(first_name="Jan")
    tab_a = await _review(client, app, edition.slug, anna)
    assert "Anna" in tab_a.text
    tab_b = await _review(client, app, edition.slug, jan)
    assert reviewed_of(tab_b.text)["reviewed"] == reviewed_of(tab_a.text)["reviewed"]
    url = f"/e/{edition.slug}/vote/cast"
    for forged in ("żółć", "", "0" * 5000):  # any other text is another voter, never a 500
        data = reviewed_of(tab_b.text) | {"voter": forged}
        assert (await post_form(client, url, data, tab_b.text)).status_code == 400
    refused = await post_form(client, url, reviewed_of(tab_a.text), tab_b.text)
    assert refused.status_code == 400
    assert "Inna osoba potwierdziła swoje dane w tej przeglądarce" in refused.text
    async with transaction(app.state.ctx.db) as session:
        stored = select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        assert await session.scalar(stored) == 0
    cast = await post_form(client, url, reviewed_of(tab_b.text), tab_b.text)
    assert cast.status_code == 303


async def test_a_cast_whose_voter_field_is_a_file_is_refused_not_a_500(app, client):
    """A multipart cast may send its ``voter`` field as a file: it is another voter's seal
    as much as any text is (refused, nothing cast), not an error on the server's side."""
    edition = await edition_create(app)
    review = await _review(client, app, edition.slug, person())
    fields = reviewed_of(review.text)
    data = {"reviewed": fields["reviewed"], "csrf_token": csrf_of(review.text)}
    files = {"voter": ("voter.txt", fields["voter"].encode(), "text/plain")}
    refused = await client.post(f"/e/{edition.slug}/vote/cast", data=data, files=files)
    assert refused.status_code == 400
    async with transaction(app.state.ctx.db) as session:
        stored = select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        assert await session.scalar(stored) == 0
