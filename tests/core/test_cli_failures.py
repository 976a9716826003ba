"""What a newcomer gets wrong with ``urna`` is said in one line with exit 1, whichever
command met it: settings that do not hold, a database that is missing, unreachable or not
migrated (with what to run), numbers out of range; and a key rotation that left keys under
a master it did not have says so."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import _pg_create, _pg_drop, fresh_database, make_settings, random_key
from tests.factories.editions import edition_data
from tests.results.test_cli import assert_one_clean_line
from tests.staff.test_cli import urna
from urna.core.config import ensure_local_secrets

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/urna"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"URNA_ENVIRONMENT": "prod"}, "URNA_ENVIRONMENT"),
        ({"URNA_SECRET_KEY": ""}, "URNA_SECRET_KEY"),
        ({"URNA_REQUEST_LOG_KEEP_DAYS": "-5"}, "URNA_REQUEST_LOG_KEEP_DAYS"),
        ({"URNA_TRUSTED_PROXIES": "garbage"}, "trusted_proxies"),
        ({"URNA_DATABASE_URL": "mysql://x/y"}, "URNA_DATABASE_URL"),
    ],
)
def test_settings_that_do_not_hold_are_one_line(tmp_path, env, said):
    url = env.pop("URNA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert_one_clean_line(urna(url, tmp_path, "audit", "verify", **env), "settings", said)


def test_production_takes_no_secret_from_a_development_file(tmp_path):
    """A checkout that once ran the demo keeps var/secrets.env: production still refuses
    to start without its secrets in the environment instead of taking the generated ones."""
    ensure_local_secrets(tmp_path / "secrets.env")
    done = urna(
        NOWHERE,
        tmp_path,
        "audit",
        "verify",
        URNA_ENVIRONMENT="production",
        URNA_NOTIFY_PROVIDER="smtp",
    )
    assert_one_clean_line(done, "settings", "URNA_SECRET_KEY is not set")


@pytest.mark.parametrize(
    "command", [("keys", "rotate"), ("fraud", "allowed"), ("audit", "verify"), ("purge",)]
)
def test_an_unreachable_database_is_one_line_for_every_command(tmp_path, command):
    assert_one_clean_line(urna(NOWHERE, tmp_path, *command), "database error")


async def test_a_database_without_the_schema_says_to_migrate_it(tmp_path):
    name = "urna_test_" + uuid.uuid4().hex[:12]
    url = await _pg_create(name)
    try:
        for command in (("audit", "verify"), ("keys", "rotate"), ("fraud", "allowed")):
            assert_one_clean_line(urna(url, tmp_path, *command), "urna db upgrade")
        missing = url.rsplit("/", 1)[0] + "/" + name + "_missing"
        assert_one_clean_line(urna(missing, tmp_path, "audit", "verify"), "does not exist")
    finally:
        await _pg_drop(name)


async def test_out_of_range_numbers_are_refused_before_any_work(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        for args in (
            ("logs", "prune", "--keep-days", "99999999"),
            ("logs", "prune", "--truncate-ip-after-days", "-5"),
            ("fraud", "disallow", "99999999999999999999"),
            ("serve", "--port", "99999"),
            ("serve", "--workers", "0"),
        ):
            done = urna(url, tmp_path, *args)
            assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr, args
            assert "Invalid value" in done.stdout + done.stderr, args
    finally:
        await drop()


async def test_downgrade_takes_a_relative_revision(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "db", "downgrade", "-1")
        assert done.returncode == 0 and "downgraded" in done.stdout, done.stdout + done.stderr
        assert urna(url, tmp_path, "db", "upgrade").returncode == 0
    finally:
        await drop()


async def test_a_rotation_that_leaves_keys_under_an_unknown_master_fails(tmp_path):
    """URNA_DATA_KEY_PREVIOUS forgotten: nothing can move, and the operator is told not to
    destroy the old master (the identities would be lost with it)."""
    from urna.core import keys
    from urna.core.crypto import Crypto
    from urna.core.db import create_engine, session_factory, transaction
    from urna.privacy import service as privacy

    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url, pool_size=2)
    try:
        async with transaction(session_factory(engine)) as session:
            edition = await privacy.edition_import(session=session, data=edition_data())
            await keys.edition_key(
                session=session, crypto=Crypto(make_settings(url)), edition_id=edition.id
            )
        done = urna(url, tmp_path, "keys", "rotate", URNA_DATA_KEY=random_key())
        assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
        assert "0 edition keys re-wrapped" in done.stdout
        assert "1 edition keys stay wrapped under a master key" in done.stdout
    finally:
        await engine.dispose()
        await drop()
