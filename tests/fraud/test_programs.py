"""Ballots cast by programs that pace themselves like people: each from a home network of
its own, reading the pages first, taking a person's time over each step. Only their user
agent gives them away, and the "Not a web browser" kind fires for them and for nobody
else: not for the honest residents' browsers on phones, in apps and on old handsets. And
a session that loaded no page of the site (only failed guesses, the probes' and a load
test's addresses) counts as page-less."""

import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import insert, select

from tests.factories.staff import staff_client
from tests.fraud.conftest import scan, scenario_cast, town_edition
from tests.fraud.factories import cast_over_http
from tests.fraud.scenario import DESKTOP, Scenario, scenario_build
from tests.fraud.test_incremental import snapshot
from tests.fraud.test_scenario import flagged
from tests.verification.conftest import post_page
from tests.verification.test_evidence import BASIS, _package
from urna.core.db import utcnow
from urna.fraud import service
from urna.requestlog.models import RequestLog
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow  # the embedded default (SQLite) runs the scan too

BOTS = {  # user agent → the client the evidence names ("—": none was sent)
    "python-requests/2.31.0": "Python Requests",
    "curl/8.5.0": "curl",
    "Go-http-client/1.1": "Go-http-client",
    "okhttp/4.12.0": "okhttp",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.109 Safari/537.36": "HeadlessChrome",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "Googlebot",
    "": "—",
}
PEOPLE = [
    DESKTOP[0],
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.102 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/489.0.0.46.73;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 350.1.0.24.84 (iPhone15,2; iOS 18_0; pl_PL; pl; "
    "scale=3.00; 1179x2556; 639920398)",
    "Opera/9.80 (Android; Opera Mini/39.1.2254/191.256; U; pl) Presto/2.12.423 Version/12.16",
    "Mozilla/5.0 (Linux; U; Android 8.1.0; en-US; Redmi 5A Build/OPM1.171019.026) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
    "UCBrowser/13.4.0.1306 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Mobile; Nokia 8110 4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
]


def _residents(agents: list[str], network: str = "94.76") -> list:
    """One person per user agent, each on a /24 of their own, reading the pages first and
    taking a person's (each a different) time over the steps, days apart."""
    singles = [r for r in scenario_build(utcnow()).residents if r.group == "honest:single"]
    return [
        replace(
            template,
            group="attack:program" if agent in BOTS else "honest:browser",
            ip=f"{network}.{i}.10",
            user_agent=agent,
            gaps=[30 + 3 * i, 70 + 5 * i, 20 + 2 * i, 50 + 4 * i, 9 + i],
            browsing=True,
            at=utcnow() - timedelta(days=6, hours=-5 * i),
        )
        for i, (template, agent) in enumerate(zip(singles, agents, strict=False))
    ]


async def test_programs_fire_people_s_browsers_do_not(app, fraud_settings):
    edition = await town_edition(app)
    residents = _residents([*BOTS, *PEOPLE])
    scenario = Scenario(residents=residents, http=set(range(len(residents))))
    half = len(residents) // 2
    groups = await scenario_cast(app, edition, scenario, range(half))
    await scan(app, fraud_settings, edition, full=False)
    groups |= await scenario_cast(app, edition, scenario, range(half, len(residents)))
    await scan(app, fraud_settings, edition, full=False)
    ctx = app.state.ctx
    async with ctx.db() as session:
        incremental = await snapshot(session, edition.id)
    await scan(app, fraud_settings, edition)
    async with ctx.db() as session:
        assert await snapshot(session, edition.id) == incremental
        agents = dict((await session.execute(select(Ballot.id, Ballot.user_agent))).all())
        signals = [
            signal
            for case in await service.cases_list(session=session, edition_id=edition.id)
            for signal in (await service.case_get(session=session, case_id=case.id)).signals
        ]

    programs = {b for b, group in groups.items() if group == "attack:program"}
    assert len(programs) == len(BOTS)
    kinds = await flagged(app, edition.id)
    assert set(kinds) == programs  # paced like people: nothing else gives them away
    assert all(kinds[b] == {"program"} for b in programs)
    by_ballot = {b: s for s in signals for b in s.ballot_ids}
    for ballot_id in programs:
        signal = by_ballot[ballot_id]
        params = signal.evidence_data["params"]
        agent = agents[ballot_id] or ""
        assert params["client"] == BOTS[agent] and params["agent"] == (agent or "—")
        assert params["label"] == signal.key[len("bot:") :].split("|")[0]
        assert params["n"] == 1 and signal.score == 1.2

    [ballot_id] = [b for b in programs if agents[b] == "python-requests/2.31.0"]
    case_id = by_ballot[ballot_id].case_id
    url = f"/staff/verify/{edition.slug}"
    async with await staff_client(app, "verifier") as verifier:
        page = (await verifier.get(f"{url}/cases/{case_id}")).text
        assert "Program zamiast przeglądarki" in page
        assert "oddane przez program" in page and "python-requests/2.31.0" in page
        assert "Program zamiast przeglądarki" in (await verifier.get(url)).text
        response = await post_page(
            verifier,
            f"{url}/export",
            f"{url}/export",
            {**BASIS, "scope": "case", "case_id": case_id},
        )
    assert response.status_code == 200
    [exported] = json.loads(_package(response.content)["signals.json"])
    assert exported["kind"] == "program"
    assert exported["evidence"]["params"]["agent"] == "python-requests/2.31.0"


async def _log_add(app, ballot_id: int, urls: list[tuple[str, int]]) -> None:
    """Requests of the ballot's session before its cast (what the log of a load test's
    staging copy holds: the generator reads codes at ``/_loadtest/code``)."""
    async with app.state.ctx.db() as session:
        ballot = await session.get(Ballot, ballot_id)
        at = ballot.submitted_at - timedelta(seconds=5)
        rows = [
            {
                "request_id": f"{ballot_id:08d}{i:024d}",
                "arrived_at": at + timedelta(seconds=i),
                "responded_at": at + timedelta(seconds=i, milliseconds=5),
                "duration_us": 5000,
                "ip": ballot.ip,
                "method": "GET",
                "url": url,
                "status": status,
                "user_agent": ballot.user_agent,
                "session_hash": ballot.session_hash,
            }
            for i, (url, status) in enumerate(urls)
        ]
        await session.execute(insert(RequestLog), rows)
        await session.commit()


async def test_only_what_a_browser_loads_counts_as_a_page_view(app, fraud_settings):
    """Four sessions from two networks open the clause page (where a session starts) and
    then, before voting: on one network only guess addresses (404s) and ask the probes,
    the metrics and a load test's code; on the other load the style sheet, the icon and
    the projects' page, as a browser does. Only the first two are page-less."""
    edition = await town_edition(app)
    residents = [
        replace(r, ip=f"94.77.{i // 2}.{10 + i}", browsing=False)
        for i, r in enumerate(_residents([DESKTOP[0], DESKTOP[1]] * 2, "94.77"))
    ]
    guessing = ["/wp-login.php", f"/e/{edition.slug}/projects/999", "/healthz", "/readyz"]
    browsing = ["/static/css/urna.css", "/favicon.ico", f"/e/{edition.slug}/projects"]
    page_less: set[int] = set()
    for i, resident in enumerate(residents):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            headers = {"X-Forwarded-For": resident.ip, "User-Agent": resident.user_agent}
            for url in [f"/e/{edition.slug}/vote", *(guessing if i < 2 else browsing)]:
                await c.get(url, headers=headers)
            ballot_id = await cast_over_http(c, app, edition, resident)
        if i < 2:
            page_less.add(ballot_id)
            await _log_add(
                app, ballot_id, [("/_loadtest/code?to=%2B48500100200", 200), ("/metrics", 200)]
            )
    await scan(app, fraud_settings, edition)
    kinds = await flagged(app, edition.id)
    assert {b for b, found in kinds.items() if "no_page_views" in found} == page_less
