"""PostgreSQL stops in the middle of voting (the private cluster, ``pg_ctl stop -m fast``:
every connection of the app's pools is cut) and starts again. While it is down pages
answer 503 with Retry-After, never 500, /healthz answers and /readyz does not; every
request gets an answer (no request hangs); once it is back the app answers within
seconds on new connections, and no dead pooled connection leaks a 500 afterwards."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.outage.conftest import Services
from tests.outage.ledger import ledger_check
from tests.outage.residents import Crowd
from tests.outage.services import wait_for

pytestmark = pytest.mark.postgres_only

RESIDENTS = 6
OUTAGE_SECONDS = 6.0
RECOVERY_BOUND = 5.0  # seconds from PostgreSQL accepting connections to pages answering
UNAVAILABLE_PL = "Serwis do głosowania jest chwilowo niedostępny."
UNAVAILABLE_EN = "The voting service is briefly unavailable."
TRANSPORT = ("ConnectError", "ReadError", "ReadTimeout", "RemoteProtocolError", "Timeout")


def _get(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=15, **kw)


def _recovery(app, path: str, since: float) -> tuple[float, list[tuple]]:
    """Seconds from ``since`` until ``path`` answers 200, and every answer till then:
    (seconds sent after ``since``, status or error, seconds it took)."""
    trace: list[tuple] = []
    while time.monotonic() - since < 60:
        sent = time.monotonic()
        try:
            status: int | str = _get(app.url(path)).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        trace.append((round(sent - since, 2), status, round(time.monotonic() - sent, 2)))
        if status == 200:
            return time.monotonic() - since, trace
        time.sleep(0.05)
    raise AssertionError(f"{path} did not answer 200 within 60 s: {trace}")


def test_a_postgres_outage_answers_503_every_request_and_recovers_without_500(
    services: Services, capsys
):
    app = services.app
    edition = app.edition_create()
    slug = edition.slug
    pages = ["/", f"/e/{slug}", f"/e/{slug}/projects", f"/e/{slug}/vote"]
    with Crowd(app.base_url, slug, RESIDENTS) as crowd:
        wait_for(lambda: crowd.receipts_shown() >= 2, "ballots before the outage", 120)

        english = httpx.Client(base_url=app.base_url, timeout=15)
        assert english.get("/lang/en").status_code == 303  # the language is in the session
        workers = sorted(app.worker_pids())
        services.postgres.stop("fast")
        stopped = time.monotonic()
        during = {path: _get(app.url(path)) for path in pages}
        in_english = english.get(f"/e/{slug}")
        english.close()
        live, ready_during = _get(app.url("/healthz")), _get(app.url("/readyz"))
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        services.postgres.start()  # returns once it accepts connections
        back = time.monotonic()
        recovered_after, trace = _recovery(app, f"/e/{slug}", back)
        # Every worker's pool held connections the stop cut: none may surface as a 500.
        after = [_get(app.url(path)) for _ in range(8) for path in pages]
        ready = _get(app.url("/readyz"))
        assert sorted(app.worker_pids()) == workers  # recovered by itself: no worker restarted
        crowd.stop()
        crowd.finish(90)

    answers = crowd.answers()
    report = {
        "outage_seconds": OUTAGE_SECONDS,
        "residents": len(crowd.residents),
        "residents_shown_503": sum(
            1 for r in crowd.residents if r.answers["GET 503"] + r.answers["POST 503"]
        ),
        "recovery_seconds": round(recovered_after, 2),
        "recovery_trace": trace[-12:],
        "answers": dict(sorted(answers.items())),
    }
    with capsys.disabled():
        print("\npostgres outage:", json.dumps(report))

    for path, response in during.items():
        assert response.status_code == 503, (path, response.status_code, response.text[:300])
        assert response.headers["retry-after"] == "30"
        assert UNAVAILABLE_PL in response.text
    assert in_english.status_code == 503 and UNAVAILABLE_EN in in_english.text
    assert UNAVAILABLE_PL not in in_english.text
    assert live.status_code == 200
    assert ready_during.status_code == 503 and "database" in ready_during.text
    assert recovered_after < RECOVERY_BOUND, report
    assert [r.status_code for r in after] == [200] * len(after)
    assert ready.status_code == 200, ready.text
    # every request of every resident was answered, and never with a 500
    assert not [a for a in answers if a.endswith(TRANSPORT)], report
    assert not any(" 500" in answer for answer in answers), (report, app.log_tail())
    assert report["residents_shown_503"], f"no resident met the outage: {report}"
    assert all(r.receipt for r in crowd.residents), (report, crowd.failures()[:10])
    ledger_check(app, edition.id, crowd.residents)
    assert not crowd.failures(), crowd.failures()[:20]
