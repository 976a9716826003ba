"""The kinds' keys cannot collide, what a key shows never is a keyed hash, and every kind
the scan fires has its name on the console."""

from urna.fraud.kinds import BIRTHS_NAME, BURST_NAME, KINDS, key_label, kind_label


def test_key_prefixes_are_distinct_and_prefix_free():
    prefixes = [kind.prefix for kind in KINDS] + ["births:", "burst:"]
    for a in prefixes:
        for b in prefixes:
            assert a == b or not b.startswith(a), (a, b)
    assert len(set(prefixes)) == len(prefixes)


def test_labels_show_networks_and_never_hashes():
    digest = "ab" * 32
    assert key_label("ip:2001:db8::7") == "2001:db8::7"
    assert key_label("ipua:203.0.113.7|0123456789ab") == "203.0.113.7"
    assert key_label("choices:net:198.51.100.0/24#3,5") == "198.51.100.0/24"
    assert key_label("age:ip:203.0.113.7") == "203.0.113.7"
    for key in (
        f"address:{digest}",
        f"contact:{digest}",
        f"guardian:{digest}",
        f"minors:{digest}",
        f"age:address:{digest}",
        f"births:guardian:{digest}",
        f"choices:address:{digest}#1,2",
    ):
        assert digest not in key_label(key) and key_label(key) == ""


def test_every_kind_fired_is_named_by_its_own_definition():
    """The label is written with the kind: a kind grouped by several keys (an IP, a
    network, an address) is called alike whichever fired, and the kinds the scan finds by
    queries of their own (births, burst) are named by the same lookup."""
    labels: dict[str, set[str]] = {}
    for kind in KINDS:
        labels.setdefault(kind.name, set()).add(kind.label)
    assert all(len(named) == 1 for named in labels.values()), labels
    fired = [*labels, BIRTHS_NAME, BURST_NAME]
    assert [name for name in fired if kind_label(name) == name] == []
    assert kind_label("age") == next(iter(labels["age"]))
    assert len({kind_label(name) for name in fired}) == len(fired)  # no two called alike
    assert kind_label("retired_kind") == "retired_kind"  # a signal of a kind since removed
