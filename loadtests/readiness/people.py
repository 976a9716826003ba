"""Generated residents: valid PESELs, Polish mobile numbers, the edition's streets, and an
address of their own (sent as X-Forwarded-For by the generator, a trusted proxy). A
replayed pabulib voter keeps the file's age (and sex, in the PESEL's sex digit); a minor
comes with a parent or guardian, as the identity form asks."""

from __future__ import annotations

import ipaddress
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stdnum.pl import pesel as stdnum_pesel

FIRST = ["Anna", "Piotr", "Maria", "Krzysztof", "Zofia", "Tomasz", "Ewa", "Jan", "Ola", "Marek"]
LAST = ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska"]
# 198.18.0.0/15 is set aside for benchmarking (RFC 2544): never a real resident.
ADDRESSES = ipaddress.ip_network("198.18.0.0/15")
# A street register for an edition that has none (a pabulib file names no streets): the
# most common street names of Polish towns.
STREETS = [
    "ul. Lipowa", "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna",
    "ul. Ogrodowa", "ul. Łąkowa", "ul. Kwiatowa", "ul. Brzozowa", "ul. Parkowa",
    "ul. Kościelna", "ul. Akacjowa", "ul. Sienkiewicza", "ul. Mickiewicza", "ul. Kolejowa",
    "ul. Różana", "ul. Wiśniowa", "ul. Spacerowa", "ul. Klonowa", "ul. Jana Pawła II",
    "ul. Kopernika", "ul. Słowackiego", "ul. Żeromskiego", "ul. 3 Maja",
    "ul. Piłsudskiego", "ul. Świerkowa", "ul. Dębowa", "ul. Górna", "ul. Zielona",
]  # fmt: skip
# Each run starts at its own place: phones and addresses of an earlier run against the same
# staging copy are still under its per-contact limits.
_serial = itertools.count(1 + random.SystemRandom().randrange(5_000_000))
_pesels: set[str] = set()  # every PESEL given out in this run: a PESEL is one person


@dataclass(frozen=True)
class Resident:
    first_name: str
    last_name: str
    street: str
    house_number: str
    birth_date: date
    pesel: str
    phone: str
    ip: str
    guardian: str | None = None  # "on_behalf" under 13, "consent" from 13 to 17

    def form(self) -> dict[str, str]:
        fields = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "street": self.street,
            "house_number": self.house_number,
            "birth_date": self.birth_date.isoformat(),
            "pesel": self.pesel,
            "phone": self.phone,
        }
        if self.guardian:
            fields |= {"guardian_name": "Ewa Nowak", "guardian_declaration": self.guardian}
        return fields


def pesel_for(born: date, serial: int, female: bool | None = None) -> str:
    """A PESEL with a valid check digit (months offset by century, as the standard says);
    its tenth digit is even for a woman. Never one given out before in this run."""
    month = born.month + (20 if born.year >= 2000 else 0)
    while True:
        number = serial % 10000
        if female is not None and number % 2 != (0 if female else 1):
            number = (number + 1) % 10000
        body = f"{born.year % 100:02d}{month:02d}{born.day:02d}{number:04d}"
        pesel = body + stdnum_pesel.calc_check_digit(body)
        if pesel not in _pesels:
            _pesels.add(pesel)
            return pesel
        serial += 2


def born_aged(age: int, today: date, rng: random.Random) -> date:
    """A birth date on which a person is ``age`` years old ``today``."""
    latest = _years_before(today, age)  # the birthday this year
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _guardian(born: date, today: date) -> str | None:
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age >= 18:
        return None
    return "on_behalf" if age < 13 else "consent"


def letters(n: int) -> str:
    """A whole number as letters ("Bac"): names take letters only."""
    alphabet = "abcdefghijklmnoprstuwz"
    out = ""
    while True:
        n, digit = divmod(n, len(alphabet))
        out = alphabet[digit] + out
        if n == 0:
            return out.capitalize()


def resident(
    streets: list[str],
    rng: random.Random,
    *,
    age: int | None = None,
    sex: str | None = None,
    today: date | None = None,
) -> Resident:
    """A new, distinct resident; ``age`` and ``sex`` (pabulib's M/F/K) when the file says."""
    n = next(_serial)
    today = today or datetime.now(UTC).date()  # the server counts ages in UTC
    if age is not None and 0 <= age <= 110:
        born = born_aged(age, today, rng)
    else:
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    female = {"m": False, "f": True, "k": True}.get((sex or "").strip().lower())
    return Resident(
        first_name=rng.choice(FIRST),
        # A number in the name keeps every identity distinct, as real residents are.
        last_name=f"{rng.choice(LAST)}-{letters(n)}",
        street=rng.choice(streets) if streets else "ul. Lipowa",
        house_number=str(rng.randint(1, 150)),
        birth_date=born,
        pesel=pesel_for(born, n, female),
        phone="+4869" + f"{(n * 7919) % 10_000_000:07d}",
        ip=str(ADDRESSES[(n * 2654435761) % ADDRESSES.num_addresses]),
        guardian=_guardian(born, today),
    )
