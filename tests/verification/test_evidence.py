"""The evidence export: refused without a legal basis; a zip whose SHA-256 manifest
matches every file; identities in clear (the only bulk path to them); audited."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from datetime import timedelta

import pytest

from tests.factories.staff import staff_client
from tests.verification.conftest import audit_events, case_make, cast, post_page
from urna.core.db import utcnow
from urna.core.moments import moment_input

pytestmark = pytest.mark.flow

BASIS = {
    "category": "prosecutor",
    "basis": "Prokuratura Rejonowa w Testowie, PR 1 Ds. 123.2027, art. 15 § 2 k.p.k.",
}


def _package(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_the_export_needs_a_legal_basis(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [ballot.ballot_id])
    url = f"/staff/verify/{edition.slug}/export"
    scope = {"scope": "case", "case_id": str(case_id)}
    async with await staff_client(app, "verifier") as verifier:
        for missing in ({}, {"category": "prosecutor"}, {**BASIS, "category": "because"},
                        {**BASIS, "basis": "police"}):  # fmt: skip
            response = await post_page(verifier, url, url, {**scope, **missing})
            assert response.status_code == 400
            assert response.headers["content-type"].startswith("text/html")
            assert ballot.who["last_name"] not in response.text
    assert await audit_events(app, "verification.export", f"case:{case_id}") == []


async def test_a_case_package_has_a_matching_manifest_and_is_audited(app, edition):
    first = await cast(app, edition.slug, ["C1", "C3"])
    second = await cast(app, edition.slug, ["C2"])
    case_id = await case_make(app, edition.id, [first.ballot_id, second.ballot_id])
    url = f"/staff/verify/{edition.slug}/export"
    async with await staff_client(app, "admin") as admin:
        response = await post_page(
            admin, f"{url}?case={case_id}", url, {**BASIS, "scope": "case", "case_id": case_id}
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    files = _package(response.content)
    manifest = json.loads(files.pop("manifest.json"))
    assert set(manifest["files"]) == set(files) == {
        "basis.json", "ballots.json", "request_log.json", "signals.json", "decisions.json"
    }  # fmt: skip
    for name, data in files.items():
        assert manifest["files"][name] == hashlib.sha256(data).hexdigest(), name
    digest = hashlib.sha256(_package(response.content)["manifest.json"]).hexdigest()
    assert response.headers["x-manifest-sha256"] == digest
    ballots = {b["id"]: b for b in json.loads(files["ballots.json"])}
    assert set(ballots) == {first.ballot_id, second.ballot_id}
    assert ballots[first.ballot_id]["identity"]["last_name"] == first.who["last_name"]
    assert [c["project"] for c in ballots[first.ballot_id]["choices"]] == ["C1", "C3"]
    requests = json.loads(files["request_log.json"])
    assert {r["request_id"] for r in requests} >= {ballots[first.ballot_id]["request_id"]}
    [signal] = json.loads(files["signals.json"])
    assert signal["kind"] == "ip"
    # readable without the console: its name and what it found, in Polish and English
    assert signal["label"] == {
        "pl": "Wiele głosów z jednego adresu IP",
        "en": "Many ballots from one IP address",
    }
    assert signal["said"]["en"] == f"2 ballots from {signal['evidence']['params']['ip']}"
    assert json.loads(files["basis.json"])["legal_basis"] == BASIS["basis"]
    [event] = await audit_events(app, "verification.export", f"case:{case_id}")
    assert event.reason == BASIS["basis"]
    assert event.details["manifest_sha256"] == digest and event.details["ballots"] == 2


async def test_a_network_package_holds_that_network_and_window_only(app, edition):
    # a network of its own: the session's database holds every other test's requests
    octet = secrets.randbelow(256)
    network = f"198.18.{octet}.0/24"
    inside = await cast(app, edition.slug, ["C1"], ip=f"198.18.{octet}.41")
    outside = await cast(app, edition.slug, ["C1"], ip=f"198.19.{octet}.41")
    url = f"/staff/verify/{edition.slug}/export"
    # typed in Polish time, as the console shows the cast: read as UTC, the window would
    # lie an hour or two later and miss the ballot
    since, until = utcnow() - timedelta(minutes=30), utcnow() + timedelta(minutes=30)
    window = {"since": moment_input(since), "until": moment_input(until)}
    async with await staff_client(app, "verifier") as verifier:
        bad = await post_page(
            verifier,
            url,
            url,
            {**BASIS, **window, "scope": "network", "network": network.replace("/24", "/33")},
        )
        assert bad.status_code == 400
        response = await post_page(
            verifier, url, url, {**BASIS, **window, "scope": "network", "network": network}
        )
    assert response.status_code == 200
    files = _package(response.content)
    ballots = json.loads(files["ballots.json"])
    assert [b["id"] for b in ballots] == [inside.ballot_id]
    assert ballots[0]["identity"]["first_name"] == inside.who["first_name"]
    addresses = {r["ip"] for r in json.loads(files["request_log.json"])}
    basis = json.loads(files["basis.json"])  # the file keeps UTC ISO, as before
    assert basis["since"] == str(since.replace(second=0, microsecond=0))
    assert addresses == {inside.ip}
    assert outside.ballot_id not in {b["id"] for b in ballots}
    [event] = await audit_events(app, "verification.export", f"network:{network}")
    assert event.details["ballots"] == 1 and event.details["legal_basis_category"] == "prosecutor"


async def test_a_window_in_the_spring_s_skipped_hour_is_explained_beside_its_field(app, edition):
    url = f"/staff/verify/{edition.slug}/export"
    window = {"since": "28.03.2027 02:30", "until": "28.03.2027 04:00"}
    async with await staff_client(app, "verifier") as verifier:
        response = await post_page(
            verifier, url, url, {**BASIS, **window, "scope": "network", "network": "192.0.2.0/24"}
        )
    assert response.status_code == 400
    error = response.text[response.text.index('id="since-error"') :]
    assert error.split("</p>")[0].endswith(
        "tej nocy zegary przestawiono z 02:00 na 03:00. Podaj czas przed 02:00 albo od 03:00."
    )
    assert 'value="28.03.2027 02:30"' in response.text  # kept for correcting
