"""The resident's side in Chromium at 320 px and 1280 px (issue 14): every public page and
every step of the vote with its error states pass axe-core (WCAG 2.1 AA), scroll not
sideways, and are photographed into var/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.experience import DESK, PHONE, browser, check, new_page, unique_name

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
