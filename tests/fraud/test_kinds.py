"""The kinds' keys cannot collide, and what a key shows never is a keyed hash."""

from urna.fraud.kinds import KINDS, key_label


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
