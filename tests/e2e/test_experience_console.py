"""The clerk's side in Chromium at 320 px and 1280 px (issue 14): every console page and
a form's error state pass axe-core (WCAG 2.1 AA), scroll not sideways (tables become
stacked rows, wide ones scroll in a region reachable by keyboard), and are photographed
into var/screenshots/."""

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


def upcoming(live_server):
    now = utcnow()
    return live_server.edition_create(
        name=unique_name(),
        voting_opens_at=(now + timedelta(days=5)).isoformat(),
        voting_closes_at=(now + timedelta(days=10)).isoformat(),
        results_at=(now + timedelta(days=20)).isoformat(),
    )


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_every_console_page_fits_and_passes_axe(live_server, browser: Browser, width: int):
    base = live_server.base_url
    open_edition = live_server.edition_create(name=unique_name())
    setup = upcoming(live_server)
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

    slug, new = open_edition.slug, setup.slug
    pages = {
        "start": "/staff",
        "account": "/staff/account",
        "users": "/staff/users",
        "audit": "/staff/audit",
        "logs": "/staff/logs",
        "stats": "/staff/stats",
        "editions": "/staff/editions",
        "edition-new": "/staff/editions/new",
        "edition-open": f"/staff/editions/{slug}",
        "edition-upcoming": f"/staff/editions/{new}",
        "pools": f"/staff/editions/{new}/pools",
        "projects": f"/staff/editions/{new}/projects",
        "project": f"/staff/editions/{new}/projects/N1",
        "streets": f"/staff/editions/{new}/streets",
        "clause": f"/staff/editions/{new}/clause",
        "import": f"/staff/editions/{new}/import/projects",
        "results": f"/staff/editions/{slug}/results",
        "paper-editions": "/staff/paper",
        "paper": f"/staff/paper/{slug}",
        "paper-points": f"/staff/paper/{slug}/points",
        "paper-invalid": f"/staff/paper/{slug}/invalid",
        "paper-second": f"/staff/paper/{slug}/second",
        "paper-mismatches": f"/staff/paper/{slug}/mismatches",
        "privacy-requests": "/staff/privacy/requests",
        "verify": "/staff/verify",
        "verify-edition": f"/staff/verify/{slug}",
        "verify-find": f"/staff/verify/{slug}/find",
        "fraud-allow": "/staff/fraud/allow",
    }
    for step, path in pages.items():
        page.goto(base + path)
        shot(page, step)
    page.goto(f"{base}/staff/editions/{new}/pools")
    page.locator(f'a[href^="/staff/editions/{new}/pools/"]').first.click()
    shot(page, "pool")
    page.goto(f"{base}/staff/users")
    page.locator("table a").first.click()
    shot(page, "user")

    # results: a draft, then published (no draw form any more), then the public page
    page.goto(f"{base}/staff/editions/{closed.slug}/results")
    page.get_by_role("button", name="Oblicz wyniki").click()
    shot(page, "results-draft")
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
