"""The address of the identity form: the street from the municipal register and the house
number, and the area they give (a split street's by the house number's range:
``editions.street_ranges``). Read for ``schemas.IdentityForm``; its messages worded for
the resident and for the operator typing a paper ballot (``Wording``)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationInfo

from urna.core.forms import form_error
from urna.core.i18n import N_
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import street_lookup
from urna.voting.identity import building_number, house_number_normalise
from urna.voting.wording import Wording

NOT_IN_REGISTER = Wording(
    N_("This street is not in the register of the municipality. Choose it from the list."),
    N_("This street is not in the register of the municipality. Check how the ballot writes it."),
)
NOT_ON_STREET = Wording(
    N_(
        "The register of the municipality has no house number %(number)s for this street: "
        "%(street)s. Check the house number and the street."
    ),
    N_(
        "The register of the municipality has no such house number for the street written "
        "on the ballot. Check the number and the street on the ballot."
    ),
)
STREET_MISSING = Wording(
    N_("Choose your street from the list."), N_("Type the street written on the ballot.")
)


def street_read(typed: str, info: ValidationInfo) -> str:
    street = street_lookup(info.context.streets, typed)
    if street is None:
        raise form_error(NOT_IN_REGISTER.to(info.context.audience))
    return street.name  # the register's spelling: "lipowa" and "UL. LIPOWA" are one street


def house_read(typed: str, info: ValidationInfo) -> str:
    """The house number in one form; on a split street (read before it), one that a range
    of the street holds."""
    house = house_number_normalise(typed)  # "012/03" and "12 m. 3" are "12/3": one person
    if house is None:
        raise form_error(N_("Give the house number, e.g. 12, 12A or 12/3."))
    street = info.data.get("street")  # the register's name, when it was found there
    found = street_lookup(info.context.streets, street) if street else None
    if found is not None and found.area_of(building_number(house)) is None:
        message = NOT_ON_STREET.to(info.context.audience)  # the operator's names no street
        raise form_error(message, street=found.name, number=house.split("/")[0])
    return house


def address_area(
    streets: Mapping[str, RegisterStreet], street: str | None, house: str | None
) -> int | None:
    """The area of a checked address: its street's, or a split street's range's."""
    found = street_lookup(streets, street) if street else None
    if found is None:
        return None
    return found.area_of(building_number(house)) if house else found.area_id
