"""A signal's score orders the queue: a shared network's shape lowers it and says so; a
quiet hour's share raises nothing."""

from urna.fraud.kinds import KINDS
from urna.fraud.scoring import HOUR_SHARE_MIN, QUIET_HOUR, SHARED, kind_score

IP = next(kind for kind in KINDS if kind.name == "ip")


def group(**values) -> dict:
    return {"n": 12, "peak": 12, "prior": 0, "same": 12} | values


def test_the_same_choices_or_a_burst_keep_their_weight():
    burst = kind_score(IP, group(same=1), hour=100)
    alike = kind_score(IP, group(peak=1), hour=100)
    assert SHARED not in str(burst.notes + alike.notes)
    assert kind_score(IP, group(peak=1, same=4), hour=100).score < alike.score


def test_different_choices_over_many_hours_count_the_part_one_actor_could_be():
    full = kind_score(IP, group(peak=2, same=12), hour=100).score
    shared = kind_score(IP, group(peak=2, same=3), hour=100)
    assert shared.score == round(full * 3 / 12, 3)
    [note] = shared.notes
    assert note == {
        "message": SHARED,
        "params": {"same": 3, "n": 12, "peak": 2, "percent": 25},
    }


def test_a_share_of_a_quiet_hour_raises_nothing_and_is_said():
    quiet = kind_score(IP, group(), hour=HOUR_SHARE_MIN - 1)
    busy = kind_score(IP, group(), hour=HOUR_SHARE_MIN)
    drowned = kind_score(IP, group(), hour=1_000_000)  # a share of nearly nothing
    assert quiet.score == drowned.score < busy.score
    assert quiet.notes == [{"message": QUIET_HOUR, "params": {"hour": HOUR_SHARE_MIN - 1}}]
    assert busy.notes == drowned.notes == []
