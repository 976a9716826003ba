"""No default accounts: ``urna staff create`` makes one and prints its generated password
once; ``urna demo`` makes a demo admin when there is none and prints how to log in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import fresh_database, make_settings
from urna.core.crypto import Crypto
from urna.core.db import create_engine, session_factory
from urna.staff import credentials
from urna.staff.models import StaffUser

pytestmark = pytest.mark.flow
REPO_ROOT = Path(__file__).resolve().parents[2]


def urna(url: str, tmp_path: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    env.update(URNA_DATABASE_URL=url, URNA_VAR_DIR=str(tmp_path), COLUMNS="200", **env_extra)
    # this checkout's code, whichever checkout the shared virtualenv was installed from
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT / "backend"), *filter(None, [os.environ.get("PYTHONPATH")])]
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


async def accounts(url: str) -> list[StaffUser]:
    engine = create_engine(url, pool_size=2)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(StaffUser))).scalars())
    finally:
        await engine.dispose()


async def test_staff_create_prints_a_generated_password_once(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        assert await accounts(url) == []  # the migrations create no account
        done = urna(
            url, tmp_path, "staff", "create", "--role", "admin", "--email", "Kierownik@Example.org"
        )
        assert done.returncode == 0, done.stdout + done.stderr
        password = re.search(r"password \(shown once\): (\S+)", done.stdout).group(1)
        [user] = await accounts(url)
        assert user.email == "kierownik@example.org" and user.role == "admin"
        assert password not in user.password_hash and credentials.password_verify(
            user.password_hash, password
        )
        again = urna(
            url, tmp_path, "staff", "create", "--role", "admin", "--email", "kierownik@example.org"
        )
        assert again.returncode == 1 and "already exists" in again.stdout
    finally:
        await drop()


async def test_an_unknown_role_is_refused_with_the_roles_named(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "staff", "create", "--role", "boss", "--email", "a@b.pl")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert all(f"'{role}'" in done.stderr for role in ("admin", "verifier", "netadmin"))
        assert await accounts(url) == []
    finally:
        await drop()


async def test_demo_makes_one_admin_and_prints_its_login(tmp_path):
    url, drop = await fresh_database(tmp_path)
    secrets_env = {
        "URNA_SECRET_KEY": "k" * 44,
        "URNA_DATA_KEY": "d" * 44,
        "URNA_HMAC_KEY": "h" * 44,
    }
    try:
        first = urna(url, tmp_path, "demo", "--seed-only", **secrets_env)
        assert first.returncode == 0, first.stdout + first.stderr
        email = re.search(r"/staff/login as (\S+)", first.stdout).group(1)
        password = re.search(r"password: (\S+)", first.stdout).group(1)
        secret = re.search(r"TOTP secret: (\S+)", first.stdout).group(1)
        second = urna(url, tmp_path, "demo", "--seed-only", **secrets_env)
        assert second.returncode == 0 and "exists already" in second.stdout
        [user] = await accounts(url)
        assert user.email == email and user.role == "admin"
        assert credentials.password_verify(user.password_hash, password)
        crypto = Crypto(make_settings(url, **{k[5:].lower(): v for k, v in secrets_env.items()}))
        assert credentials.totp_secret_of(crypto, user) == secret
        assert credentials.totp_match_step(secret, pyotp.TOTP(secret).now()) is not None
    finally:
        await drop()
