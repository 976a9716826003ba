"""The voter's keys for the fraud signals and the verification team's lookup, written at
the cast (online and paper) next to the uniqueness keys.

Each is a keyed HMAC in the edition's scope (as the identity key is), so it groups
ballots without saying whose they are, and cannot be recomputed without the key:

- ``address_key``: street + house number with the flat (one household);
- ``guardian_key``: the guardian's name, for a minor's ballot;
- ``lookup_key``: first name + last name + street + house number (the building): the blind
  index a verifier finds a resident's ballot by, never decrypting every row;
- ``birth_order``: the date of birth as a day number shifted by a secret offset per
  edition. The signals need differences between birth dates (dates in sequence among
  one group's ballots) and a bound (age 100 and over, compared with the bound shifted by
  the same offset); they never need the date. A raw day number would be the date of
  birth in clear; shifted, the column orders and spaces the dates of one edition but does
  not say them. It is pseudonymous, not anonymous (whoever knows one voter's date and row
  can undo the shift), so it is identity data, purged with the identity.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from urna.core.crypto import Crypto
from urna.core.text import text_fold
from urna.voting.identity import house_number_normalise
from urna.voting.schemas import IdentityForm

DAY_ZERO = date(1900, 1, 1)
_OFFSET_RANGE = 1 << 20  # about 2,870 years of days


def birth_order_offset(crypto: Crypto, edition_id: int) -> int:
    digest = crypto.keyed_hash(scope=f"edition:{edition_id}", value="birth-order-offset")
    return int(digest[:8], 16) % _OFFSET_RANGE


def birth_order(crypto: Crypto, edition_id: int, born: date) -> int:
    return (born - DAY_ZERO).days + birth_order_offset(crypto, edition_id)


def fraud_keys(*, crypto: Crypto, edition_id: int, person: IdentityForm) -> dict[str, Any]:
    """``address_key``, ``guardian_key``, ``lookup_key``, ``birth_order`` of one voter (None
    where the edition does not ask for the fields they come from)."""
    scope = f"edition:{edition_id}"
    fields = person.fields
    street = text_fold(fields.get("street", ""))
    house = fields.get("house_number", "").replace(" ", "").upper()
    guardian = text_fold(fields.get("guardian_name", ""))
    first, last = text_fold(fields.get("first_name", "")), text_fold(fields.get("last_name", ""))
    return {
        "address_key": (
            crypto.keyed_hash(scope=scope, value=f"address:{street}|{house}")
            if street and house
            else None
        ),
        "guardian_key": (
            crypto.keyed_hash(scope=scope, value="guardian:" + guardian)
            if guardian and person.guardian_role
            else None
        ),
        "lookup_key": (
            lookup_key(
                crypto=crypto,
                edition_id=edition_id,
                first=first,
                last=last,
                street=street,
                house=house,
            )
            if first and last and street and house
            else None
        ),
        "birth_order": (birth_order(crypto, edition_id, person.born) if person.born else None),
    }


def lookup_key(
    *, crypto: Crypto, edition_id: int, first: str, last: str, street: str, house: str
) -> str:
    """The blind index of a resident by name and address (``house`` without the flat is
    enough: "12/3" and "12" find the same person; a verifier's "12 m. 3" or "012" too, read
    as the identity form reads it)."""
    house = house_number_normalise(house) or house.replace(" ", "").upper()
    building = house.split("/")[0]
    value = f"lookup:{text_fold(first)}|{text_fold(last)}|{text_fold(street)}|{building}"
    return crypto.keyed_hash(scope=f"edition:{edition_id}", value=value)
