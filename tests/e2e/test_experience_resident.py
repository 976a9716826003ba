"""The resident's side in Chromium at 320 px and 1280 px (issue 14): every public page and
every step of the vote with its error states pass axe-core (WCAG 2.1 AA), scroll not
sideways, and are photographed into var/screenshots/."""

from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.experience import (
    DESK,
    PHONE,
    browser,
    check,
    focus_hidden,
    new_page,
    unique_name,
)
from tests.e2e.test_browser import (
    confirm_code,
    fill_identity,
    project_box,
    start_vote,
    wrong_code,
)
from tests.factories.voting import person

pytestmark = pytest.mark.flow
__all__ = ["browser"]


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_public_pages_fit_a_phone_and_pass_axe(live_server, browser: Browser, width: int):
    base = live_server.base_url
    name = unique_name()
    edition = live_server.edition_create(name=name)
    page = new_page(browser, width)
    pages = {
        "home": "/",
        "edition": f"/e/{edition.slug}",
        "catalogue": f"/e/{edition.slug}/projects",
        "project": f"/e/{edition.slug}/projects/N1",
        "clause": f"/e/{edition.slug}/clause",
        "privacy": "/privacy",
        "accessibility": "/accessibility",
        "receipt-check": "/receipt",
        "my-data": "/my-data",
        "not-found": "/e/no-such-edition",
    }
    for step, path in pages.items():
        page.goto(base + path)
        check(page, step, test="public")
    page.goto(base + "/receipt")
    page.get_by_role("button", name="Sprawdź", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    check(page, "receipt-check-error", test="public")
    summary.get_by_role("link").first.click()
    expect(page.locator("#f-code")).to_be_focused()
    page.context.close()


def _summary_first_link_moves_to(page, field_id: str) -> None:
    """The error summary has focus; its first link moves focus to ``field_id``."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.locator(f"#{field_id}")).to_be_focused()


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_the_vote_step_by_step_with_its_errors(live_server, browser: Browser, width: int):
    base = live_server.base_url
    edition = live_server.edition_create(name=unique_name(), max_ballots_per_contact=1)
    slug = edition.slug
    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    page = new_page(browser, width)
    shot = partial(check, test=f"vote-{width}")

    page.goto(f"{base}/e/{slug}/vote")
    shot(page, "1-clause")
    page.get_by_role("button", name="Dalej").click()
    _summary_first_link_moves_to(page, "f-acknowledge")
    shot(page, "1-clause-error")
    page.locator("#f-acknowledge").check()
    page.get_by_role("button", name="Dalej").click()

    expect(page).to_have_url(f"{base}/e/{slug}/vote/identity")
    shot(page, "2-identity")
    page.get_by_role("button", name="Dalej").click()
    _summary_first_link_moves_to(page, "f-first_name")
    expect(page.locator("#f-first_name")).to_have_attribute(
        "aria-describedby", re.compile("first_name-error")
    )
    shot(page, "2-identity-error")
    fill_identity(page, who)
    # the header's language switch carries what was typed (tests/e2e/test_no_javascript.py)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Last name", exact=True)).to_have_value(who["last_name"])
    shot(page, "2-identity-language-kept")
    page.get_by_role("button", name="Polski").click()
    expect(page.get_by_label("Nazwisko", exact=True)).to_have_value(who["last_name"])
    page.get_by_role("button", name="Dalej").click()

    expect(page).to_have_url(f"{base}/e/{slug}/vote/code")
    shot(page, "3-code")
    page.fill("#f-code", wrong_code(live_server.latest_code(who["phone"])))
    page.get_by_role("button", name="Potwierdź", exact=True).click()
    _summary_first_link_moves_to(page, "f-code")
    shot(page, "3-code-error")
    confirm_code(page, live_server, slug, who["phone"])

    shot(page, "4-choices")
    boxes = page.locator("#choices input[type=checkbox]")
    boxes.first.focus()
    for _ in range(boxes.count()):
        assert focus_hidden(page) is None, f"focus hidden at {width} px"
        page.keyboard.press("Tab")
    project_box(page, "Koncerty w parku").check()
    project_box(page, "Ławki na Lipowej").check()
    project_box(page, "Plac zabaw Północ").check()  # one too many in the north pool
    expect(page.locator("#summary")).to_contain_text("Możesz wybrać najwyżej 1 projekt.")
    notice = page.get_by_role("alert")  # the live region, filled by htmx out of band
    expect(notice).to_contain_text("Pula Północ: W tej puli wybrano więcej projektów")
    if width == PHONE:  # the summary is below the boxes: the notice is on the screen
        expect(notice).to_be_in_viewport()
        assert focus_hidden(page) is None, "the box just ticked is under the notice"
    shot(page, "4-choices-too-many")
    project_box(page, "Plac zabaw Północ").uncheck()
    expect(notice).to_have_text("")
    expect(page.locator("#summary")).not_to_contain_text("Możesz wybrać najwyżej 1 projekt.")

    # reading a project from the ballot keeps the choices
    page.get_by_role("button", name=re.compile(r"Opis projektu\W+Ławki na Lipowej")).click()
    expect(page).to_have_url(f"{base}/e/{slug}/projects/N1?from=ballot")
    shot(page, "4-project-from-ballot")
    page.get_by_role("link", name="Wróć do swojej karty do głosowania").first.click()
    expect(project_box(page, "Koncerty w parku")).to_be_checked()
    expect(project_box(page, "Ławki na Lipowej")).to_be_checked()

    page.get_by_role("button", name="Przejdź do podsumowania").click()
    expect(page).to_have_url(f"{base}/e/{slug}/vote/review")
    shot(page, "5-review")
    page.get_by_role("button", name="Oddaję głos").click()
    expect(page).to_have_url(re.compile(rf"/e/{slug}/vote/receipt(\?|$)"))
    code = page.locator("#receipt-code").inner_text()
    shot(page, "6-receipt")

    # Back after voting: the receipt again, never "start again"
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/e/{slug}/vote/receipt(\?|$)"))
    expect(page.locator("#receipt-code")).to_have_text(code)
    page.context.close()

    # The child's ballot on the parent's phone: refused before any code is sent
    child = new_page(browser, width)
    start_vote(child, base, slug)
    fill_identity(child, person(street="ul. Lipowa", birth_date="1990-01-01", phone=who["phone"]))
    child.get_by_role("button", name="Dalej").click()
    expect(child).to_have_url(f"{base}/e/{slug}/vote/identity")
    _summary_first_link_moves_to(child, "f-phone")
    expect(child.locator("#contact-help")).to_contain_text("Nie wysłano kodu.")
    expect(child.locator("#contact-help")).to_contain_text("+48 52 000 00 00")
    shot(child, "2-identity-contact-used")
    assert (
        live_server.latest_code(who["phone"]) != ""
        and live_server.counts(edition.id)["ballots"] == 1
    )
    child.context.close()
