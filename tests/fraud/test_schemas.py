"""The allow-list's form is a schema: a network in canonical form, never wider than a /16
(a /32 in IPv6), and one line saying what it is, refused whole (a control character, a
line break, or more than 500 characters), never cut."""

from __future__ import annotations

import pytest

from urna.core.errors import FormInvalid
from urna.core.forms import TOO_LONG, UNSAFE, form_parse
from urna.fraud.schemas import ALLOW_NOTE_MAX, NETWORK_INVALID, AllowForm

NOTE_REQUIRED = "Say what this network is (e.g. the library's kiosk)."
TOO_WIDE = "This network is too wide for the allow-list (at most /16, or /32 in IPv6)."
KIOSK = {"cidr": "192.0.2.7", "note": "Biblioteka Miejska, kiosk"}


def _refused(values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(AllowForm, values)
    return caught.value.errors


@pytest.mark.parametrize(
    ("typed", "network"),
    [
        (" 192.0.2.7 ", "192.0.2.7/32"),
        ("192.0.2.77/24", "192.0.2.0/24"),
        ("10.1.0.0/16", "10.1.0.0/16"),
        ("2001:db8::1/48", "2001:db8::/48"),
        ("2001:db8::/32", "2001:db8::/32"),
    ],
)
def test_a_network_is_kept_in_canonical_form(typed, network):
    form = form_parse(AllowForm, {**KIOSK, "cidr": typed, "note": " Kiosk w ratuszu "})
    assert (form.cidr, form.note) == (network, "Kiosk w ratuszu")


@pytest.mark.parametrize("cidr", ["", "biblioteka", "300.1.1.1", "fe80::1%eth0", "192.0.2.7\x00"])
def test_what_is_no_network_is_refused(cidr):
    assert _refused({**KIOSK, "cidr": cidr}) == {"cidr": NETWORK_INVALID}


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/15", "2001:db8::/16"])
def test_a_network_wider_than_a_library_is_refused(cidr):
    assert _refused({**KIOSK, "cidr": cidr}) == {"cidr": TOO_WIDE}


def test_the_note_says_in_one_line_what_the_network_is():
    assert _refused({**KIOSK, "note": "  "}) == {"note": NOTE_REQUIRED}
    assert _refused({"cidr": KIOSK["cidr"]}) == {"note": NOTE_REQUIRED}
    for hidden in ("\x00", "\x1b[31m", "\u202e", "\n", "\u2028"):
        assert _refused({**KIOSK, "note": f"Kiosk{hidden} w ratuszu"}) == {"note": UNSAFE}
    most = "x" * ALLOW_NOTE_MAX
    assert form_parse(AllowForm, {**KIOSK, "note": most}).note == most
    assert _refused({**KIOSK, "note": most + "x"}) == {"note": TOO_LONG}


def test_both_fields_are_answered_at_once():
    errors = _refused({"cidr": "0.0.0.0/0", "note": ""})
    assert errors == {"cidr": TOO_WIDE, "note": NOTE_REQUIRED}
