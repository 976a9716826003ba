"""The unfinished ballot's session copy: what ``dataclasses.asdict`` gave, and detached."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from urna.voting.state import FlowOutOfOrder, VoteState


def _state() -> VoteState:
    return VoteState(
        edition="e",
        clause_id=3,
        identity_key="id",
        area_id=7,
        confirmed=True,
        receipt="r",
        choices={"1": [4, 5], "2": [9]},
        fraud_keys={"address_key": "a", "birth_order": 12},
    )


def test_dump_is_asdict_and_loads_back():
    state = _state()
    assert state.dump() == asdict(state)
    assert list(state.dump()) == list(asdict(state))  # the same keys, in the same order
    assert VoteState.load(state.dump(), edition="e") == state


def test_the_dump_is_a_copy_a_later_pick_does_not_edit():
    state = _state()
    saved = state.dump()
    state.choices["1"].append(6)
    state.choices["3"] = [1]
    state.fraud_keys["guardian_key"] = "g"
    assert saved["choices"] == {"1": [4, 5], "2": [9]}
    assert "guardian_key" not in saved["fraud_keys"]


def test_a_session_of_an_older_release_or_another_edition():
    data = _state().dump() | {"retired_field": 1}
    assert VoteState.load(data, edition="e").receipt == "r"
    with pytest.raises(FlowOutOfOrder):
        VoteState.load(data, edition="other")
    with pytest.raises(FlowOutOfOrder):
        VoteState.load(None, edition="e")
