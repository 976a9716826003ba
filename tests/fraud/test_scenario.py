"""The scenario's attacks are flagged, its honest groups are not."""

from collections import defaultdict

from tests.fraud.scenario import EXPECTED
from urna.fraud import service


async def flagged(app, edition_id):
    """ballot id → kinds of the signals of the case that holds it."""
    kinds: dict[int, set[str]] = defaultdict(set)
    async with app.state.ctx.db() as session:
        for case in await service.cases_list(session=session, edition_id=edition_id):
            detail = await service.case_get(session=session, case_id=case.id)
            for signal in detail.signals:
                for ballot_id in signal.ballot_ids:
                    kinds[ballot_id].add(signal.kind)
    return kinds


async def test_attacks_flagged_honest_quiet(app, town):
    edition, scenario, groups, result = town
    kinds = await flagged(app, edition.id)
    by_group: dict[str, list[int]] = defaultdict(list)
    for ballot_id, group in groups.items():
        by_group[group].append(ballot_id)
    attack = {b for b, g in groups.items() if g.startswith("attack")}
    caught = attack & set(kinds)
    precision = len(caught) / max(len(kinds), 1)
    recall = len(caught) / len(attack)
    print(
        f"\nballots {len(groups)}, attack {len(attack)}, flagged {len(kinds)}: "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    for group, ids in sorted(by_group.items()):
        seen = set().union(*(kinds.get(b, set()) for b in ids))
        n = sum(1 for b in ids if b in kinds)
        print(f"  {group:22} {n:4}/{len(ids):4} flagged  {sorted(seen)}")
    for group, ids in by_group.items():
        if group.startswith("honest"):
            assert not [b for b in ids if b in kinds], group
    for group, expected in EXPECTED.items():
        seen = set().union(*(kinds.get(b, set()) for b in by_group[group]))
        assert expected <= seen, (group, expected - seen)
    assert precision == 1.0 and recall >= 0.95
