"""The catalogue's search as residents type on a phone: without Polish letters, any case,
its words in any order."""

from __future__ import annotations

from urna.editions.models import Edition, Project
from urna.editions.snapshot import EditionSnapshot, catalogue_search


def _snapshot() -> EditionSnapshot:
    projects = (
        Project(id=1, pool_id=1, number="O-01", title="Skatepark przy szkole", cost=1,
                description="Rampy i plac zabaw dla starszych dzieci.", location="ul. Łąkowa"),
        Project(id=2, pool_id=1, number="O-02", title="Tężnia solankowa", cost=1,
                description="Miejsce odpoczynku w parku.", location="Park Miejski"),
    )  # fmt: skip
    return EditionSnapshot(edition=Edition(slug="x"), pools=(), areas=(), projects=projects)


def _found(text: str) -> list[str]:
    return [p.number for p in catalogue_search(snapshot=_snapshot(), text=text).projects]


def test_search_ignores_diacritics_case_and_word_order():
    assert _found("teznia") == ["O-02"]
    assert _found("TĘŻNIA") == ["O-02"]
    assert _found("zabaw plac") == ["O-01"]  # both words, in another order
    assert _found("lakowa") == ["O-01"]  # the place too
    assert _found("o-02") == ["O-02"]  # the number
    assert _found("park") == ["O-01", "O-02"]  # skatepark, and the park's
    assert _found("tężnia skatepark") == []  # every word must match
    assert _found("   ") == ["O-01", "O-02"]
