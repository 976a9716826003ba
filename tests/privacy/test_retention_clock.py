"""The retention promise with the clock moved: an edition with published results, its
voters' sessions and one-time codes; at results date + 3 months + 1 day the worker's
retention job (the same service ``urna purge`` runs) leaves no identity, no edition key,
no session, no code and no outbox payload, while the anonymous ballots, their choices and
the results stay the same; a second run changes nothing; a day before the date nothing
is purged.

Sessions and codes are not purged by the job: they cannot live that long. A session is a
Redis key with the idle timeout as its TTL (renewed while used) and refused, then
deleted, once its absolute timeout has passed; a code is a keyed hash inside the session
(valid ``otp_ttl_seconds``) and an outbox payload wiped once sent or a day after it was
queued. The test checks those bounds and that, with the clock moved, nothing of them
remains usable or stored.

PostgreSQL and Redis (the TTLs are Redis's)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from redis.asyncio import Redis
from sqlalchemy import select, text, update

from tests.conftest import REDIS_URL, RUN_REDIS_PREFIX
from tests.factories.editions import edition_create
from tests.factories.staff import asgi_client, csrf_of
from tests.factories.voting import e164, latest_code, person, receipt_of, vote
from urna.core import sessions
from urna.core.db import transaction, utcnow
from urna.core.keys import EditionKey
from urna.editions.models import Edition
from urna.jobs import scheduled
from urna.jobs.runner import JobContext
from urna.notify import service as notify
from urna.notify.models import OutboxMessage
from urna.privacy import service as privacy
from urna.results import service as results
from urna.voting.models import Ballot, BallotChoice, Voter


class Clock:
    """The clock the retention code and the sessions read, moved by the test: the
    service's ``utcnow`` and the sessions' ``time.time``."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, moment: datetime) -> None:
        self.monkeypatch.setattr(privacy, "utcnow", lambda: moment)
        self.monkeypatch.setattr(sessions, "time", SimpleNamespace(time=moment.timestamp))


async def database_dump(app, *, leave_out: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table, as text, sorted (the whole database: nothing the purge
    might touch is left out by accident)."""
    async with app.state.ctx.db() as session:
        tables = (
            await session.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                    " current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
                )
            )
        ).scalars()
        dump = {}
        for table in tables:
            if table in leave_out:
                continue
            query = f'SELECT t::text FROM "{table}" t'  # noqa: S608 - a name from the schema
            rows = await session.execute(text(query))
            dump[table] = sorted(rows.scalars())
    return dump


async def _run_the_job(app) -> None:
    """The worker's retention job, as ``urna worker`` runs it."""
    ctx = app.state.ctx
    job = JobContext(
        settings=ctx.settings,
        engine=ctx.engine,
        db=ctx.db,
        crypto=ctx.crypto,
        provider=None,
        resolver=None,
    )
    await scheduled.retention_purge(job)
    await app.state.request_log.flush()


async def _tally(app, edition_id: int):
    async with app.state.ctx.db() as session:
        edition = await session.get(Edition, edition_id)
        computed = await results.results_compute(session=session, edition=edition)
        return [(pool.projects, getattr(pool, "winners", None)) for pool in computed.pools]


async def _edition_rows(app, edition_id: int) -> dict[str, list]:
    async with app.state.ctx.db() as session:
        ballots = (
            await session.execute(
                select(Ballot.id, Ballot.status, Ballot.receipt_hash, Ballot.age_band)
                .where(Ballot.edition_id == edition_id)
                .order_by(Ballot.id)
            )
        ).all()
        choices = (
            await session.execute(
                select(BallotChoice.ballot_id, BallotChoice.project_id)
                .join(Ballot, Ballot.id == BallotChoice.ballot_id)
                .where(Ballot.edition_id == edition_id)
                .order_by(BallotChoice.ballot_id, BallotChoice.project_id)
            )
        ).all()
        voters = (
            (await session.execute(select(Voter).where(Voter.edition_id == edition_id)))
            .scalars()
            .all()
        )
        keys = (
            (await session.execute(select(EditionKey).where(EditionKey.edition_id == edition_id)))
            .scalars()
            .all()
        )
    return {"ballots": ballots, "choices": choices, "voters": voters, "keys": keys}


async def _session_keys() -> dict[str, int]:
    """Every resident session in Redis under the run's prefix, with its TTL."""
    redis = Redis.from_url(REDIS_URL)
    try:
        found = {}
        async for key in redis.scan_iter(match=f"{RUN_REDIS_PREFIX}sess:*", count=1000):
            found[key.decode()] = await redis.ttl(key)
        return found
    finally:
        await redis.aclose()


async def test_at_results_plus_three_months_and_a_day_only_anonymous_ballots_remain(
    app, monkeypatch
):
    ctx = app.state.ctx
    edition = await edition_create(app)
    voters = [person(), person()]
    residents = []
    for who in voters:
        http = asgi_client(app, ip="198.51.100.91")
        assert (await vote(http, app, edition.slug, who, ["C1", "N2"])).status_code == 303
        # and asks for their data: a second one-time code, a second session state
        receipt = await receipt_of(http, edition.slug)
        page = (await http.get("/my-data")).text
        sent = await http.post("/my-data", data={"code": receipt, "csrf_token": csrf_of(page)})
        assert sent.status_code == 303
        residents.append(http)
    codes = [await latest_code(app, e164(who["phone"])) for who in voters]
    assert all(codes)

    # voting closed, results published; the results date is a minute ago
    results_at = utcnow() - timedelta(minutes=1)
    async with transaction(ctx.db) as session:
        await session.execute(
            update(Edition)
            .where(Edition.id == edition.id)
            .values(voting_closes_at=utcnow() - timedelta(minutes=2), results_at=results_at)
        )
    async with transaction(ctx.db) as session:
        found = await session.get(Edition, edition.id)
        run = await results.run_create(session=session, edition=found, actor_id=None)
        await results.run_publish(session=session, edition=found, run_id=run.id, actor_id=None)
        retention_ends = privacy.retention_ends_at(found)
    assert retention_ends == privacy.months_after(results_at, 3)
    await app.state.request_log.flush()

    tally = await _tally(app, edition.id)
    before = await _edition_rows(app, edition.id)
    assert len(before["ballots"]) == 2 and len(before["choices"]) == 4
    assert all(v.identity_enc and v.identity_key and v.contact_key for v in before["voters"])
    assert [k.wrapped is not None for k in before["keys"]] == [True]
    async with ctx.db() as session:
        messages = (
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.purpose.in_(["vote-code", "rights-code"]))
                    .order_by(OutboxMessage.id)
                )
            )  # fmt: skip
            .scalars()
            .all()
        )
    ours = [
        m.id for m in messages
        if m.payload_enc and notify.message_payload(crypto=ctx.crypto, message=m)["to"]
        in {e164(who["phone"]) for who in voters}
    ]  # fmt: skip
    assert len(ours) == 4  # each voter's vote code and data-access code

    # sessions: in Redis with the idle timeout as TTL, never without one
    live = await _session_keys()
    cookies = [http.cookies.get("urna_sid") for http in residents]
    for sid in cookies:
        assert 0 < live[f"{RUN_REDIS_PREFIX}sess:{sid}"] <= ctx.settings.session_idle_seconds
    assert all(0 < ttl <= ctx.settings.session_idle_seconds for ttl in live.values()), live
    bound = ctx.settings.session_absolute_seconds + ctx.settings.session_idle_seconds
    assert timedelta(seconds=bound) < retention_ends - results_at  # gone long before

    clock = Clock(monkeypatch)

    # a day before the date: no identity, key, ballot or result is touched
    clock.set(retention_ends - timedelta(days=1))
    dump = await database_dump(app, leave_out=(OutboxMessage.__tablename__,))
    await _run_the_job(app)
    assert await database_dump(app, leave_out=(OutboxMessage.__tablename__,)) == dump
    # (codes do not wait for the date: a payload is wiped a day after it was queued)

    # results date + 3 months + 1 day
    moment = retention_ends + timedelta(days=1)
    assert moment.date() == (privacy.months_after(results_at, 3) + timedelta(days=1)).date()
    clock.set(moment)
    await _run_the_job(app)

    after = await _edition_rows(app, edition.id)
    for voter in after["voters"]:  # identities gone, every keyed hash with them
        assert voter.identity_enc is None and voter.identity_key is None
        assert voter.contact_key is None and voter.pesel_key is None and voter.purged_at
    assert [(k.wrapped, k.shredded_at is not None) for k in after["keys"]] == [(None, True)]
    async with ctx.db() as session:
        payloads = (
            await session.execute(
                select(OutboxMessage.payload_enc).where(OutboxMessage.id.in_(ours))
            )
        ).scalars()
        assert list(payloads) == [None] * 4  # the codes' messages: no payload left
        traces = (
            await session.execute(
                select(Ballot.ip, Ballot.user_agent).where(Ballot.edition_id == edition.id)
            )
        ).all()
        assert traces == [(None, None), (None, None)]
    # the anonymous ballots, their choices and the results: the same
    assert after["ballots"] == before["ballots"] and after["choices"] == before["choices"]
    assert await _tally(app, edition.id) == tally
    async with asgi_client(app) as anyone:
        published = await anyone.get(f"/e/{edition.slug}/results.json")
    assert published.status_code == 200 and "C1" in published.text

    # the voters' sessions: past the absolute timeout a returning cookie finds nothing,
    # and its key is deleted; the codes in them can no longer be tried (with the real
    # clock, first: the sessions were there and usable)
    monkeypatch.undo()
    for http, sid in zip(residents, cookies, strict=True):
        assert (await http.get("/my-data/code")).status_code == 200  # before: the code form
        assert f"{RUN_REDIS_PREFIX}sess:{sid}" in await _session_keys()
    clock.set(moment)
    for http, sid, code in zip(residents, cookies, codes, strict=True):
        page = await http.get("/my-data/code")
        assert page.status_code == 303 and page.headers["location"] == "/my-data"
        assert f"{RUN_REDIS_PREFIX}sess:{sid}" not in await _session_keys()
        form = (await http.get("/my-data")).text
        tried = await http.post("/my-data/code", data={"code": code, "csrf_token": csrf_of(form)})
        assert tried.status_code == 303 and tried.headers["location"] == "/my-data"
        assert "my-data.json" not in (await http.get("/my-data")).text  # not let in
        assert (await http.get("/my-data.json")).status_code != 200
        await http.aclose()

    # a second run changes nothing at all
    await app.state.request_log.flush()
    dump = await database_dump(app)
    await _run_the_job(app)
    assert await database_dump(app) == dump


def test_the_clock_moves_what_the_sessions_read(monkeypatch):
    """The clock the test moves is the one the code reads (not a copy it never uses)."""
    moment = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    Clock(monkeypatch).set(moment)
    assert sessions.time.time() == moment.timestamp() != time.time()
    assert privacy.utcnow() == moment
