"""An edition nobody tried before: honest residents behind shared networks, and frauds
that hide in shapes the town scenario does not have.

Every ballot is cast through the real HTTP flow, from its own client address and browser,
as a browser would (pages, then their style sheet and script), and its session's requests
are then moved to the resident's moment, spaced as a person reads and types (or, for the
bots, as their authors made them pace). The moments are Polish evening hours, a night at
3 a.m. and the night the clocks go back (25 October 2026).

Honest:
- ``cgnat``: 24 residents on one mobile operator's carrier-grade NAT address, each with
  their own phone, home and choices, over several evenings;
- ``campus``: 30 staff and students of a university behind five NAT addresses of one /24,
  the same desktop image (one browser string), over office hours;
- ``home``: residents alone at home, some in the hour the clocks go back;
- ``centenarian``: a 110-year-old at home.

Fraud:
- ``ipv6``: one phone rotating its IPv6 privacy address in one /64, eight identities;
- ``phone``: one phone number typed three ways for three households;
- ``guardian``: one guardian's name voting for six infants at two addresses;
- ``rotator``: a bot at one home address rotating its user agent, paced like a person;
- ``night``: a burst at 3 a.m. from a few addresses of one /24, all the same choices.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.factories.editions import edition_create
from tests.factories.voting import vote
from tests.fraud.factories import session_move
from urna.editions.models import Edition

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36"
)
PHONES = [
    "Mozilla/5.0 (Linux; Android 14; SM-A556B) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 Chrome/130.0 Mobile",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
]
CGNAT_IP = "37.248.160.5"
CAMPUS = "150.254.64.{}"
IPV6_PREFIX = "2a01:110f:4e2:7c00:"
ROTATOR_IP = "89.64.10.77"
NIGHT_NET = "31.0.5.{}"
ASSETS = ("/static/css/urna.css", "/static/vendor/htmx-2.0.11.min.js", "/static/js/urna.js")
STREETS = ["ul. Lipowa", "ul. Łąkowa", "ul. Słoneczna"]
CHOICES = {"ul. Lipowa": ["N1", "N2"], "ul. Łąkowa": ["N1", "N2"], "ul. Słoneczna": ["S1"]}
WARSAW = ZoneInfo("Europe/Warsaw")
# The night the clocks go back: 02:00-03:00 happens twice (CEST, then CET).
DST_FIRST = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
DST_SECOND = DST_FIRST + timedelta(hours=1)


@dataclass
class Visit:
    group: str
    ip: str
    agent: str
    who: dict[str, str]
    choices: list[str]
    at: datetime  # the cast, UTC
    gaps: list[float] = field(default_factory=list)


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of October 2026 in Polish time, as UTC."""
    return datetime(2026, 10, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


def world(rng: random.Random) -> list[Visit]:
    """The edition's ballots, honest ones first (deterministic for a seeded ``rng``)."""
    visits: list[Visit] = []
    houses = iter(range(10, 10_000))

    def who(street: str | None = None, born: date | None = None, **more: str) -> dict:
        born = born or date(rng.randint(1950, 2004), rng.randint(1, 12), 11)
        return {
            "first_name": rng.choice(["Anna", "Jan", "Zofia", "Łukasz", "Maria", "Piotr"]),
            "last_name": "Nowy" + "".join(rng.choice("abcdefghijklmnoprstuwz") for _ in range(7)),
            "street": street or rng.choice(STREETS),
            "house_number": str(next(houses)),
            "birth_date": born.isoformat(),
            "phone": f"69{rng.randint(0, 9_999_999):07d}",
        } | more

    def add(group: str, ip: str, agent: str, person: dict, at: datetime, choices=None, pace=30):
        if choices is None:  # a person's own mind: one or two city projects, one nearby
            choices = rng.sample(["C1", "C2", "C3"], rng.randint(1, 2))
            choices += rng.sample(CHOICES[person["street"]], 1)
        gaps = [rng.uniform(pace, 4 * pace) for _ in range(5)]
        visits.append(Visit(group, ip, agent, person, choices, at, gaps))

    for i in range(24):
        add("cgnat", CGNAT_IP, PHONES[i % 4], who(), _local(20 + i % 8, 18 + i % 4, i * 2))
    for i in range(30):
        at = _local(20 + i % 10, 9 + i % 7, rng.randint(0, 59))
        add("campus", CAMPUS.format(10 + i % 5), CHROME.format(v=131), who(), at)
    for i in range(30):
        at = _local(20 + i % 11, 7 + i % 15, rng.randint(0, 59))
        if i < 6:  # three in each of the two hours 02:00-03:00 of 25 October
            at = (DST_FIRST if i < 3 else DST_SECOND) + timedelta(minutes=10 * (i % 3))
        add("home", f"83.{20 + i}.{rng.randint(0, 255)}.9", PHONES[i % 4], who(), at)
    add("centenarian", "83.99.1.2", PHONES[0], who(born=date(1916, 3, 2)), _local(22, 11))

    for i in range(8):  # one phone: a new privacy address in its /64 for every identity
        ip = IPV6_PREFIX + ":".join(f"{rng.randint(1, 65535):x}" for _ in range(4))
        at = _local(26, 21, 6 * i)
        add("ipv6", ip, PHONES[1], who(street="ul. Lipowa"), at, ["C1", "N1"], pace=25)
    for i, typed in enumerate(["+48 600 100 200", "0048600100200", "600-100-200"]):
        add("phone", f"83.77.{i}.9", PHONES[i], who(phone=typed), _local(23, 19 + i))
    for i in range(6):  # infants born this year, at two addresses, all by one "guardian"
        street = "ul. Lipowa" if i % 2 else "ul. Łąkowa"
        infant = who(street, date(2026, 1 + i, 5 + 3 * i), guardian_name="Jan Opiekuński")
        infant |= {"guardian_declaration": "on_behalf", "house_number": "7" if i % 2 else "15"}
        add("guardian", "83.88.4.4", PHONES[2], infant, _local(24, 20, 5 * i), ["C3", "N2"])
    for i in range(10):  # a new browser string each time, a person's pace
        at = _local(27, 13) + timedelta(minutes=17 * i + rng.randint(0, 5))
        person = who(street="ul. Słoneczna")
        add("rotator", ROTATOR_IP, CHROME.format(v=120 + i), person, at, ["C2", "S1"], pace=35)
    for i in range(24):  # 3 a.m., four addresses of one /24, all alike
        at = _local(28, 3, i)
        person = who(street="ul. Łąkowa")
        add("night", NIGHT_NET.format(40 + i % 4), PHONES[i % 4], person, at, ["C3", "N2"], 8)
    return visits


async def cast(app, slug: str, visit: Visit) -> int:
    """Cast ``visit`` through the flow from its address and browser (pages, then what
    they load); move its session's requests to its moment; return the ballot's id."""
    transport = httpx.ASGITransport(app=app, client=(visit.ip, 40000))
    headers = {"User-Agent": visit.agent}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/", headers=headers)
        await http.get(f"/e/{slug}", headers=headers)
        await http.get(f"/e/{slug}/vote", headers=headers)  # the clause opens the session
        for url in ASSETS:
            await http.get(url, headers=headers)
        response = await vote(http, app, slug, visit.who, visit.choices, headers=headers)
        assert response.status_code == 303, response.text[:2000]
    return await session_move(app, response.headers["x-request-id"], visit.at, visit.gaps)


async def newcomer_edition(app) -> tuple[Edition, dict[int, str]]:
    """The edition (open since 19 October 2026, three ballots per phone) with every
    visit cast; returns it and ballot id → group."""
    edition = await edition_create(
        app, max_ballots_per_contact=3, voting_opens_at="2026-10-19T00:00:00+02:00"
    )
    groups = {}
    for visit in world(random.Random(7)):
        groups[await cast(app, edition.slug, visit)] = visit.group
    return edition, groups


def case_of(scan: dict, groups: dict[int, str], group: str) -> int:
    """The id of the case (in ``urna fraud scan --json``) holding the group's ballots."""
    [case] = [c for c in scan["cases"] if {groups[b["id"]] for b in c["ballots"]} == {group}]
    return case["id"]
