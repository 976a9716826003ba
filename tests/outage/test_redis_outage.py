"""Redis stops in the middle of voting (the private redis-server is killed; it comes back
empty, as a Redis without persistence does). While it is down residents get the 503 page
in Polish and English (the chosen language is in the session) with Retry-After, so does
a new visitor who posts a form (the form page itself renders: its token comes from the
signed cookie id, nothing stored); pages that need no
session still render, /healthz answers and /readyz does not. Every resident whose ballot
was stored gets the receipt (carried in the address when the session could not be
saved). Once Redis is back the app serves sessions again within seconds, no restart."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.outage.conftest import Services
from tests.outage.ledger import ledger_check
from tests.outage.residents import CSRF, Crowd, Resident
from tests.outage.services import wait_for

pytestmark = pytest.mark.postgres_only

RESIDENTS = 6
OUTAGE_SECONDS = 6.0
RECOVERY_BOUND = 5.0  # seconds from Redis answering to a resident's session working
UNAVAILABLE_PL = "Serwis do głosowania jest chwilowo niedostępny."
UNAVAILABLE_EN = "The voting service is briefly unavailable."


def _get(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=10, **kw)


def _session_works(app, slug: str) -> bool:
    """A new resident starts voting: a session is stored, and read back on the next
    request (its CSRF token and the acknowledged clause)."""
    resident = Resident(app.base_url, slug)
    try:
        return resident.clause() == "identity" and bool(resident._page("/identity"))
    except Exception:  # noqa: BLE001 - not yet
        return False
    finally:
        resident.close()


def test_a_redis_outage_answers_503_keeps_sessionless_pages_and_every_receipt(
    services: Services, capsys
):
    app = services.app
    edition = app.edition_create()
    slug = edition.slug
    with Crowd(app.base_url, slug, RESIDENTS) as crowd:
        wait_for(lambda: crowd.receipts_shown() >= 2, "ballots before the outage", 120)

        # A resident in the middle of the flow, whose next page needs the session.
        waiting = Resident(app.base_url, slug)
        waiting.clause()
        workers = sorted(app.worker_pids())
        services.redis.stop()
        stopped = time.monotonic()
        newcomer = httpx.Client(base_url=app.base_url, timeout=10)
        form_page = newcomer.get(f"/e/{slug}/vote")  # needs no store: a signed cookie only
        token = CSRF.search(form_page.text).group(1)
        during = {
            "identity": waiting.client.get(f"/e/{slug}/vote/identity"),
            "new visitor": newcomer.post(
                f"/e/{slug}/vote", data={"acknowledge": "yes", "csrf_token": token}
            ),
            "readyz": _get(app.url("/readyz")),
        }
        newcomer.close()
        sessionless = {
            path: _get(app.url(path))
            for path in ("/healthz", "/", f"/e/{slug}", f"/e/{slug}/projects", f"/e/{slug}/clause")
        }
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        services.redis.start()
        back = time.monotonic()
        wait_for(lambda: _session_works(app, slug), "sessions working again", 60)
        recovered_after = time.monotonic() - back
        ready = _get(app.url("/readyz"))
        assert sorted(app.worker_pids()) == workers  # recovered by itself: no worker restarted
        crowd.stop()
        crowd.finish(90)
    waiting.close()

    outage = [r for r in crowd.residents if r.answers["GET 503"] + r.answers["POST 503"]]
    report = {
        "outage_seconds": OUTAGE_SECONDS,
        "residents": len(crowd.residents),
        "residents_shown_503": len(outage),
        "recovery_seconds": round(recovered_after, 2),
        "answers": dict(sorted(crowd.answers().items())),
    }
    with capsys.disabled():
        print("\nredis outage:", json.dumps(report))

    assert form_page.status_code == 200, form_page.text[:300]
    for name in ("identity", "new visitor"):
        response = during[name]
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        assert response.headers["retry-after"] == "30"
        assert "set-cookie" not in response.headers  # the browser keeps its session id
        assert UNAVAILABLE_PL in response.text
        assert UNAVAILABLE_EN in response.text  # the chosen language is in the session
    assert during["readyz"].status_code == 503 and "redis" in during["readyz"].text
    assert during["readyz"].headers["retry-after"]
    for path, response in sessionless.items():
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert edition.name in sessionless[f"/e/{slug}"].text
    assert recovered_after < RECOVERY_BOUND, report
    assert ready.status_code == 200, ready.text
    assert outage, f"no resident met the outage: {report}"
    # every ballot stored has its receipt shown, none doubled or partial
    assert all(r.receipt for r in crowd.residents), (report, crowd.failures()[:10])
    ledger_check(app, edition.id, crowd.residents)
    assert not any(" 500" in answer for answer in crowd.answers()), report
    assert not crowd.failures(), crowd.failures()[:20]
