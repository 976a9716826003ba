"""The clerk's side in Chromium at 320 px and 1280 px (issue 14): results computed and
published and forms' error states pass axe-core (WCAG 2.1 AA), scroll not sideways, and
are photographed into var/screenshots/. Every console page is visited by
``test_experience_every_page.py``."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.experience import DESK, PHONE, browser, check, new_page, unique_name
from tests.staff.test_browser_login import log_in_with_password, staff_account
from urna.core.db import utcnow

pytestmark = pytest.mark.flow
__all__ = ["browser"]


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_console_results_and_form_errors(live_server, browser: Browser, width: int):
    base = live_server.base_url
    open_edition = live_server.edition_create(name=unique_name())
    now = utcnow()
    closed = live_server.edition_create(
        name=unique_name(),
        voting_opens_at=(now - timedelta(days=10)).isoformat(),
        voting_closes_at=(now - timedelta(hours=1)).isoformat(),
        results_at=(now + timedelta(days=5)).isoformat(),
    )
    email, password, secret = staff_account(live_server, "admin")
    page = new_page(browser, width)
    shot = partial(check, test=f"console-{width}")

    log_in_with_password(page, base, email, password)
    shot(page, "login-enrol")
    page.get_by_label("Kod 6-cyfrowy").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{base}/staff")

    slug = open_edition.slug
    # every page is visited by test_experience_every_page.py; here, what happens on them
    # results: a draft, then published (no draw form any more), then the public page
    page.goto(f"{base}/staff/editions/{closed.slug}/results")
    page.get_by_role("button", name="Oblicz wyniki").click()
    shot(page, "results-draft")
    # nobody voted: the projects of CITY and of N tie at 0 votes, and their order decides
    # what is funded, so publishing waits for the public draw of each
    page.locator("form[action$='/publish'] input[type=checkbox]").check()
    page.get_by_role("button", name="Opublikuj te wyniki").click()
    expect(page.locator(".error-summary")).to_be_focused()
    shot(page, "results-draw-due")
    for pool in ("CITY", "N"):
        draw = page.locator("form.draw", has=page.locator(f"#draw-{pool}-seed"))
        draw.locator(f"#draw-{pool}-seed").fill("424242")
        draw.get_by_role("button", name="Zapisz wynik losowania").click()
        page.get_by_role("button", name="Oblicz wyniki").click()
    page.locator("form[action$='/publish'] input[type=checkbox]").check()
    page.get_by_role("button", name="Opublikuj te wyniki").click()
    shot(page, "results-published")
    expect(page.locator("form.draw")).to_have_count(0)
    page.goto(f"{base}/e/{closed.slug}/results")
    shot(page, "results-public")
    expect(page.locator("details.step-log").first).to_be_visible()
    expect(page.locator("svg.money-chart .budget-line").first).to_be_attached()

    # a form's errors: the summary takes focus, its links move to the fields
    page.goto(f"{base}/staff/editions/new")
    page.get_by_role("button", name="Utwórz edycję").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    shot(page, "edition-new-error")
    link = summary.get_by_role("link").first
    target = link.get_attribute("href")
    link.click()
    expect(page.locator(target)).to_be_focused()
    page.goto(f"{base}/staff/editions/{slug}")
    page.get_by_role("button", name="Przedłuż głosowanie").click()
    expect(page.locator(".error-summary")).to_be_focused()
    shot(page, "extend-error")
    page.goto(f"{base}/staff/paper/{slug}")
    page.get_by_role("button", name="Zapisz kartę").click()
    expect(page.locator(".error-summary")).to_be_focused()
    shot(page, "paper-error")
    page.context.close()
