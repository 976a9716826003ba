"""The audit log: a hash chain that the database keeps append-only, verified end to end,
with tampering found and named by ``urna audit verify``."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from threading import Barrier

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PG_ADMIN_URL, fresh_database
from tests.factories.staff import csrf_of, staff_client
from urna.audit import repository as audit_repository
from urna.audit import service as audit
from urna.core import audit as core_audit
from urna.core.audit import AuditEvent
from urna.core.db import create_engine, session_factory
from urna.core.i18n import LOCAL_ZONE, utc_iso

REPO_ROOT = Path(__file__).resolve().parents[2]


async def _append(factory, count: int, **kw) -> list[int]:
    ids = []
    for number in range(count):
        async with factory() as session:
            event = await core_audit.audit_append(
                session=session,
                actor_id=None,
                action=kw.get("action", "test.event"),
                target=f"test:{number}",
                reason="testing the chain",
                details={"n": number, "zażółć": "gęślą jaźń"},
            )
            await session.commit()
            ids.append(event.id)
    return ids


@pytest.mark.flow
async def test_appended_events_form_a_chain_that_verifies(app):
    factory = app.state.ctx.db
    ids = await _append(factory, 3)
    assert ids == list(range(ids[0], ids[0] + 3))  # gapless ids
    async with factory() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.id.in_(ids))))
            .scalars()
            .all()
        )
        previous = (await session.get(AuditEvent, ids[0] - 1)) if ids[0] > 1 else None
    events.sort(key=lambda e: e.id)
    assert events[0].prev_hash == (previous.hash if previous else "0" * 64)
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[0].occurred_at.tzinfo is not None
    async with factory() as session:
        assert (await audit.audit_check(session=session)).ok


@pytest.mark.flow
async def test_the_application_cannot_update_or_delete_audit_rows(app):
    factory = app.state.ctx.db
    [event_id] = await _append(factory, 1)
    for statement in (
        "UPDATE audit_event SET reason = 'nothing to see' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ):
        async with factory() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement), {"id": event_id})
                await session.commit()
    async with factory() as session:
        assert (await session.get(AuditEvent, event_id)).reason == "testing the chain"


# ---- tampering by someone who can bypass the database's own protection ----------------


async def _superuser_execute(url: str, statement: str) -> None:
    """As a superuser would: around the append-only trigger, not through the app."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]

        def run() -> None:
            connection = sqlite3.connect(path)
            try:
                triggers = connection.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'audit_event'"
                ).fetchall()
                connection.execute("DROP TRIGGER audit_event_no_update")
                connection.execute("DROP TRIGGER audit_event_no_delete")
                connection.execute(statement)
                for (sql,) in triggers:
                    connection.execute(sql)
                connection.commit()
            finally:
                connection.close()

        await asyncio.to_thread(run)
        return
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.execute(statement)
    finally:
        await connection.close()


def _cli_verify(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    env.update(URNA_DATABASE_URL=url, URNA_VAR_DIR=str(tmp_path), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "urna.cli", "audit", "verify"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def chain_db(tmp_path):
    """A database of its own (tampering must not touch the shared one), with 6 events."""
    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url, pool_size=2)
    try:
        await _append(session_factory(engine), 6)
        yield url, session_factory(engine)
    finally:
        await engine.dispose()
        await drop()


@pytest.mark.flow
async def test_urna_audit_verify_names_the_event_a_superuser_edited(chain_db, tmp_path):
    url, factory = chain_db
    clean = _cli_verify(url, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "audit chain intact" in clean.stdout and "6 events" in clean.stdout
    await _superuser_execute(url, "UPDATE audit_event SET reason = 'nothing happened' WHERE id = 4")
    tampered = _cli_verify(url, tmp_path)
    assert tampered.returncode == 1
    assert "broken at event 4" in tampered.stdout and "altered" in tampered.stdout
    async with factory() as session:
        assert (await audit.audit_check(session=session)).broken_at == 4


@pytest.mark.flow
async def test_a_removed_event_is_found(chain_db):
    url, factory = chain_db
    await _superuser_execute(url, "DELETE FROM audit_event WHERE id = 2")
    async with factory() as session:
        report = await audit.audit_check(session=session)
    assert report.broken_at == 2 and report.problem == "event missing"


@pytest.mark.flow
async def test_events_cut_off_the_end_are_found(chain_db):
    url, factory = chain_db
    await _superuser_execute(url, "DELETE FROM audit_event WHERE id >= 5")
    async with factory() as session:
        report = await audit.audit_check(session=session)
    assert report.broken_at == 5 and "end of the chain" in report.problem


@pytest.mark.flow
async def test_a_recomputed_hash_still_breaks_the_next_link(chain_db):
    """Editing an event and fixing its own hash is not enough: the next event points at
    the old hash."""
    url, factory = chain_db
    async with factory() as session:
        event = await session.get(AuditEvent, 3)
        forged = core_audit.event_hash(
            event_id=3,
            occurred_at=event.occurred_at,
            actor_id=None,
            action=event.action,
            target=event.target,
            reason="forged",
            details=event.details,
            prev_hash=event.prev_hash,
        )
    await _superuser_execute(
        url,
        f"UPDATE audit_event SET reason = 'forged', hash = '{forged}' WHERE id = 3",  # noqa: S608
    )
    async with factory() as session:
        report = await audit.audit_check(session=session)
    assert report.broken_at == 4 and "link" in report.problem


# ---- PostgreSQL: privileges of an ordinary application role, and concurrent appends ---


@pytest.mark.postgres_only
async def test_an_application_role_with_all_table_privileges_still_cannot_rewrite(chain_db):
    url, factory = chain_db
    database = url.rsplit("/", 1)[1]
    role = f"urna_app_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
            f"TO {role}"
        )
        app_role = await asyncpg.connect(
            PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgres@", f"{role}@") + "/" + database
        )
        try:
            for statement in (
                "UPDATE audit_event SET reason = 'x' WHERE id = 1",
                "DELETE FROM audit_event WHERE id = 1",
                "TRUNCATE audit_event",
            ):
                with pytest.raises(asyncpg.PostgresError, match="append-only"):
                    await app_role.execute(statement)
            # appending still works for it
            head = await app_role.fetchval(
                "UPDATE audit_head SET last_event_id = last_event_id WHERE id = 1 "
                "RETURNING last_event_id"
            )
            assert head == 6
        finally:
            await app_role.close()
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
    async with factory() as session:
        assert (await audit.audit_check(session=session)).ok


def _append_in_process(url: str, count: int, start: Barrier) -> list[int]:
    async def work() -> list[int]:
        engine = create_engine(url, pool_size=2)
        try:
            async with engine.connect():  # connected before the start, like a running app
                pass
            await asyncio.to_thread(start.wait, 60)
            return await _append(session_factory(engine), count, action="test.race")
        finally:
            await engine.dispose()

    return asyncio.run(work())


@pytest.mark.postgres_only
async def test_concurrent_appends_from_several_processes_never_fork_the_chain(chain_db):
    url, factory = chain_db
    processes, per_process = 4, 15
    spawn = get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(processes, mp_context=spawn) as pool:
        start = manager.Barrier(processes)  # all processes start appending at once
        futures = [
            pool.submit(_append_in_process, url, per_process, start) for _ in range(processes)
        ]
        results = [future.result(timeout=120) for future in futures]
    ids = sorted(i for result in results for i in result)
    assert ids == list(range(7, 7 + processes * per_process))  # no id twice, none skipped
    async with factory() as session:
        report = await audit.audit_check(session=session)
    assert report.ok and report.events == 6 + processes * per_process


@pytest.mark.flow
async def test_the_console_lists_filters_and_verifies_the_log(app):
    async with await staff_client(app, "admin") as admin:
        user_id = admin.staff_user.id
        page = await admin.get("/staff/audit")
        assert page.status_code == 200 and "staff.login" in page.text
        mine = await admin.get(f"/staff/audit?actor={user_id}&action=staff.login")
        assert f"staff:{user_id}" in mine.text
        fragment = await admin.get(
            "/staff/audit?action=staff.login", headers={"HX-Request": "true"}
        )
        assert fragment.text.lstrip().startswith('<section id="events">')
        assert "<time datetime=" in fragment.text
        dated = await admin.get("/staff/audit?since=2020-01-01&until=2020-01-02")
        assert "Brak pasujących zdarzeń." in dated.text
        verified = await admin.post("/staff/audit/verify", data={"csrf_token": csrf_of(page.text)})
        assert verified.status_code == 200 and "Łańcuch jest nienaruszony" in verified.text
    async with app.state.ctx.db() as session:
        mine = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.actor_id == user_id).order_by(AuditEvent.id)
            )
        ).scalars()
    mine = list(mine)
    # when, in Polish time to the second as every time in the console; the UTC instant kept
    login = mine[0].occurred_at.astimezone(LOCAL_ZONE)
    shown = f"{login:%d.%m.%Y, %H:%M:%S} {login.tzname()}"
    assert f'<time datetime="{utc_iso(login)}">{shown}</time>' in page.text
    last = mine[-1]  # verifying was this account's last action, and it was recorded
    assert last.action == "audit.verify" and last.details["broken_at"] is None
    assert last.details["events"] == last.id - 1  # every event before the record held


@pytest.mark.flow
async def test_a_named_action_is_filtered_alone_and_a_prefix_finds_its_family(app):
    """ "Logged in" (staff.login) never lists "Login failed" (staff.login_failed)."""
    factory = app.state.ctx.db
    login = await _append(factory, 1, action="staff.login")
    failed = await _append(factory, 1, action="staff.login_failed")
    async with factory() as session:
        named = await audit_repository.events_search(session, action="staff.login", limit=10_000)
        family = await audit_repository.events_search(session, action="staff.", limit=10_000)
    assert login[0] in {e.id for e in named} and failed[0] not in {e.id for e in named}
    assert {login[0], failed[0]} <= {e.id for e in family}
