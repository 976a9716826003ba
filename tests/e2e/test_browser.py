"""The whole vote in a real browser (Debian's Chromium, driven by Playwright's sync API)
against the app running in its own uvicorn process, with JavaScript (htmx) on.

Never downloads a browser: without /usr/bin/chromium the tests fail and say so."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.factories.voting import person, pesel_for

pytestmark = pytest.mark.flow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = "/tmp/urna-receipt.png"  # for humans; not asserted
RECEIPT_CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
WITH_PESEL = ["first_name", "last_name", "address", "birth_date", "pesel", "phone"]

# Polish texts, from frontend/locale/pl/LC_MESSAGES/messages.po
CLAUSE_ERROR = "Potwierdź zapoznanie się z klauzulą informacyjną."
PESEL_ERROR = "Ten numer PESEL jest nieprawidłowy. Sprawdź cyfry."
PHONE_ERROR = "Ten numer telefonu jest nieprawidłowy. Podaj 9 cyfr, np. 600 100 200."
WRONG_CODE = "Błędny kod"
TOO_MANY = (
    "W tej puli wybrano więcej projektów, niż pozwalają zasady. Możesz wybrać najwyżej 1 projekt."
)
GUARDIAN_NAME_ERROR = "Podaj imię i nazwisko rodzica lub opiekuna prawnego."
GUARDIAN_DECLARATION_ERROR = (
    "Rodzic lub opiekun prawny musi oświadczyć, że głosuje w imieniu dziecka."
)
COUNTED = "Twój głos jest liczony."


class Chromium:
    """Launches the browser on first use, inside the test, so that a missing Chromium is a
    test failure (never a skip, never a download)."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._contexts: list[BrowserContext] = []

    def page(self) -> Page:
        if self._browser is None:
            if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
                pytest.fail(
                    f"{CHROMIUM} is missing: install Debian's Chromium (`apt-get install "
                    "chromium`). The browser tests never download a browser.",
                    pytrace=False,
                )
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        context = self._browser.new_context(locale="pl-PL", viewport={"width": 1000, "height": 900})
        context.set_default_timeout(10_000)
        expect.set_options(timeout=10_000)
        self._contexts.append(context)
        return context.new_page()

    def close_contexts(self) -> None:
        while self._contexts:
            self._contexts.pop().close()

    def close(self) -> None:
        self.close_contexts()
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    holder = Chromium()
    yield holder
    holder.close()


@pytest.fixture(autouse=True)
def _close_pages(chromium: Chromium) -> Iterator[None]:
    yield
    chromium.close_contexts()


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def unique_name() -> str:
    return "Budżet E2E " + uuid.uuid4().hex[:8]


def field(page: Page, name: str):
    """The form field block (label, input, message) of input ``name``."""
    return page.locator("div.field", has=page.locator(f"#f-{name}"))


def start_vote(page: Page, base_url: str, slug: str) -> None:
    """Clause acknowledged: the identity form is shown."""
    page.goto(f"{base_url}/e/{slug}/vote")
    page.get_by_label("Potwierdzam zapoznanie się z klauzulą informacyjną.").check()
    page.get_by_role("button", name="Dalej").click()
    expect(page).to_have_url(f"{base_url}/e/{slug}/vote/identity")


def fill_identity(page: Page, who: dict[str, str]) -> None:
    page.fill("#f-first_name", who["first_name"])
    page.fill("#f-last_name", who["last_name"])
    page.fill("#f-street", who["street"])
    page.fill("#f-house_number", who["house_number"])
    page.fill("#f-birth_date", who["birth_date"])
    page.fill("#f-phone", who["phone"])


def confirm_code(page: Page, live_server, slug: str, phone: str) -> None:
    expect(page).to_have_url(f"{live_server.base_url}/e/{slug}/vote/code")
    page.fill("#f-code", live_server.latest_code(phone))
    page.get_by_role("button", name="Potwierdź", exact=True).click()
    expect(page).to_have_url(f"{live_server.base_url}/e/{slug}/vote/choices")


def project_box(page: Page, title: str):
    return page.get_by_role("checkbox", name=re.compile(re.escape(title)))


def cast_from_choices(page: Page, base_url: str, slug: str) -> str:
    """Choices → review → "Oddaję głos" → receipt; returns the receipt code."""
    page.get_by_role("button", name="Przejdź do podsumowania").click()
    expect(page).to_have_url(f"{base_url}/e/{slug}/vote/review")
    page.get_by_role("button", name="Oddaję głos").click()
    expect(page).to_have_url(re.compile(rf"{base_url}/e/{slug}/vote/receipt\?receipt="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy, Twój głos został oddany")
    code = page.locator("#receipt-code").inner_text().strip()
    assert RECEIPT_CODE.match(code), code
    return code


def test_resident_votes_from_the_home_page_to_the_receipt_check(live_server, chromium):
    base = live_server.base_url
    name = unique_name()
    edition = live_server.edition_create(name=name, required_fields=WITH_PESEL)
    slug = edition.slug
    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    page = chromium.page()

    # Home → edition → catalogue.
    page.goto(base + "/")
    page.get_by_role("link", name=name).click()
    expect(page).to_have_url(f"{base}/e/{slug}")
    page.get_by_role("link", name="Wszystkie projekty (6)").first.click()
    expect(page).to_have_url(f"{base}/e/{slug}/projects")
    results = page.locator("#results")
    expect(results.locator(".count")).to_have_text("6 projektów")
    expect(results).to_contain_text("Park kieszonkowy")

    # Filter by pool: htmx swaps the results and pushes the URL, no full reload.
    page.evaluate("window.urnaNoReload = 'still the same document'")
    page.select_option("#f-pool", "N")
    expect(page).to_have_url(re.compile(r"/projects\?(.*&)?pool=N(&|$)"))
    expect(results.locator(".count")).to_have_text("2 projekty")
    expect(results).to_contain_text("Ławki na Lipowej")
    expect(results).to_contain_text("Plac zabaw Północ")
    expect(results).not_to_contain_text("Park kieszonkowy")
    assert page.evaluate("window.urnaNoReload") == "still the same document"

    # Project page → "Głosuj".
    results.get_by_role("link", name=re.compile("Ławki na Lipowej")).click()
    expect(page).to_have_url(f"{base}/e/{slug}/projects/N1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ławki na Lipowej")
    page.get_by_role("link", name="Głosuj", exact=True).click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote")

    # Clause: not ticked → the Polish error; ticked → identity.
    page.get_by_role("button", name="Dalej").click()
    expect(page.locator("#acknowledge-error")).to_have_text(CLAUSE_ERROR)
    page.locator("#f-acknowledge").check()
    page.get_by_role("button", name="Dalej").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/identity")

    # Identity: bad PESEL and bad phone → messages next to the fields, the rest kept.
    fill_identity(page, {**who, "phone": "12345"})
    page.fill("#f-pesel", "12345678901")
    page.get_by_role("button", name="Dalej").click()
    expect(field(page, "pesel").locator(".error")).to_have_text(PESEL_ERROR)
    expect(field(page, "phone").locator(".error")).to_have_text(PHONE_ERROR)
    expect(page.locator("#f-pesel")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-pesel")).to_have_value("")
    expect(page.locator("#f-first_name")).to_have_value(who["first_name"])
    expect(page.locator("#f-last_name")).to_have_value(who["last_name"])
    expect(page.locator("#f-street")).to_have_value(who["street"])
    expect(page.locator("#f-house_number")).to_have_value(who["house_number"])
    expect(page.locator("#f-birth_date")).to_have_value(who["birth_date"])
    expect(page.locator("#f-phone")).to_have_value("12345")
    expect(page.locator("div.field.invalid")).to_have_count(2)
    page.fill("#f-pesel", pesel_for(date(1985, 3, 14)))
    page.fill("#f-phone", who["phone"])
    page.get_by_role("button", name="Dalej").click()

    # Code: a wrong one → "Błędny kod"; the right one (from the outbox) → choices.
    expect(page).to_have_url(f"{base}/e/{slug}/vote/code")
    right = live_server.latest_code(who["phone"])
    page.fill("#f-code", wrong_code(right))
    page.get_by_role("button", name="Potwierdź", exact=True).click()
    expect(page.locator("#code-error")).to_contain_text(WRONG_CODE)
    page.fill("#f-code", right)
    page.get_by_role("button", name="Potwierdź", exact=True).click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/choices")

    # Choices: the live summary (htmx) follows the ticks.
    summary = page.locator("#summary")
    city = summary.locator("li", has_text="Pula ogólnomiejska")
    north = summary.locator("li", has_text="Pula Północ")
    expect(city).to_contain_text("wybrano 0 z 2")
    page.evaluate("window.urnaNoReload = 'choices'")
    project_box(page, "Koncerty w parku").check()
    expect(city).to_contain_text("wybrano 1 z 2")
    expect(city).to_contain_text("wybrane projekty kosztują 10\u00a0000\u00a0zł")
    project_box(page, "Ławki na Lipowej").check()
    expect(north).to_contain_text("wybrano 1 z 1")
    expect(north).to_contain_text("wybrane projekty kosztują 8\u00a0000\u00a0zł")
    project_box(page, "Plac zabaw Północ").check()
    expect(north).to_contain_text("wybrano 2 z 1")
    expect(north).to_contain_text(TOO_MANY)
    # said once, by the live region that stays on the page (htmx fills it out of band)
    expect(page.get_by_role("alert")).to_have_text("Pula Północ: " + TOO_MANY)
    project_box(page, "Plac zabaw Północ").uncheck()
    expect(north).to_contain_text("wybrano 1 z 1")
    expect(north).not_to_contain_text(TOO_MANY)
    expect(page.get_by_role("alert")).to_have_text("")
    assert page.evaluate("window.urnaNoReload") == "choices"

    # Review → cast → receipt.
    page.get_by_role("button", name="Przejdź do podsumowania").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/review")
    expect(page.locator("main")).to_contain_text("Koncerty w parku")
    expect(page.locator("main")).to_contain_text("Ławki na Lipowej")
    expect(page.locator("main")).not_to_contain_text("Plac zabaw Północ")
    page.get_by_role("button", name="Oddaję głos").click()
    expect(page).to_have_url(re.compile(rf"{base}/e/{slug}/vote/receipt\?receipt="))
    code = page.locator("#receipt-code").inner_text().strip()
    assert RECEIPT_CODE.match(code), code
    page.screenshot(path=SCREENSHOT, full_page=True)

    # "Sprawdź potwierdzenie": counted, and never what was chosen.
    page.locator("main").get_by_role("link", name="Sprawdź potwierdzenie").click()
    expect(page).to_have_url(f"{base}/receipt")
    page.fill("#f-code", code)
    page.get_by_role("button", name="Sprawdź", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(COUNTED)
    html = page.content()
    for title in ("Koncerty w parku", "Ławki na Lipowej", "Plac zabaw Północ"):
        assert title not in html

    counts = live_server.counts(edition.id)
    assert counts == {"voters": 1, "ballots": 1, "choices": 2}


def nine_years_old() -> str:
    today = date.today()
    born = today.replace(day=1, year=today.year - 9) - timedelta(days=40)
    return born.isoformat()


def test_a_guardian_votes_for_a_nine_year_old(live_server, chromium):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name())
    slug = edition.slug
    child = person(street="ul. Słoneczna", birth_date=nine_years_old())
    page = chromium.page()
    start_vote(page, base, slug)

    fill_identity(page, child)
    page.get_by_role("button", name="Dalej").click()
    expect(page.locator("#guardian_name-error")).to_have_text(GUARDIAN_NAME_ERROR)
    expect(page.locator("#guardian_declaration-error")).to_have_text(GUARDIAN_DECLARATION_ERROR)
    expect(page.locator("#f-first_name")).to_have_value(child["first_name"])
    expect(page.locator("#f-birth_date")).to_have_value(child["birth_date"])

    page.fill("#f-guardian_name", "Ewa " + child["last_name"])
    page.locator("#f-gd-on-behalf").check()
    page.get_by_role("button", name="Dalej").click()
    confirm_code(page, live_server, slug, child["phone"])

    project_box(page, "Siłownia plenerowa").check()
    south = page.locator("#summary li", has_text="Pula Południe")
    expect(south).to_contain_text("wybrano 1 z 1")
    # Enter in a box goes on to the review (the form's default button), never to the
    # first project's description
    project_box(page, "Siłownia plenerowa").press("Enter")
    expect(page).to_have_url(f"{base}/e/{slug}/vote/review")
    page.go_back()
    code = cast_from_choices(page, base, slug)
    assert code
    assert live_server.counts(edition.id) == {"voters": 1, "ballots": 1, "choices": 1}


def test_english_switch_translates_the_identity_form(live_server, chromium):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name())
    slug = edition.slug
    page = chromium.page()
    start_vote(page, base, slug)
    expect(page.get_by_role("heading", level=1)).to_have_text("Twoje dane")
    expect(page.get_by_label("Imię", exact=True)).to_be_visible()

    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    fill_identity(page, who)
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/identity")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    for label in ("First name", "Last name", "Street", "Date of birth", "Mobile phone number"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    # what was typed came along (tests/e2e/test_no_javascript.py: with JavaScript off too)
    expect(page.get_by_role("status")).to_contain_text("The data you typed are kept.")
    expect(page.get_by_label("First name", exact=True)).to_have_value(who["first_name"])
    expect(page.get_by_label("Mobile phone number", exact=True)).to_have_value(who["phone"])
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    expect(page.get_by_role("button", name="Polski")).to_be_visible()


def test_back_after_filtering_restores_the_whole_catalogue(live_server, chromium):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name())
    page = chromium.page()
    page.goto(f"{base}/e/{edition.slug}/projects")
    page.select_option("#f-pool", "N")
    expect(page).to_have_url(re.compile(r"pool=N"))
    expect(page.locator("#results .count")).to_have_text("2 projekty")
    page.go_back()
    expect(page).to_have_url(f"{base}/e/{edition.slug}/projects")
    expect(page.locator("#results .count")).to_have_text("6 projektów")
    expect(page.locator("form.filters")).to_have_count(1, timeout=3_000)
    expect(page.locator("header.site")).to_have_count(1, timeout=3_000)
