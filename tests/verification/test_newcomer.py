"""A new user's pass as the verification team over an edition nobody tried before
(``newcomer``): shared networks of honest residents, frauds in new shapes, the night
the clocks go back; scanned by ``urna fraud scan``, read and decided in the console."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories.editions import voting_close
from tests.factories.staff import csrf_of, staff_client
from tests.fraud.conftest import editions_drop, last_edition_id
from tests.fraud.test_cli import urna
from tests.verification.newcomer import case_of, newcomer_edition


@pytest.fixture(scope="module")
async def newcomer(app, settings):
    """(edition, ballot id → group, the scan's JSON) once per module."""
    before = await last_edition_id(app)
    edition, groups = await newcomer_edition(app)
    done = urna(settings, "fraud", "scan", "--edition", edition.slug, "--json")
    assert done.returncode == 0, done.stderr
    yield edition, groups, json.loads(done.stdout)
    await editions_drop(app, before)


async def test_signal_times_are_polish_time_with_zone_in_the_reader_s_language(app, newcomer):
    edition, groups, scan = newcomer
    # the mobile network's evenings span the night the clocks went back
    polish = "między 20.10.2026, 18:00 CEST a 27.10.2026, 21:46 CET"
    english = "between 20 Oct 2026, 18:00 CEST and 27 Oct 2026, 21:46 CET"
    [said] = [s["evidence"] for c in scan["cases"] for s in c["signals"] if s["kind"] == "ip"
              and "37.248.160.5" in s["evidence"]]  # fmt: skip
    assert polish in said  # the command's JSON, in the office's language
    url = f"/staff/verify/{edition.slug}/cases/{case_of(scan, groups, 'cgnat')}"
    night = f"/staff/verify/{edition.slug}/cases/{case_of(scan, groups, 'night')}"
    async with await staff_client(app, "verifier") as verifier:
        assert polish in (await verifier.get(url)).text
        await verifier.get("/staff/lang/en")
        assert english in (await verifier.get(url)).text
        # a burst's day as English writes it, not as the scan's language did
        assert "Ballots for project C3 on 28 Oct 2026" in (await verifier.get(night)).text


async def test_one_phone_rotating_its_ipv6_address_within_its_64_is_one_address(app, newcomer):
    edition, groups, scan = newcomer
    case_id = case_of(scan, groups, "ipv6")  # eight identities, one phone, one evening
    [case] = [c for c in scan["cases"] if c["id"] == case_id]
    kinds = {s["kind"] for s in case["signals"]}
    assert {"ip", "ip_browser", "choices"} <= kinds
    said = " ".join(s["evidence"] for s in case["signals"])
    assert "2a01:110f:4e2:7c00::/64: 8" in said


async def test_each_browser_at_one_address_is_named(newcomer):
    """The mobile carrier's four phones each have a signal of one browser at its address:
    each says which phone it is about, not four identical sentences."""
    _edition, groups, scan = newcomer
    [cgnat] = [c for c in scan["cases"] if c["id"] == case_of(scan, groups, "cgnat")]
    said = sorted(s["evidence"] for s in cgnat["signals"] if s["kind"] == "ip_browser")
    named = [re.search(r"przeglądarki \((.+?)\) pod adresem IP 37\.248\.160\.5", s) for s in said]
    assert sorted(m[1] for m in named if m) == [
        "Chrome 130 (Android 13, XiaoMi Redmi Note 12)",
        "Chrome 131 (Android 14, Pixel 8)",
        "Chrome 131 (Android 14, Samsung SM-A556B)",
        "Mobile Safari UI/WKWebView 18 (iOS 18.1, iPhone)",
    ]


async def test_frauds_rank_above_honest_shared_networks_and_the_case_says_why(app, newcomer):
    """The queue's order: one guardian for six infants, a bot rotating its browser string
    and a 3 a.m. burst of one choice set come before a university's NAT and a mobile
    operator's address, whose residents chose differently over many evenings (their
    busiest hours, one to four ballots, are no share of the edition's traffic)."""
    edition, groups, scan = newcomer
    rank = {groups[b["id"]]: i for i, case in enumerate(scan["cases"]) for b in case["ballots"]}
    honest = min(rank["campus"], rank["cgnat"])
    assert [g for g in ("guardian", "rotator", "night") if rank[g] > honest] == [], rank
    [cgnat] = [c for c in scan["cases"] if c["id"] == case_of(scan, groups, "cgnat")]
    [said] = [s["evidence"] for s in cgnat["signals"] if s["kind"] == "ip"]
    assert "najczęstszy zestaw wyborów ma 3 z tych 24 głosów" in said
    assert "W tej godzinie edycja miała łącznie głosów: 4" in said
    async with await staff_client(app, "verifier") as verifier:
        await verifier.get("/staff/lang/en")
        page = (await verifier.get(f"/staff/verify/{edition.slug}/cases/{cgnat['id']}")).text
    assert "Lower in the queue, as a network many people share" in page
    assert "the score counts 12% of its weight" in page


async def _decide(http, url: str, **decision: str):
    """Decide every ballot the case's page offers, as a verifier ticks them all."""
    page = (await http.get(url)).text
    ballots = re.findall(r'name="ballot" value="(\d+)"', page)
    form = {"ballot": ballots, "csrf_token": csrf_of(page), **decision}
    assert (await http.post(url + "/decide", data=form)).status_code == 303
    return ballots


async def test_decided_reversed_and_left_out_of_the_results(app, newcomer):
    """Runs last: it decides the module's cases."""
    edition, groups, scan = newcomer
    base = f"/staff/verify/{edition.slug}"
    bot = dict(verdict="invalid", reason="automated", note="Jeden komputer, wiele tożsamości")
    async with await staff_client(app, "verifier") as verifier:
        rotator = await _decide(verifier, f"{base}/cases/{case_of(scan, groups, 'rotator')}", **bot)
        await _decide(verifier, f"{base}/cases/{case_of(scan, groups, 'ipv6')}", **bot)
        ballot = (await verifier.get(f"{base}/ballots/{rotator[0]}")).text
        [decision] = re.findall(r"/decisions/(\d+)/reverse", ballot)
        reverse = {"note": "Mieszkaniec przyszedł osobiście", "csrf_token": csrf_of(ballot)}
        answer = await verifier.post(f"{base}/decisions/{decision}/reverse", data=reverse)
        assert answer.status_code == 303
        reopened = (await verifier.get(f"{base}?status=open")).text
    assert f"{base}/cases/{case_of(scan, groups, 'rotator')}" in reopened
    await voting_close(app, edition.id)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/editions/{edition.slug}/results")).text
        run = await admin.post(
            f"/staff/editions/{edition.slug}/results", data={"csrf_token": csrf_of(page)}
        )
        drafted = (await admin.get(run.headers["location"])).text
    left_out = len(rotator) - 1 + 8  # one of the bot's ballots reversed
    assert f"Policzone głosy: {len(groups) - left_out}." in drafted
    assert f"głosy unieważnione po weryfikacji: {left_out};" in drafted
