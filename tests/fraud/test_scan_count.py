"""A scan says how many ballots it read on either database. SQLite gives no row count for
an ``INSERT`` that starts with ``WITH`` (-1): on the embedded default ``urna fraud scan``
printed "-1 ballots scanned"."""

from __future__ import annotations

import pytest

from tests.fraud.conftest import scan, town_edition
from tests.fraud.factories import ballots_insert
from tests.fraud.test_cases import one_computer

pytestmark = pytest.mark.flow  # the embedded default (SQLite) is where the count went missing


async def test_a_scan_counts_the_ballots_it_read(app, fraud_settings):
    edition = await town_edition(app)
    await ballots_insert(app, edition, one_computer("203.0.113.60", 3))
    assert (await scan(app, fraud_settings, edition)).ballots_scanned == 3
    await ballots_insert(app, edition, one_computer("203.0.113.61", 2, start=3))
    assert (await scan(app, fraud_settings, edition, full=False)).ballots_scanned == 2
