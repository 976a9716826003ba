"""A town's vote over ten days: honest residents and the frauds Polish cities found.

Honest: single residents at home, families (2-4 at one address and one home IP, often
one computer and the same choices), a mobile operator's shared /24, a school's parents
mobilised one evening for their school's project from their own phones, the town hall's
kiosk (on the allow-list), a centenarian, paper ballots.

Attacks: Wrocław (320 ballots from one IP with 65 phone numbers, ages 90-120, a last-day
burst for two projects), Lublin (40 ballots for the same three projects from one
computer in a day), Ciechanów (newborns "voting": one guardian's name for many infants
born on consecutive days; seven identities at one address), a script in a data centre
(a library's user agent, no page views, inhuman pace, identical timing).

Deterministic (a seeded generator); ``http`` marks the residents cast over HTTP."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.fraud.factories import STREETS, Resident

FIRST = [
    "Anna",
    "Jan",
    "Zofia",
    "Łukasz",
    "Maria",
    "Piotr",
    "Ewa",
    "Tomasz",
    "Agnieszka",
    "Krzysztof",
    "Katarzyna",
    "Marek",
    "Magdalena",
    "Paweł",
    "Joanna",
    "Michał",
]
SYLLABLES = [
    "kow",
    "now",
    "ski",
    "wiec",
    "lew",
    "mar",
    "zak",
    "dab",
    "rut",
    "pol",
    "ska",
    "cki",
    "bor",
    "wal",
    "sik",
    "czyk",
]
DESKTOP = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.0 Safari",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/129.0 Safari/537.36",
]
MOBILE = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Version/18.1 Mobile Safari",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Version/17.6 Mobile Safari",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) Chrome/129.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; moto g62) Chrome/128.0 Mobile Safari/537.36",
]
# Poland's mobile ranges (the national numbering plan, as the ``phonenumbers`` package
# types them MOBILE): 9 digits, the first two one of these.
MOBILE_PREFIXES = ["45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"]
MOBILE_NET = "37.47.12"  # a mobile operator's shared /24
KIOSK_IP = "212.160.1.10"  # the town hall's kiosk, on the allow-list
DATACENTER = "51.68.10.0/24"  # a hosting provider, in URNA_FRAUD_DATACENTER_CIDRS
WROCLAW_IP, LUBLIN_IP = "185.40.5.17", "91.204.3.9"
AREA_OF = {"ul. Lipowa": "N", "ul. Łąkowa": "N", "ul. Słoneczna": "S"}
DISTRICT = {"N": ["N1", "N2"], "S": ["S1"]}
SCHOOL_PROJECT = "N2"


@dataclass
class Scenario:
    residents: list[Resident]
    http: set[int]  # indexes of residents cast over HTTP

    def groups(self) -> set[str]:
        return {r.group for r in self.residents}


class _Town:
    def __init__(self, now: datetime, seed: int = 2025) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=10)
        self.phones: set[str] = set()
        self.houses: set[tuple[str, str]] = set()
        self.ips: set[str] = set()

    def name(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(3)).capitalize()

    def phone(self) -> str:
        """A mobile number (the code goes by SMS: a landline is refused at identity)."""
        while True:
            digits = "".join(str(self.rng.randint(0, 9)) for _ in range(7))
            number = self.rng.choice(MOBILE_PREFIXES) + digits
            if number not in self.phones:
                self.phones.add(number)
                return number

    def house(self, street: str | None = None) -> tuple[str, str]:
        while True:
            street = street or self.rng.choice(STREETS)
            house = f"{self.rng.randint(1, 300)}/{self.rng.randint(1, 40)}"
            if (street, house) not in self.houses:
                self.houses.add((street, house))
                return street, house

    def home_ip(self) -> str:
        while True:
            ip = (
                f"{self.rng.choice([83, 89, 178, 188, 46])}.{self.rng.randint(0, 255)}."
                f"{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            )
            if ip not in self.ips:
                self.ips.add(ip)
                return ip

    def adult(self) -> date:
        return date(self.rng.randint(1945, 2005), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def moment(self, day: float | None = None, hours: tuple[int, int] = (7, 22)) -> datetime:
        day = self.rng.randint(0, 9) if day is None else day
        at = self.start + timedelta(days=day, hours=self.rng.uniform(*hours))
        return min(at, self.now - timedelta(minutes=30))

    def human(self) -> list[float]:
        return [
            self.rng.uniform(8, 90),
            self.rng.uniform(30, 150),
            self.rng.uniform(10, 60),
            self.rng.uniform(10, 200),
            self.rng.uniform(3, 30),
        ]

    def picks(self, street: str) -> list[str]:
        chosen = self.rng.sample(["C1", "C2", "C3"], self.rng.choice([1, 1, 2]))
        if self.rng.random() < 0.7:
            chosen.append(self.rng.choice(DISTRICT[AREA_OF[street]]))
        return sorted(chosen)

    def resident(self, group: str, **values) -> Resident:
        street, house = values.pop("address", None) or self.house()
        defaults = dict(
            first_name=self.rng.choice(FIRST),
            last_name=self.name(),
            street=street,
            house=house,
            born=self.adult(),
            phone=self.phone(),
            at=self.moment(),
            choices=self.picks(street),
            ip=self.home_ip(),
            user_agent=self.rng.choice(DESKTOP),
            gaps=self.human(),
        )
        return Resident(group=group, **(defaults | values))


def _honest(town: _Town) -> list[Resident]:
    rng = town.rng
    out = [town.resident("honest:single") for _ in range(400)]
    for index in range(50):  # families at one address, one home IP, one evening
        address, ip = town.house(), town.home_ip()
        size = 2 if index % 10 == 5 else rng.choice([2, 2, 3, 3, 4])
        evening, computer = town.moment(hours=(18, 21)), rng.choice(DESKTOP)
        shared = town.picks(address[0])
        last = town.name()
        born_twins = date(rng.randint(2000, 2006), 5, 17)
        home = {"address": address, "ip": ip, "last_name": last}
        names = rng.sample(FIRST, size)  # no family gives two of its members one name

        for rank in range(size):
            born = born_twins if index % 10 == 0 and rank >= size - 2 else town.adult()
            out.append(
                town.resident(
                    "honest:family",
                    **home,
                    first_name=names[rank],
                    born=born,
                    at=evening + timedelta(minutes=20 * rank),
                    user_agent=computer if rank % 2 == 0 else rng.choice(MOBILE),
                    choices=shared if rng.random() < 0.6 else town.picks(address[0]),
                )
            )
        if index % 10 == 5:  # a parent votes on behalf of two small children
            parent = f"{rng.choice(FIRST)} {last}"
            for child in range(2):
                out.append(
                    town.resident(
                        "honest:family",
                        **home,
                        born=date(2017 + child * 2, rng.randint(1, 12), rng.randint(1, 28)),
                        guardian=parent,
                        at=evening + timedelta(minutes=90 + 10 * child),
                        user_agent=computer,
                        choices=shared,
                    )
                )
    for _ in range(70):  # a mobile operator's /24: many addresses, a few ballots each
        out.append(
            town.resident(
                "honest:mobile",
                ip=f"{MOBILE_NET}.{rng.randint(1, 254)}",
                user_agent=rng.choice(MOBILE),
            )
        )
    evening = 6  # the school's parents, one evening, their own phones
    for _ in range(45):
        street, house = town.house(rng.choice(["ul. Lipowa", "ul. Łąkowa"]))
        network = f"{rng.choice([37, 46, 188])}.{rng.randint(0, 255)}.{rng.randint(0, 40)}"
        choices = sorted([SCHOOL_PROJECT] + rng.sample(["C1", "C2", "C3"], rng.randint(0, 1)))
        out.append(
            town.resident(
                "honest:school",
                address=(street, house),
                ip=f"{network}.{rng.randint(1, 254)}",
                user_agent=rng.choice(MOBILE),
                at=town.moment(evening, (19, 21)),
                choices=choices,
            )
        )
    for day in range(15):  # the town hall's kiosk, one browser, over the days
        out.append(
            town.resident(
                "honest:kiosk",
                ip=KIOSK_IP,
                user_agent=DESKTOP[0],
                at=town.moment(day % 9),
            )
        )
    out.append(town.resident("honest:centenarian", born=date(1924, 3, 2)))
    out += [town.resident("honest:paper", ip=None, user_agent=None) for _ in range(20)]
    return out


def _attacks(town: _Town) -> list[Resident]:
    rng = town.rng
    out = []
    phones = [town.phone() for _ in range(65)]
    last_day = town.now - timedelta(hours=6)
    for i in range(320):  # Wrocław
        out.append(
            town.resident(
                "attack:wroclaw",
                ip=WROCLAW_IP,
                phone=phones[i // 5],
                born=date(rng.randint(1906, 1935), rng.randint(1, 12), rng.randint(1, 28)),
                at=last_day + timedelta(seconds=50 * i),
                choices=["C1", "C2"],
                user_agent=MOBILE[i % 3],
                gaps=[3, 8, 5, 3, 2],
                browsing=i % 2 == 0,
            )
        )
    morning = town.start + timedelta(days=7, hours=8)
    for i in range(40):  # Lublin: one computer, one day, the same three projects
        out.append(
            town.resident(
                "attack:lublin",
                address=town.house(rng.choice(["ul. Lipowa", "ul. Łąkowa"])),
                ip=LUBLIN_IP,
                user_agent=DESKTOP[1],
                at=morning + timedelta(minutes=12 * i),
                choices=["C1", "C3", "N2"],
                gaps=[5, 40, 15, 10, 5],
            )
        )
    guardian = "Grażyna Kaczmarek"
    homes = [town.house() for _ in range(3)]
    for i in range(9):  # Ciechanów: newborns, one guardian, consecutive birthdays
        out.append(
            town.resident(
                "attack:ciechanow",
                address=homes[i % 3],
                born=date(2025, 3, 1) + timedelta(days=i),
                guardian=guardian,
                at=town.moment(5) + timedelta(minutes=i),
                ip=f"37.248.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                user_agent=rng.choice(MOBILE),
            )
        )
    stuffed = town.house()
    for _ in range(7):  # Ciechanów: other people's identities at one address
        out.append(town.resident("attack:identities", address=stuffed))
    for i in range(12):  # a script in a data centre
        out.append(
            town.resident(
                "attack:bot",
                ip=f"51.68.10.{10 + i}",
                user_agent="python-requests/2.31",
                gaps=[0.3, 0.4, 0.3, 0.2, 0.2],
                browsing=False,
                at=town.moment(3) + timedelta(seconds=40 * i),
            )
        )
    return out


def scenario_build(now: datetime) -> Scenario:
    town = _Town(now)
    residents = _honest(town) + _attacks(town)
    http: set[int] = set()
    for group, count in (
        ("honest:single", 4),
        ("honest:school", 2),
        ("honest:mobile", 1),
        ("attack:wroclaw", 3),
        ("attack:lublin", 2),
        ("attack:bot", 2),
    ):
        members = [i for i, r in enumerate(residents) if r.group == group]
        http.update(members[:count])
    return Scenario(residents=residents, http=http)


EXPECTED: dict[str, set[str]] = {
    "attack:wroclaw": {"ip", "ip_browser", "contact", "age", "choices", "burst"},
    "attack:lublin": {"ip", "ip_browser", "choices"},
    "attack:ciechanow": {"guardian", "births"},
    "attack:identities": {"address"},
    "attack:bot": {"datacenter", "pace", "no_page_views", "timing", "program"},
}
