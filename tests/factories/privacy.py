"""Data-subject requests for tests: filed by the resident through /my-data, opened by the
office on purpose, and the voter behind them as stored."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.factories.staff import csrf_of
from tests.factories.voting import e164, latest_code
from urna.voting.models import Voter


async def request_file(
    client: httpx.AsyncClient, app, receipt: str, phone: str, kind: str, text: str
) -> int:
    """The resident proves it is them (receipt + code) and files a request: its id."""
    page = (await client.get("/my-data")).text
    await client.post("/my-data", data={"code": receipt, "csrf_token": csrf_of(page)})
    page = (await client.get("/my-data/code")).text
    code = await latest_code(app, e164(phone))
    await client.post("/my-data/code", data={"code": code, "csrf_token": csrf_of(page)})
    page = (await client.get("/my-data")).text
    filed = await client.post(
        "/my-data/request", data={"kind": kind, "text": text, "csrf_token": csrf_of(page)}
    )
    assert filed.status_code == 303, filed.text
    requests = (await client.get("/my-data.json")).json()["requests"]
    return max(r["id"] for r in requests if r["kind"] == kind)


async def voter_named(app, edition_id: int, last_name: str) -> Voter:
    """The edition's voter with this last name, as stored now."""
    ctx = app.state.ctx
    async with ctx.db() as session:
        for voter in (
            await session.execute(select(Voter).where(Voter.edition_id == edition_id))
        ).scalars():
            if voter.identity_enc is None:
                continue
            held = ctx.crypto.decrypt(voter.identity_enc, context="voter-identity")
            if held["last_name"] == last_name:
                return voter
    raise AssertionError("no such voter")


def identity_of(app, voter: Voter) -> dict:
    return app.state.ctx.crypto.decrypt(voter.identity_enc, context="voter-identity")


async def held_open(staff: httpx.AsyncClient, request_id: int) -> httpx.Response:
    """The office opens what is held about the request's ballot (the correction form)."""
    page = await staff.get(f"/staff/privacy/requests/{request_id}")
    return await staff.post(
        f"/staff/privacy/requests/{request_id}/held", data={"csrf_token": csrf_of(page.text)}
    )
