"""The ``urna`` commands of results: import a pabulib file, compute, and say plainly (one
line, exit 1, no traceback) what went wrong when a file, an edition or the database fails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import fresh_database
from tests.staff.test_cli import urna

from .pabulib_support import pabulib_file_names, pabulib_path, parsed
from .test_deciding_ties import _equal_shares_file

pytestmark = pytest.mark.flow
REPO_ROOT = Path(__file__).resolve().parents[2]


def selected(name: str) -> set[str]:
    return {project.project_id for project in parsed(name).projects if project.selected}


def assert_one_clean_line(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "╭" not in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    for text in expected:
        assert text in lines[0], lines[0]


async def test_cli_imports_a_file_and_prints_the_results_as_json(tmp_path):
    name = "Poland_Warszawa_2020_Wesola.pb"
    files = pabulib_file_names()
    path = pabulib_path(name if name in files else files[0])
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "edition", "import-pabulib", str(path), "--slug", "wesola")
        assert done.returncode == 0, done.stdout + done.stderr
        votes = len(parsed(path.name).votes)
        assert f"edition wesola: {len(parsed(path.name).projects)} projects, {votes} ballots" in (
            done.stdout
        )

        shown = urna(url, tmp_path, "results", "compute", "wesola", "--json")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        payload = json.loads(shown.stdout)
        [pool] = payload["pools"]
        assert set(pool["funded"]) == selected(path.name)
        assert payload["ballots"]["counted"] == votes

        again = urna(url, tmp_path, "edition", "import-pabulib", str(path), "--slug", "wesola")
        assert again.returncode == 1, again.stdout + again.stderr
        assert "already exists" in again.stdout
        assert "Traceback" not in again.stdout + again.stderr
    finally:
        await drop()


async def test_expected_failures_print_one_clean_line(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        broken = tmp_path / "broken.pb"
        broken.write_text("META\nkey;value\nbudget;100\n", encoding="utf-8")
        done = urna(url, tmp_path, "edition", "import-pabulib", str(broken))
        assert_one_clean_line(done, "cannot be imported", "PROJECTS")

        name = pabulib_file_names()[0]
        done = urna(
            url,
            tmp_path,
            "edition",
            "import-pabulib",
            str(pabulib_path(name)),
            "--slug",
            "Zły adres",
        )
        assert_one_clean_line(done, "does not describe a valid edition", "slug")

        done = urna(url, tmp_path, "results", "compute", "no-such-edition")
        assert_one_clean_line(done, "There is no edition with the address no-such-edition")
    finally:
        await drop()


async def test_an_unreachable_database_is_one_clean_line(tmp_path):
    nowhere = "postgresql+asyncpg://postgres@127.0.0.1:1/urna"
    assert_one_clean_line(urna(nowhere, tmp_path, "results", "compute", "bo-25"), "database error")
    assert_one_clean_line(urna(nowhere, tmp_path, "db", "upgrade"), "database error")


async def test_an_unknown_migration_is_one_clean_line(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "db", "downgrade", "no-such-revision")
        assert_one_clean_line(done, "no-such-revision")
    finally:
        await drop()


async def test_the_demo_does_not_publish_a_past_election_whose_tie_decides_funding(tmp_path):
    """``urna demo`` publishes its past elections through the results service, and so waits
    for the draw like every publisher: a file whose tie decides what is funded is refused
    in plain words naming the projects to draw (exit 1, no traceback), nothing published."""
    folder = tmp_path / "pabulib"
    folder.mkdir()
    (folder / "Poland_Swiecie_2023.pb").write_text(_equal_shares_file(60), encoding="utf-8")
    secrets = {"URNA_SECRET_KEY": "k" * 44, "URNA_DATA_KEY": "d" * 44, "URNA_HMAC_KEY": "h" * 44}
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "demo", "--seed-only", URNA_PABULIB_DIR=str(folder), **secrets)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        said = " ".join(done.stdout.split())  # the console wraps the long line
        assert "no public draw has ordered the tied projects A, B (Testowo)" in said, said
        assert "past edition with published results" not in said
    finally:
        await drop()
