"""The vote in Chromium at 320 px with JavaScript off: every form answers POST → 303 → GET.
The identity form's language switch keeps what was typed (never the PESEL number) and
Enter in a field still continues; "Send a new code" says so once; the ballot's "Update
the summary" names the broken limit at the top and keeps it on the screen."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.experience import (
    PHONE,
    SCREENSHOTS,
    browser,
    new_page,
    sideways_overflow,
    unique_name,
)
from tests.e2e.test_browser import (
    WITH_PESEL,
    confirm_code,
    fill_identity,
    pesel_for,
    project_box,
    start_vote,
)
from tests.factories.voting import person

pytestmark = pytest.mark.flow
__all__ = ["browser"]

TOO_MANY = "W tej puli wybrano więcej projektów, niż pozwalają zasady."
SENT = "Wysłaliśmy nowy kod."


def looks(page: Page, step: str) -> None:
    """``experience.check`` without axe-core, which needs the page's JavaScript (the same
    pages pass axe in tests/e2e/test_experience_resident.py, with JavaScript on)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"no-js-{step}-{PHONE}.png"), full_page=True)
    assert sideways_overflow(page) <= 0, f"{step} scrolls sideways"


def test_the_language_switch_keeps_what_was_typed_and_a_new_code_is_said_once(
    live_server, browser: Browser
):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name(), required_fields=WITH_PESEL)
    slug = edition.slug
    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    pesel = pesel_for(date(1985, 3, 14))
    page = new_page(browser, PHONE, java_script_enabled=False)
    start_vote(page, base, slug)
    fill_identity(page, who)
    page.fill("#f-pesel", pesel)

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/identity")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    labels = {"First name": "first_name", "Last name": "last_name", "Street": "street",
              "House and flat number": "house_number", "Date of birth": "birth_date",
              "Mobile phone number": "phone"}  # fmt: skip
    for label, name in labels.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(who[name])
    expect(page.get_by_label("PESEL number", exact=True)).to_have_value("")
    expect(page.get_by_role("status")).to_contain_text(
        "For your safety we do not keep the PESEL number: type it again."
    )
    looks(page, "identity-language-kept")

    # Enter in a field continues (the form's default button), in the language now shown
    page.get_by_label("PESEL number", exact=True).fill(pesel)
    page.get_by_label("First name", exact=True).press("Enter")
    expect(page).to_have_url(f"{base}/e/{slug}/vote/code")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("link", name="Polski").click()  # no form to carry here: the link
    page.get_by_role("button", name="Wyślij nowy kod").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/code")
    expect(page.get_by_role("status")).to_have_text(SENT)
    page.reload()
    expect(page.get_by_text(SENT)).to_have_count(0)
    confirm_code(page, live_server, slug, who["phone"])


def test_update_names_the_broken_limit_at_the_top_and_keeps_it_on_the_screen(
    live_server, browser: Browser
):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name())
    slug = edition.slug
    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    page = new_page(browser, PHONE, java_script_enabled=False)
    start_vote(page, base, slug)
    fill_identity(page, who)
    page.get_by_role("button", name="Dalej").click()
    confirm_code(page, live_server, slug, who["phone"])

    project_box(page, "Ławki na Lipowej").check()
    project_box(page, "Plac zabaw Północ").check()  # one too many in the north pool
    page.get_by_role("button", name="Odśwież podsumowanie").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/choices")  # 303 → the ballot again
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Pula Północ: " + TOO_MANY)
    expect(summary).to_be_in_viewport()  # at the top, where the page opens
    expect(project_box(page, "Plac zabaw Północ")).to_be_checked()
    notice = page.locator("#limit-notice .limit-box")
    for title in ("Koncerty w parku", "Ławki na Lipowej"):  # wherever the resident is
        project_box(page, title).scroll_into_view_if_needed()
        expect(notice).to_contain_text(TOO_MANY)
        expect(notice).to_be_in_viewport()
    looks(page, "choices-too-many")

    project_box(page, "Plac zabaw Północ").uncheck()
    page.get_by_role("button", name="Odśwież podsumowanie").click()
    expect(page.locator("#summary")).to_contain_text("wybrano 1 z 1")
    expect(notice).to_have_count(0)
    expect(summary).to_have_count(0)
