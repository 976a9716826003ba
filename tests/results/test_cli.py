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
