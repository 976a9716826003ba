"""``urna demo --seed-only`` sets the demo up and stops: it serves nothing, so it does not
tell anyone to open the site's address."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import fresh_database
from tests.staff.test_cli import urna
from urna.cli.demo import demo_pabulib_dir
from urna.core.config import REPO_ROOT
from urna.core.db import create_engine

pytestmark = pytest.mark.flow

SECRETS = {"URNA_SECRET_KEY": "k" * 44, "URNA_DATA_KEY": "d" * 44, "URNA_HMAC_KEY": "h" * 44}


async def test_demo_seed_only_seeds_and_does_not_say_to_open_the_site(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(
            url, tmp_path, "demo", "--seed-only", "--port", "8765",
            URNA_PABULIB_DIR=str(tmp_path),  # no past elections: the seed alone
            **SECRETS,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "demo edition:" in done.stdout and "the demo is set up" in done.stdout
        assert "http://" not in done.stdout and "8765" not in done.stdout, done.stdout
        assert "open " not in done.stdout and "Ctrl+C" not in done.stdout, done.stdout
        # its documents have English titles: the English pages do not show the Polish one
        engine = create_engine(url)
        async with engine.connect() as conn:
            titles = (await conn.execute(text("SELECT kind, title_en FROM policy_document"))).all()
        await engine.dispose()
        assert {kind for kind, _ in titles} == {"policy", "accessibility", "clause"}
        assert all(title_en for _, title_en in titles), titles
    finally:
        await drop()


def test_demo_finds_the_past_elections_next_to_the_checkout_from_any_directory(
    tmp_path, monkeypatch
):
    """`urna demo` run outside the checkout (the default was relative to the current
    directory) silently left out the past elections with published results."""
    monkeypatch.delenv("URNA_PABULIB_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    expected = (REPO_ROOT / ".." / "shared" / "data" / "pabulib").resolve()
    assert demo_pabulib_dir().resolve() == expected
    monkeypatch.setenv("URNA_PABULIB_DIR", str(tmp_path))
    assert demo_pabulib_dir() == tmp_path
