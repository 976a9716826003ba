"""``urna results compute`` prints why a project is not funded in words, while its
``--json`` output stays the payload, raw outcome tokens and all, for the tools that read it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fresh_database
from tests.staff.test_cli import urna

from .pabulib_support import pabulib_path

pytestmark = pytest.mark.flow
RAW = ("skipped_does_not_fit", "below_threshold", "not_considered", "stopped")


async def test_the_table_words_each_outcome_and_the_json_keeps_the_tokens(tmp_path):
    path = pabulib_path("Poland_Lodz_2022_Andrzejow.pb")  # greedy with a 50-vote minimum
    url, drop = await fresh_database(tmp_path)
    try:
        done = urna(url, tmp_path, "edition", "import-pabulib", str(path), "--slug", "bo")
        assert done.returncode == 0, done.stdout + done.stderr
        table = urna(url, tmp_path, "results", "compute", "bo")
        shown = urna(url, tmp_path, "results", "compute", "bo", "--json")
    finally:
        await drop()
    assert table.returncode == 0 and shown.returncode == 0, table.stderr + shown.stderr
    outcomes = {row["outcome"] for row in json.loads(shown.stdout)["pools"][0]["projects"]}
    assert outcomes - {"funded"}, outcomes  # the file has projects left out
    assert not any(token in table.stdout for token in RAW), table.stdout
    assert "Not funded: it does not fit in the money left" in table.stdout
