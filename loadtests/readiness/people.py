"""Generated residents: valid PESELs, Polish mobile numbers, the edition's streets, and an
address of their own (sent as X-Forwarded-For by the generator, a trusted proxy)."""

from __future__ import annotations

import ipaddress
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.pl import pesel as stdnum_pesel

FIRST = ["Anna", "Piotr", "Maria", "Krzysztof", "Zofia", "Tomasz", "Ewa", "Jan", "Ola", "Marek"]
LAST = ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska"]
# 198.18.0.0/15 is set aside for benchmarking (RFC 2544): never a real resident.
ADDRESSES = ipaddress.ip_network("198.18.0.0/15")
_serial = itertools.count(1)


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

    def form(self) -> dict[str, str]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "street": self.street,
            "house_number": self.house_number,
            "birth_date": self.birth_date.isoformat(),
            "pesel": self.pesel,
            "phone": self.phone,
        }


def pesel_for(born: date, serial: int) -> str:
    """A PESEL with a valid check digit (months offset by century, as the standard says)."""
    month = born.month + (20 if born.year >= 2000 else 0)
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial % 10000:04d}"
    return body + stdnum_pesel.calc_check_digit(body)


def letters(n: int) -> str:
    """A whole number as letters ("Bac"): names take letters only."""
    alphabet = "abcdefghijklmnoprstuwz"
    out = ""
    while True:
        n, digit = divmod(n, len(alphabet))
        out = alphabet[digit] + out
        if n == 0:
            return out.capitalize()


def resident(streets: list[str], rng: random.Random) -> Resident:
    n = next(_serial)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    return Resident(
        first_name=rng.choice(FIRST),
        # A number in the name keeps every identity distinct, as real residents are.
        last_name=f"{rng.choice(LAST)}-{letters(n)}",
        street=rng.choice(streets) if streets else "ul. Lipowa",
        house_number=str(rng.randint(1, 150)),
        birth_date=born,
        pesel=pesel_for(born, n),
        phone="+4869" + f"{(n * 7919) % 10_000_000:07d}",
        ip=str(ADDRESSES[(n * 2654435761) % ADDRESSES.num_addresses]),
    )
