"""``urna fraud``: the JSON contract of the scan, clean errors, the allow-list; English, as
every ``urna`` command speaks, but for the JSON's evidence (the office's language)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.fraud.conftest import town_edition
from tests.fraud.factories import ballots_insert, cast_over_http
from tests.fraud.scenario import DATACENTER
from tests.fraud.test_cases import one_computer
from urna.fraud.models import FraudAllow

REPO_ROOT = Path(__file__).resolve().parents[2]


def urna(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    env.update(
        URNA_ENVIRONMENT="test",
        URNA_DATABASE_URL=settings.database_url,
        URNA_SECRET_KEY=settings.secret_key.get_secret_value(),
        URNA_DATA_KEY=settings.data_key.get_secret_value(),
        URNA_HMAC_KEY=settings.hmac_key.get_secret_value(),
        URNA_FRAUD_DATACENTER_CIDRS=json.dumps([DATACENTER]),
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "urna.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_scan_json_is_one_object_with_the_contracted_shape(app, settings):
    edition = await town_edition(app)
    residents = one_computer("203.0.113.50", 7)
    await ballots_insert(app, edition, residents[1:])
    honest = one_computer("198.18.0.9", 1, start=10)  # alone: in no case
    await ballots_insert(app, edition, honest)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        http_ballot = await cast_over_http(client, app, edition, residents[0])

    done = urna(settings, "fraud", "scan", "--edition", edition.slug, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), done.stderr  # one JSON document, nothing else on stdout
    assert done.stdout.lstrip().startswith("{"), done.stdout[:300]
    payload = json.loads(done.stdout)
    assert set(payload) == {"edition", "cases"} and payload["edition"] == edition.slug
    [case] = payload["cases"]
    assert set(case) == {"id", "score", "signals", "ballots"}
    assert isinstance(case["id"], int) and case["score"] > 0
    assert {"ip", "ip_browser", "choices"} <= {s["kind"] for s in case["signals"]}
    for signal in case["signals"]:
        assert set(signal) == {"kind", "evidence"} and signal["evidence"]
    assert all(set(b) == {"id", "request_id"} for b in case["ballots"])
    assert len(case["ballots"]) == 7
    request_ids = {b["id"]: b["request_id"] for b in case["ballots"]}
    async with app.state.ctx.db() as session:
        from urna.voting.models import Ballot

        cast = await session.get(Ballot, http_ballot)
    assert request_ids[http_ballot] == cast.request_id  # the browser's X-Request-ID
    assert all(request_ids.values())
    # Polish by default: the evidence speaks the office's language
    assert "kart" in case["signals"][0]["evidence"] or "głos" in case["signals"][0]["evidence"]

    plain = urna(settings, "fraud", "scan", "--edition", edition.slug)
    assert plain.returncode == 0 and f"case {case['id']}" in plain.stdout
    assert "ip (" in plain.stdout and "Ballots from the IP address 203.0.113.50: 7" in plain.stdout
    assert "Głosy" not in plain.stdout  # the evidence in English, like the rest of the line
    assert f"{edition.slug}: 8 ballots scanned, " in plain.stdout
    assert plain.stdout.split("\n")[0].endswith(", 1 case")  # not "1 cases"


async def test_unknown_edition_is_one_clean_line(settings):
    done = urna(settings, "fraud", "scan", "--edition", "no-such-edition", "--json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == "There is no edition with the address no-such-edition."


async def test_allow_from_the_command_line(app, settings):
    done = urna(settings, "fraud", "allow", "192.0.2.128/25", "--note", "Szkoła nr 3")
    assert done.returncode == 0, done.stderr
    async with app.state.ctx.db() as session:
        entry = (
            await session.execute(select(FraudAllow).where(FraudAllow.cidr == "192.0.2.128/25"))
        ).scalar_one()
        assert entry.note == "Szkoła nr 3"
    listed = urna(settings, "fraud", "allowed")
    assert "192.0.2.128/25" in listed.stdout
    bad = urna(settings, "fraud", "allow", "not-a-network", "--note", "x")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("cidr: Give an IP address or a network, e.g. 192.0.2.0/24")
    gone = urna(settings, "fraud", "disallow", str(entry.id))
    assert gone.returncode == 0
    async with app.state.ctx.db() as session:
        assert await session.get(FraudAllow, entry.id) is None
    empty = urna(settings, "fraud", "allowed")  # said, not an empty output
    assert empty.returncode == 0 and empty.stdout.strip() == "the allow-list is empty"
