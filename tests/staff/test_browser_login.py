"""Staff login in a real browser (Debian's Chromium, Playwright's sync API) against the
app in its own uvicorn process: the TOTP QR enrolment at the first login, codes computed
with pyotp as an authenticator app would, the Strict session cookie, logout."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.factories.staff import unique_email
from tests.live import LiveServer, run_sync
from urna.core.db import create_engine, session_factory, transaction
from urna.staff import service
from urna.staff.schemas import StaffCreateIn

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium.", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="pl-PL", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def staff_account(server: LiveServer, role: str) -> tuple[str, str, str]:
    async def work():
        engine = create_engine(server.database_url, pool_size=2)
        try:
            data = StaffCreateIn(
                email=unique_email("e2e"), name="Anna Urzędniczka", role=role, reason="browser test"
            )
            async with transaction(session_factory(engine)) as session:
                user, password, secret = await service.staff_create(
                    session=session, crypto=server.crypto, data=data, actor_id=None
                )
                return user.email, password, secret
        finally:
            await engine.dispose()

    return run_sync(work)


def log_in_with_password(
    page: Page, base_url: str, email: str, password: str, start: str = "/staff"
) -> None:
    page.goto(base_url + start)
    expect(page).to_have_url(re.compile(r"/staff/login\?next=" + re.escape(quote(start, safe=""))))
    expect(page.get_by_role("heading", name="Logowanie pracowników")).to_be_visible()
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(password)
    page.get_by_role("button", name="Zaloguj").click()
    expect(page).to_have_url(f"{base_url}/staff/login/code")


def test_totp_enrolment_login_and_logout_in_chromium(live_server: LiveServer, page: Page):
    base = live_server.base_url
    email, password, secret = staff_account(live_server, "admin")
    totp = pyotp.TOTP(secret)

    log_in_with_password(page, base, email, password)
    expect(page.get_by_role("heading", name="Skonfiguruj drugi składnik logowania")).to_be_visible()
    qr = page.locator("#totp-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    assert page.eval_on_selector("#totp-qr", "img => img.naturalWidth") > 100  # CSP lets it draw
    expect(page.locator("#totp-secret")).to_have_text(secret)

    page.get_by_label("Kod 6-cyfrowy").fill(f"{(int(totp.now()) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.locator("#code-error")).to_contain_text("Kod jest nieprawidłowy")

    page.get_by_label("Kod 6-cyfrowy").fill(totp.now())
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{base}/staff")
    expect(page.locator("#role")).to_have_text("Biuro BO (administrator)")

    cookies = {c["name"]: c for c in page.context.cookies()}
    staff_cookie = cookies["urna_staff"]
    assert staff_cookie["sameSite"] == "Strict" and staff_cookie["httpOnly"]
    assert staff_cookie["path"] == "/staff" and staff_cookie["expires"] == -1

    page.get_by_role("button", name="Wyloguj").click()
    expect(page).to_have_url(f"{base}/staff/login")

    # the next login asks for a code only (no QR any more); the used code is spent, so
    # the app's next code is the one that opens it
    log_in_with_password(page, base, email, password, start="/staff/users")
    expect(page.locator("#totp-qr")).to_have_count(0)
    page.get_by_label("Kod 6-cyfrowy").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{base}/staff/users")
    expect(page.get_by_role("heading", name="Konta pracowników")).to_be_visible()
