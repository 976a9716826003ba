"""A started app moves what its process built out of the garbage collector's walks and
collects young objects less often; once per process."""

from __future__ import annotations

import gc

import pytest

from urna.core.gcsettle import YOUNG_THRESHOLD, gc_settle

pytestmark = pytest.mark.flow


def test_a_started_app_has_settled_the_collector_once(app):
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules, the app and its routes: out of every walk
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    gc_settle()  # another app in the same process: nothing more frozen
    assert gc.get_freeze_count() == frozen
