"""Every page of the app in Chromium at 320 px and 1280 px (issue 14): the GET routes are
enumerated from ``app.routes`` (the same list ``urna.staff.matrix`` guards), their path
parameters filled from data seeded for the purpose (an edition in each phase, a resident's
ballot, its fraud case, a data-subject request, paper sheets waiting for a second entry and
in conflict, results computed and published, a staff account), and each page checked as
``tests/e2e/experience.check`` does: axe-core WCAG 2.1 AA with no violation, no sideways
scroll, a screenshot in ``var/screenshots/``. The error summaries of the console's and
``/my-data``'s forms are submitted empty: the summary takes focus, its link moves focus to
the field, the field names its error with ``aria-describedby``.

The test fails when a route is neither visited nor in :data:`EXCLUDED` (with its reason),
and when fewer pages than :data:`MIN_PAGES` were seen: it cannot pass by visiting nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.experience import DESK, PHONE, browser, check, new_page, unique_name
from tests.e2e.test_browser import confirm_code, fill_identity, project_box, start_vote
from tests.factories.fraud import fraud_case_add
from tests.factories.results import result_run_add
from tests.factories.voting import ballot_of_receipt, person
from tests.live import LiveServer, run_sync
from tests.staff.test_browser_login import log_in_with_password, staff_account
from tests.world import edition_for, fill, phase_dates, routes
from urna.core.db import utcnow
from urna.core.i18n import LOCAL_ZONE
from urna.demo.seed import site_documents_ensure
from urna.main import create_app

pytestmark = pytest.mark.flow
__all__ = ["browser"]

# Routes that answer with no page of their own, each with the reason.
EXCLUDED = {
    "/static": "the static files mount (CSS, JavaScript, images)",
    "/healthz": "plain text for the load balancer",
    "/readyz": "plain text for the load balancer",
    "/favicon.ico": "an icon file",
    "/lang/{code}": "switches the language and sends the visitor back (303)",
    "/staff/lang/{code}": "switches the language and sends the staff member back (303)",
    "/e/{slug}/projects/{number}/images/{image_id}": "a picture file (WebP)",
    "/e/{slug}/results.csv": "a download (CSV)",
    "/e/{slug}/results.json": "a download (JSON)",
    "/e/{slug}/results.pb": "a download (Pabulib open data)",
    "/e/{slug}/results/files/{sha256}": "a download (an open-data file by its hash)",
    "/openapi.json": "a JSON document for tools (absent in production)",
    "/my-data.json": "a download (the resident's data as JSON)",
    "/staff/logs/export.csv": "a download (CSV)",
}
MIN_ROUTES = 60  # GET routes the app had when this was written (70)
MIN_PAGES = 65  # distinct pages (route × state) visited per width


def get_routes() -> set[str]:
    """The path templates of the app's GET routes."""
    return {path for _, path in routes(create_app(), {"GET"})}


@dataclass
class Tour:
    """The pages one width has seen: route templates and the screenshots' steps."""

    page: Page
    base: str
    width: int
    routes: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def seen(self, route: str, step: str) -> None:
        """The page now shown is ``route``: check it and count it. A page that fails the
        checks is noted and the tour goes on, so one run lists every failing page."""
        try:
            check(self.page, step, test="every")
        except AssertionError as error:
            self.problems.append(str(error))
        self.routes.add(route)
        self.steps.append(step)

    def visit(self, route: str, step: str, path: str = "", status: int = 200, **params) -> None:
        """Open ``path``, by default ``route`` filled with ``params``; it must answer
        ``status`` itself."""
        path = path or fill(route, params)
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == status, (
            path,
            response and response.status,
        )
        assert self.page.url.split("?")[0] == (self.base + path).split("?")[0], (
            path,
            self.page.url,
        )
        self.seen(route, step)

    def refused(self, route: str, step: str, button: str, field_id: str,
                described_by: str | None = None, url: str = "") -> None:  # fmt: skip
        """The form (at ``url``, or on the page shown) sent with button ``button`` is
        refused: its summary leads to ``field_id``; the page is checked."""
        if url:
            self.page.goto(self.base + url)
        self.page.get_by_role("button", name=button, exact=True).click()
        self.summary_leads_to(field_id, described_by)
        self.seen(route, step)

    def summary_leads_to(self, field_id: str, described_by: str | None = None) -> None:
        """The error summary has focus; its link to ``field_id`` moves focus there."""
        summary = self.page.locator(".error-summary")
        expect(summary).to_be_focused()
        summary.locator(f'a[href="#{field_id}"]').click()
        expect(self.page.locator(f"#{field_id}")).to_be_focused()
        if described_by:
            expect(self.page.locator(f"#{field_id}")).to_have_attribute(
                "aria-describedby", re.compile(re.escape(described_by))
            )


# ---- seeded data ----------------------------------------------------------------------


def _csrf(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def _today() -> str:
    return utcnow().astimezone(LOCAL_ZONE).date().isoformat()


@dataclass
class World:
    """Editions in each phase and a second admin who types the first entries of sheets."""

    live: LiveServer
    open_slug: str
    upcoming_slug: str
    closed_slug: str
    draft_run: int
    published_run: int
    operator: Page  # the other admin's page (logged in)

    def slug_for(self, route: str) -> str:
        """The edition ``route`` is shown on unless a step names another."""
        return edition_for(
            route, upcoming=self.upcoming_slug, opened=self.open_slug, closed=self.closed_slug
        )

    def first_entries(self, sheets: list[str]) -> None:
        """The other admin types ``sheets`` once, with double entry (waiting for a second)."""
        page = self.operator
        page.goto(f"{self.live.base_url}/staff/paper/{self.open_slug}")
        project = page.locator("input[name=project]").first.get_attribute("value")
        who = person(street="ul. Lipowa", birth_date="1980-02-02")
        for sheet in sheets:
            form = {
                "csrf_token": _csrf(page),
                "sheet": sheet,
                "collection_point": POINT,
                "collected_on": _today(),
                "double_entry": "1",
                "first_name": who["first_name"],
                "last_name": who["last_name"],
                "street": who["street"],
                "house_number": who["house_number"],
                "birth_date": who["birth_date"],
                "project": project,
            }
            response = page.request.post(
                f"{self.live.base_url}/staff/paper/{self.open_slug}", form=form, max_redirects=0
            )
            assert response.status == 303, re.findall(
                r'class="error"[^>]*>([^<]*)', response.text()
            )


POINT = "Urząd Gminy, pok. 12"


def _log_in(browser: Browser, live: LiveServer, width: int) -> tuple[Page, str]:
    email, password, secret = staff_account(live, "admin")
    page = new_page(browser, width)
    log_in_with_password(page, live.base_url, email, password)
    page.get_by_label("Kod 6-cyfrowy").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{live.base_url}/staff")
    return page, email


async def _site_documents(live: LiveServer) -> None:
    """The privacy policy and accessibility statement, as the demo publishes them."""

    async def work(session) -> None:
        await site_documents_ensure(session=session)
        await session.commit()

    await live._with_db(work)


@pytest.fixture(scope="module")
def world(live_server: LiveServer, browser: Browser):
    run_sync(_site_documents, live_server)
    opened = live_server.edition_create(name=unique_name())
    upcoming = live_server.edition_create(name=unique_name(), **phase_dates("upcoming"))
    closed = live_server.edition_create(name=unique_name(), **phase_dates("closed"))
    published, draft = run_sync(_results, live_server, closed.id)
    page, _ = _log_in(browser, live_server, DESK)
    # the office's collection point
    page.goto(f"{live_server.base_url}/staff/paper/{opened.slug}/points")
    page.fill("#f-name", POINT)
    page.get_by_role("button", name="Dodaj punkt").click()
    expect(page.locator("#points")).to_contain_text(POINT)
    yield World(live_server, opened.slug, upcoming.slug, closed.slug, draft, published, page)
    page.context.close()


async def _results(live: LiveServer, edition_id: int) -> tuple[int, int]:
    """The results of ``edition_id``: a published run and a draft computed after it."""

    async def work(session) -> tuple[int, int]:
        published = await result_run_add(session, edition_id, publish=True)
        draft = await result_run_add(session, edition_id, publish=False)
        await session.commit()
        return published, draft

    return await live._with_db(work)


async def _ballot_and_case(live: LiveServer, receipt: str) -> tuple[int, int]:
    """The ballot behind ``receipt`` and a fraud case holding it, as the scan stores one."""

    async def work(session) -> tuple[int, int]:
        ballot = await ballot_of_receipt(session, live.crypto, receipt)
        case_id = await fraud_case_add(
            session, edition_id=ballot.edition_id, ballot_ids=[ballot.id], ip="192.0.2.1"
        )
        await session.commit()
        return ballot.id, case_id

    return await live._with_db(work)


# ---- the tour -------------------------------------------------------------------------


def _resident(tour: Tour, world: World) -> str:
    """The public pages, the vote step by step and /my-data with its errors; a request is
    filed. Returns the receipt code."""
    page, slug = tour.page, world.open_slug
    for route, step, params in [
        ("/", "home", {}),
        ("/e/{slug}", "edition-open", {}),
        ("/e/{slug}", "edition-upcoming", {"slug": world.upcoming_slug}),
        ("/e/{slug}", "edition-closed", {"slug": world.closed_slug}),
        ("/e/{slug}/projects", "catalogue", {}),
        ("/e/{slug}/projects/{number}", "project", {"number": "N1"}),
        ("/e/{slug}/clause", "clause", {}),
        ("/e/{slug}/results", "results-public", {}),
        ("/privacy", "privacy", {}),
        ("/privacy/logging", "privacy-logging", {}),
        ("/accessibility", "accessibility", {}),
        ("/receipt", "receipt-check", {}),
        ("/e/{slug}/vote", "vote-clause", {}),
    ]:
        tour.visit(route, step, **({"slug": world.slug_for(route)} | params))

    who = person(street="ul. Lipowa", birth_date="1985-03-14")
    start_vote(page, tour.base, slug)
    tour.seen("/e/{slug}/vote/identity", "vote-identity")
    fill_identity(page, who)
    page.get_by_role("button", name="Dalej").click()
    expect(page).to_have_url(f"{tour.base}/e/{slug}/vote/code")
    tour.seen("/e/{slug}/vote/code", "vote-code")
    confirm_code(page, world.live, slug, who["phone"])
    tour.seen("/e/{slug}/vote/choices", "vote-choices")
    project_box(page, "Ławki na Lipowej").check()
    page.get_by_role("button", name="Przejdź do podsumowania").click()
    expect(page).to_have_url(f"{tour.base}/e/{slug}/vote/review")
    tour.seen("/e/{slug}/vote/review", "vote-review")
    page.get_by_role("button", name="Oddaję głos").click()
    expect(page).to_have_url(re.compile(rf"/e/{slug}/vote/receipt(\?|$)"))
    receipt = page.locator("#receipt-code").inner_text().strip()
    tour.seen("/e/{slug}/vote/receipt", "vote-receipt")

    # /my-data: each form refused empty first
    tour.visit("/my-data", "my-data")
    tour.refused("/my-data", "my-data-error", "Wyślij kod", "f-code", "code-error")
    page.fill("#f-code", receipt)
    page.get_by_role("button", name="Wyślij kod").click()
    expect(page).to_have_url(f"{tour.base}/my-data/code")
    tour.seen("/my-data/code", "my-data-code")
    tour.refused("/my-data/code", "my-data-code-error", "Potwierdź", "f-code", "code-error")
    page.fill("#f-code", world.live.latest_code(who["phone"]))
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{tour.base}/my-data")
    tour.seen("/my-data", "my-data-report")
    # a rectification without its details
    tour.refused("/my-data", "my-data-request-error", "Złóż wniosek", "f-text", "text-error")
    page.fill("#f-text", "Proszę poprawić numer domu na 12A.")
    page.get_by_role("button", name="Złóż wniosek").click()
    expect(page.locator("section.data-request")).to_have_count(1)
    return receipt


def _console(tour: Tour, world: World, receipt: str) -> None:
    page, base = tour.page, tour.base
    slug, new = world.open_slug, world.upcoming_slug
    ballot_id, case_id = run_sync(_ballot_and_case, world.live, receipt)
    sheet = f"W{tour.width}-1"
    world.first_entries([sheet])

    ids = {"case_id": case_id, "ballot_id": ballot_id, "number": "N1"}
    for route, step, params in [
        ("/staff", "start", {}),
        ("/staff/account", "account", {}),
        ("/staff/users", "users", {}),
        ("/staff/audit", "audit", {}),
        ("/staff/documents", "site-documents", {}),
        ("/staff/documents/{document}", "site-document", {"document": "policy"}),
        ("/staff/stats", "stats", {}),
        ("/staff/editions", "editions", {}),
        ("/staff/editions/new", "edition-new", {}),
        ("/staff/editions/{slug}", "edition-open", {"slug": slug}),
        ("/staff/editions/{slug}", "edition-upcoming", {}),
        ("/staff/editions/{slug}/pools", "pools", {}),
        ("/staff/editions/{slug}/projects", "projects", {}),
        ("/staff/editions/{slug}/projects/{number}", "project", {}),
        ("/staff/editions/{slug}/streets", "streets", {}),
        ("/staff/editions/{slug}/clause", "clause", {}),
        ("/staff/editions/{slug}/import/{kind}", "import-projects", {"kind": "projects"}),
        ("/staff/editions/{slug}/import/{kind}", "import-streets", {"kind": "streets"}),
        ("/staff/editions/{slug}/results", "results", {}),
        ("/staff/editions/{slug}/results/{run_id}", "results-published",
         {"run_id": world.published_run}),
        ("/staff/editions/{slug}/results/{run_id}", "results-draft",
         {"run_id": world.draft_run}),
        ("/staff/paper", "paper-editions", {}),
        ("/staff/paper/{slug}", "paper", {}),
        ("/staff/paper/{slug}/points", "paper-points", {}),
        ("/staff/paper/{slug}/invalid", "paper-invalid", {}),
        ("/staff/paper/{slug}/second", "paper-second", {}),
        ("/staff/privacy/requests", "privacy-requests", {}),
        ("/staff/verify", "verify", {}),
        ("/staff/verify/{slug}", "verify-cases", {}),
        ("/staff/verify/{slug}/find", "verify-find", {}),
        ("/staff/verify/{slug}/turnout", "verify-turnout", {}),
        ("/staff/verify/{slug}/export", "verify-export", {}),
        ("/staff/verify/{slug}/cases/{case_id}", "case", {}),
        ("/staff/verify/{slug}/ballots/{ballot_id}", "ballot", {}),
        ("/staff/logs/ballot/{ballot_id}", "logs-ballot", {}),
        ("/staff/fraud/allow", "fraud-allow", {}),
    ]:  # fmt: skip
        tour.visit(route, step, **(ids | {"slug": world.slug_for(route)} | params))

    # detail pages reached through their lists' links
    for route, listing, link, step in [
        ("/staff/editions/{slug}/pools/{pool_id}", f"/staff/editions/{new}/pools",
         f'a[href^="/staff/editions/{new}/pools/"]', "pool"),
        ("/staff/users/{user_id}", "/staff/users", 'table a[href^="/staff/users/"]', "user"),
        ("/staff/privacy/requests/{request_id}", "/staff/privacy/requests",
         'a[href^="/staff/privacy/requests/"]', "privacy-request"),
    ]:  # fmt: skip
        page.goto(base + listing)
        href = page.locator(link).last.get_attribute("href")
        tour.visit(route, step, href)

    # the request logs, until the resident's session has reached them (batched writer)
    for _ in range(20):
        tour.page.goto(f"{base}/staff/logs?path=/e/{slug}/vote/cast")
        session_links = page.locator('a[href^="/staff/logs/session/"]')
        if session_links.count():
            break
        page.wait_for_timeout(500)
    tour.seen("/staff/logs", "logs")
    tour.visit("/staff/logs/session/{session_hash}", "logs-session",
               session_links.first.get_attribute("href"))  # fmt: skip

    # paper: the second entry refused empty, then typed differently (the entries differ);
    # the resolution refused empty
    page.goto(f"{base}/staff/paper/{slug}/second")
    href = page.locator("#sheets tr", has_text=sheet).locator("a").first.get_attribute("href")
    tour.visit("/staff/paper/{slug}/second/{entry_id}", "paper-second-entry", href)
    tour.refused("/staff/paper/{slug}/second/{entry_id}", "paper-second-entry-error",
                 "Zapisz kartę", "f-first_name", "first_name-error")  # fmt: skip
    who = person(street="ul. Łąkowa", birth_date="1970-07-07")
    for name in ("first_name", "last_name", "street", "house_number", "birth_date"):
        page.fill(f"#f-{name}", who[name])
    page.locator("input[name=project]").first.check()
    page.get_by_role("button", name="Zapisz kartę").click()
    page.goto(f"{base}/staff/paper/{slug}/mismatches")
    tour.seen("/staff/paper/{slug}/mismatches", "paper-mismatches")
    href = page.locator("#sheets tr", has_text=sheet).locator("a").first.get_attribute("href")
    tour.visit("/staff/paper/{slug}/mismatches/{entry_id}", "paper-mismatch", href)
    tour.refused("/staff/paper/{slug}/mismatches/{entry_id}", "paper-mismatch-error",
                 "Zapisz kartę", "f-first_name", "first_name-error")  # fmt: skip
    # the same sheet recorded invalid after all: the form refused without its reason
    page.goto(f"{base}/staff/paper/{slug}/mismatches")
    void = page.locator("#sheets tr", has_text=sheet).locator('a[href*="/void/"]')
    tour.visit("/staff/paper/{slug}/void/{entry_id}", "paper-void", void.get_attribute("href"))
    tour.refused("/staff/paper/{slug}/void/{entry_id}", "paper-void-error",
                 "Zapisz nieważną kartę", "f-reason", "reason-error")  # fmt: skip
    # the sheet looked up to withdraw: its entries still differ, the page says why not
    tour.visit("/staff/paper/{slug}/withdraw", "paper-withdraw",
               f"/staff/paper/{slug}/withdraw?sheet={sheet}")  # fmt: skip
    # a collection point of the list: renamed to nothing, refused
    page.goto(f"{base}/staff/paper/{slug}/points")
    href = page.locator("#points a").first.get_attribute("href")
    tour.visit("/staff/paper/{slug}/points/{point_id}", "paper-point", href)
    page.fill("#f-name", "")
    tour.refused("/staff/paper/{slug}/points/{point_id}", "paper-point-error",
                 "Zmień nazwę punktu", "f-name", "name-error")  # fmt: skip


def _console_errors(tour: Tour, world: World) -> None:
    """Each console form refused: the summary has focus and leads to the field."""
    page, base, slug = tour.page, tour.base, world.open_slug
    # verification: a case's and a ballot's decision, unmasking, the evidence export
    page.goto(f"{base}/staff/verify/{slug}")
    page.locator(f'a[href^="/staff/verify/{slug}/cases/"]').first.click()
    case_url = page.url
    page.get_by_role("button", name="Zapisz decyzję").click()
    tour.summary_leads_to("case-verdict-valid")
    expect(page.locator("fieldset", has=page.locator("#case-verdict-valid"))).to_have_attribute(
        "aria-describedby", "verdict-error"
    )
    tour.seen("/staff/verify/{slug}/cases/{case_id}", "case-error")
    page.locator("#case-verdict-invalid").check()
    page.get_by_role("button", name="Zapisz decyzję").click()
    tour.summary_leads_to("case-reason", "reason-error")
    expect(page.locator("#case-note")).to_have_attribute("aria-describedby", "note-error")
    tour.seen("/staff/verify/{slug}/cases/{case_id}", "case-error-invalid")
    page.goto(case_url)
    page.locator("#ballots a").first.click()
    page.get_by_role("button", name="Odkryj tożsamość").click()
    tour.summary_leads_to("f-unmask", "unmask-error")
    expect(page.locator("#ballot-reason")).not_to_have_attribute("aria-invalid", "true")
    tour.seen("/staff/verify/{slug}/ballots/{ballot_id}", "ballot-unmask-error")
    page.locator("#decide").get_by_role("button", name="Zapisz decyzję").click()
    tour.summary_leads_to("ballot-verdict-valid")
    tour.seen("/staff/verify/{slug}/ballots/{ballot_id}", "ballot-decide-error")
    page.goto(f"{base}/staff/verify/{slug}/export")
    page.locator("form[method=post] button[type=submit]").last.click()
    expect(page.locator(".error-summary")).to_be_focused()
    tour.seen("/staff/verify/{slug}/export", "verify-export-error")

    # the privacy console's answer: "done" needs an answer
    page.goto(f"{base}/staff/privacy/requests")
    page.goto(base + page.locator('a[href^="/staff/privacy/requests/"]').last.get_attribute("href"))
    page.select_option("#f-state", "done")
    page.fill("#f-answer", "")
    page.get_by_role("button", name="Zapisz").click()
    tour.summary_leads_to("f-answer", "answer-error")
    tour.seen("/staff/privacy/requests/{request_id}", "privacy-request-error")

    # staff accounts: a new account and a role change without a reason
    page.goto(f"{base}/staff/users")
    page.locator("form[action='/staff/users'] button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_focused()
    tour.seen("/staff/users", "users-error")
    page.goto(base + page.locator('table a[href^="/staff/users/"]').last.get_attribute("href"))
    tour.refused("/staff/users/{user_id}", "user-error", "Zmień rolę", "role-reason",
                 "role-reason-error")  # fmt: skip
    tour.refused("/staff/account", "account-error", "Zmień hasło", "f-current_password",
                 "current_password-error", url="/staff/account")  # fmt: skip

    # filters: the audit log's and the request logs' dates, a network
    tour.visit("/staff/audit", "audit-error", "/staff/audit?since=jutro")
    tour.summary_leads_to("f-since", "since-error")
    tour.visit("/staff/logs", "logs-error", "/staff/logs?ip=nie-adres", status=400)
    tour.summary_leads_to("f-ip")
    tour.refused("/staff/fraud/allow", "fraud-allow-error", "Dodaj do listy", "f-cidr",
                 "cidr-error", url="/staff/fraud/allow")  # fmt: skip

    # results: publishing unconfirmed
    tour.refused("/staff/editions/{slug}/results/{run_id}", "results-publish-error",
                 "Opublikuj te wyniki", "f-confirm", "confirm-error",
                 url=f"/staff/editions/{world.closed_slug}/results/{world.draft_run}")  # fmt: skip


@pytest.mark.parametrize("width", [PHONE, DESK])
def test_every_page_at_both_widths(live_server, browser: Browser, world: World, width: int):
    routes = get_routes()
    assert len(routes) >= MIN_ROUTES, sorted(routes)
    assert set(EXCLUDED) <= routes, set(EXCLUDED) - routes  # no stale exclusion

    resident = Tour(new_page(browser, width), live_server.base_url, width)
    receipt = _resident(resident, world)
    resident.page.context.close()

    email, password, secret = staff_account(live_server, "admin")
    tour = Tour(new_page(browser, width), live_server.base_url, width, routes=resident.routes,
                steps=resident.steps, problems=resident.problems)  # fmt: skip
    page = tour.page
    tour.visit("/staff/login", "login")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(password)
    page.get_by_role("button", name="Zaloguj").click()
    expect(page).to_have_url(f"{tour.base}/staff/login/code")
    tour.seen("/staff/login/code", "login-code")  # the first login: the second factor set up
    page.get_by_label("Kod 6-cyfrowy").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Potwierdź").click()
    expect(page).to_have_url(f"{tour.base}/staff")
    _console(tour, world, receipt)
    _console_errors(tour, world)
    tour.page.context.close()

    assert not tour.problems, "\n".join(tour.problems)
    missed = routes - set(EXCLUDED) - tour.routes
    assert not missed, f"routes neither visited nor excluded: {sorted(missed)}"
    assert len(tour.steps) >= MIN_PAGES, len(tour.steps)
    print(f"\n{width} px: {len(tour.routes)} routes, {len(tour.steps)} pages checked")
