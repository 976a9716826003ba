"""The kinds of signal: which ballots form a group, when a group is suspicious, how much.

Each kind groups the ballots of the scan's scope (``fraud_scope``: one row per ballot with
its facts and its voter's keyed hashes, never a clear identity) by a key. A group fires
when it reaches the kind's floor and passes its extra test; the floors are set above
what honest groups reach:

- a family is 2-4 residents at one address, one home IP and often one computer: below
  the IP (6), IP + browser (5), address (6) and identical-choices (5) floors;
- a mobile operator's shared /24 has many addresses with a few ballots each: the /24
  fires only when it averages 3 or more ballots per address;
- a school's parents voting for their school's project from their own phones share
  neither an address, a network nor a browser, and read and type at a person's pace;
- a person's browser, however old or embedded in an app, is never taken for a program
  (``agents``): a single ballot cast by one fires, as a data-centre ballot does.

"One IP address" (``s.ip``, and the address in ``s.ipua``) is an IPv6 address's /64
(``dialect.host_of``): one line, whose device rotates its privacy address within it.

A signal's score, only the order of the verifiers' queue, is ``scoring``'s; scores
combine within a case (``cases.case_score``).
"""

from __future__ import annotations

from dataclasses import dataclass

from urna.core.i18n import N_

HOUR = 3600
HISTORY = 14 * 86400
PACE_FAST = 20.0  # seconds from the information clause to the cast: nobody reads and types it
PACE_BOT = 5.0  # a single ballot this fast is a script
NETWORK = "s.ip IS NOT NULL AND s.allowed IS NULL"


@dataclass(frozen=True)
class Kind:
    name: str
    key: str  # SQL over the scope row ``s``
    where: str
    floor: int
    weight: float
    label: str  # what the console calls the kind (its evidence message says the rest)
    message: str
    having: str = ""  # SQL over the group ``s``
    timed: bool = True  # does the time shape of the group matter to the score
    # a group of one address or network, which people sharing it make too: its busiest
    # hour is compared with the edition's traffic, and a shared network's shape lowers it
    traffic: bool = False

    @property
    def prefix(self) -> str:
        """The literal every key of this kind starts with (``'ip:' || s.ip`` → ``ip:``)."""
        return self.key.split("'")[1]


# The kinds that group by more than one key (an IP, a network, an address) are called
# alike whichever of their keys fired.
AGE_LABEL = N_("People aged 100 or more")
CHOICES_LABEL = N_("Identical choices")

KINDS: tuple[Kind, ...] = (
    Kind(
        "ip",
        "'ip:' || s.ip",
        NETWORK,
        floor=6,
        traffic=True,
        weight=1.0,
        label=N_("Many ballots from one IP address"),
        message=N_(
            "Ballots from the IP address %(label)s: %(n)s, between %(first)s and %(last)s; "
            "in its busiest hour %(peak)s (%(share)s%% of all the edition's ballots in that "
            "hour); in the 14 days before: %(prior)s. Browsers: %(browsers)s, different "
            "choice sets: %(sets)s."
        ),
    ),
    Kind(
        "ip_browser",
        "'ipua:' || s.ipua",
        NETWORK,
        floor=5,
        traffic=True,
        weight=0.8,
        label=N_("One browser at one IP address"),
        message=N_(
            "Ballots from one browser (%(browser)s) at the IP address %(label)s: %(n)s, "
            "between %(first)s and %(last)s; in its busiest hour %(peak)s; in the 14 days "
            "before: %(prior)s. Different choice sets: %(sets)s."
        ),
    ),
    Kind(
        "network",
        "'net:' || s.net",
        f"{NETWORK} AND s.whole_net = 1",  # all the network's ballots are in the scope
        floor=12,
        traffic=True,
        weight=0.8,
        having="count(DISTINCT s.ip) >= 2 AND count(*) >= 3 * count(DISTINCT s.ip)",
        label=N_("Many ballots from one network"),
        message=N_(
            "Ballots from the network %(label)s: %(n)s, from IP addresses: %(addresses)s, "
            "between %(first)s and %(last)s; in its busiest hour %(peak)s; in the 14 days "
            "before: %(prior)s. Different choice sets: %(sets)s."
        ),
    ),
    Kind(
        "datacenter",
        "'dc:' || s.datacenter",
        "s.datacenter IS NOT NULL AND s.allowed IS NULL",
        floor=1,
        weight=1.5,
        timed=False,
        label=N_("Data-centre or anonymiser network"),
        message=N_(
            "Ballots from %(label)s, a listed data-centre or anonymiser network: %(n)s, "
            "between %(first)s and %(last)s."
        ),
    ),
    Kind(
        "pace",
        "'pace:' || s.net",
        f"s.net IS NOT NULL AND s.allowed IS NULL AND s.pace < {PACE_FAST}",
        floor=1,
        weight=1.0,
        having=f"count(*) >= 2 OR min(s.pace) < {PACE_BOT}",
        label=N_("Faster than a person reads and types"),
        message=N_(
            "Ballots from the network %(label)s cast %(fastest)s-%(slowest)s seconds after "
            "the information clause was opened, faster than a person reads and types: "
            "%(n)s, between %(first)s and %(last)s."
        ),
    ),
    Kind(
        "no_page_views",
        "'noviews:' || s.net",
        "s.net IS NOT NULL AND s.allowed IS NULL AND s.views = 0",
        floor=2,
        weight=0.8,
        label=N_("No page loaded before the vote"),
        message=N_(
            "Ballots from the network %(label)s cast in sessions that loaded no page, style "
            "or image before the vote: %(n)s, between %(first)s and %(last)s."
        ),
    ),
    Kind(
        "program",
        "'bot:' || s.net || '|' || s.program",
        "s.net IS NOT NULL AND s.program IS NOT NULL",
        floor=1,
        # near certain that a program cast it, yet one ballot alone may be one person's
        # own: above the network kinds, below a data centre, raised as the group grows
        weight=1.2,
        timed=False,
        label=N_("Not a web browser"),
        message=N_(
            "Ballots from the network %(label)s cast by a program, not a person's web "
            "browser (%(client)s; user agent: %(agent)s; different user agents: %(agents)s): "
            "%(n)s, between %(first)s and %(last)s."
        ),
    ),
    Kind(
        "timing",
        "'timing:' || s.timing",
        "s.timing IS NOT NULL",
        floor=3,
        weight=1.0,
        label=N_("Identical timing of the voting steps"),
        message=N_(
            "Ballots that went through the voting steps with identical timing (%(label)s "
            "seconds between steps): %(n)s, from IP addresses: %(addresses)s, between "
            "%(first)s and %(last)s."
        ),
    ),
    Kind(
        "contact",
        "'contact:' || s.contact_key",
        "s.contact_key IS NOT NULL",
        floor=2,
        weight=1.0,
        timed=False,
        having="count(DISTINCT s.address_key) >= 2 OR count(*) >= 4",
        label=N_("One phone or e-mail for many households"),
        message=N_(
            "One phone number or e-mail address confirmed ballots: %(n)s, of different "
            "households: %(households)s."
        ),
    ),
    Kind(
        "address",
        "'address:' || s.address_key",
        "s.address_key IS NOT NULL",
        floor=6,
        weight=1.0,
        timed=False,
        label=N_("Many people at one address"),
        message=N_("Different people who voted from one address (one flat or house): %(n)s."),
    ),
    Kind(
        "guardian",
        "'guardian:' || s.guardian_key",
        "s.guardian_key IS NOT NULL AND s.guardian_role = 'on_behalf'",
        floor=3,
        weight=1.0,
        timed=False,
        having="count(*) >= 4 OR count(DISTINCT s.address_key) >= 2",
        label=N_("One guardian for many children"),
        message=N_(
            "Ballots cast by one guardian's name on behalf of children under 13: %(n)s, at "
            "addresses: %(households)s; children under one year old among them: %(infants)s."
        ),
    ),
    Kind(
        "minors",
        "'minors:' || s.address_key",
        "s.address_key IS NOT NULL AND s.age_band = '0-12'",
        floor=4,
        weight=0.8,
        timed=False,
        label=N_("Many children under 13 at one address"),
        message=N_(
            "Ballots for children under 13 from one address: %(n)s; children under one year "
            "old among them: %(infants)s."
        ),
    ),
    Kind(
        "age",
        "'age:ip:' || s.ip",
        f"{NETWORK} AND s.birth_order <= :old_bound",
        floor=2,
        weight=1.2,
        label=AGE_LABEL,
        message=N_(
            "Ballots of people aged 100 or more from the IP address %(label)s: %(n)s, "
            "between %(first)s and %(last)s."
        ),
    ),
    Kind(
        "age",
        "'age:address:' || s.address_key",
        "s.address_key IS NOT NULL AND s.birth_order <= :old_bound",
        floor=2,
        weight=1.2,
        timed=False,
        label=AGE_LABEL,
        message=N_("Ballots of people aged 100 or more from one address: %(n)s."),
    ),
    Kind(
        "choices",
        "'choices:ip:' || s.ip || '#' || s.choice_set",
        f"{NETWORK} AND s.choice_set <> ''",
        floor=5,
        weight=0.8,
        label=CHOICES_LABEL,
        message=N_(
            "Ballots with the same choices (%(choices)s) from the IP address %(label)s: "
            "%(n)s, between %(first)s and %(last)s; in the busiest hour %(peak)s."
        ),
    ),
    Kind(
        "choices",
        "'choices:net:' || s.net || '#' || s.choice_set",
        f"{NETWORK} AND s.choice_set <> ''",
        floor=8,
        weight=0.8,
        having="count(DISTINCT s.ip) >= 2 AND count(*) >= 2 * count(DISTINCT s.ip)",
        label=CHOICES_LABEL,
        message=N_(
            "Ballots with the same choices (%(choices)s) from the network %(label)s: %(n)s, "
            "from IP addresses: %(addresses)s, between %(first)s and %(last)s; in the "
            "busiest hour %(peak)s."
        ),
    ),
    Kind(
        "choices",
        "'choices:address:' || s.address_key || '#' || s.choice_set",
        "s.address_key IS NOT NULL AND s.choice_set <> ''",
        floor=5,
        weight=0.8,
        label=CHOICES_LABEL,
        message=N_(
            "People at one address who chose the same projects (%(choices)s): %(n)s, "
            "between %(first)s and %(last)s."
        ),
    ),
)

# What a scan said before the browser was named: a decided case's signals keep it.
RETIRED_MESSAGES = (
    N_(
        "Ballots from one browser at the IP address %(label)s: %(n)s, between %(first)s "
        "and %(last)s; in its busiest hour %(peak)s; in the 14 days before: %(prior)s. "
        "Different choice sets: %(sets)s."
    ),
)

# What the evidence says about any group (each kind's message names those it uses).
DESCRIPTION = """count(DISTINCT s.ipua) AS browsers, count(DISTINCT s.choice_set) AS sets,
    count(DISTINCT s.ip) AS addresses, count(DISTINCT s.address_key) AS households,
    sum(CASE WHEN s.birth_order >= :infant_bound THEN 1 ELSE 0 END) AS infants,
    min(s.pace) AS fastest, max(s.pace) AS slowest"""

# Birth dates in sequence: within one IP, address or guardian, ballots whose dates of
# birth are 1-2 days from the next one; 3 such ballots fire (twins, 0 days apart, do not).
BIRTHS_NAME = "births"
BIRTHS_LABEL = N_("Dates of birth day after day")
BIRTHS_FLOOR = 3
BIRTHS_STEP = (1, 2)
BIRTHS_WEIGHT = 1.2
BIRTHS_MESSAGES = {
    "ip": N_(
        "Ballots from the IP address %(label)s whose dates of birth follow one another day "
        "by day: %(n)s."
    ),
    "address": N_(
        "Ballots from one address whose dates of birth follow one another day by day: %(n)s."
    ),
    "guardian": N_(
        "Ballots cast by one guardian for children whose dates of birth follow one another "
        "day by day: %(n)s."
    ),
}

# A burst for one project: a day with at least BURST_MIN ballots for it and BURST_FACTOR
# times (+1) its average of the days before (up to 7), once the project has 3 days of
# history; it fires only when networks that each gave at least a fifth of that day's
# ballots (and BURST_NET_MIN) hold BURST_CONCENTRATION of them. A school's parents on
# their own phones make a burst, but not a concentrated one.
BURST_NAME = "burst"
BURST_LABEL = N_("Sudden burst of votes for a project")
BURST_MIN = 20
BURST_FACTOR = 3.0
BURST_HISTORY_DAYS = 3
BURST_NET_MIN = 5
BURST_NET_SHARE = 0.2
BURST_CONCENTRATION = 0.5
BURST_WEIGHT = 1.0
BURST_MESSAGE = N_(
    "Ballots for project %(project)s on %(day)s: %(n)s (in the week before, %(baseline)s a "
    "day on average); from a few networks (e.g. %(label)s; networks: %(networks)s): "
    "%(concentrated)s."
)


def kind_of(key: str) -> Kind:
    """The kind a key belongs to (keys start with their kind's prefix; no prefix starts
    another)."""
    return next(kind for kind in KINDS if key.startswith(kind.prefix))


def key_label(key: str) -> str:
    """What a key may show: an IP, a network, a CIDR or a timing pattern; a keyed hash
    (address, contact, guardian) shows nothing."""
    prefix, rest = key.split(":", 1)
    if prefix in ("address", "contact", "guardian", "minors"):
        return ""
    if prefix in ("age", "births", "choices"):
        group, value = rest.split(":", 1)
        return "" if group in ("address", "guardian") else value.split("#", 1)[0]
    if prefix in ("ipua", "bot"):
        return rest.split("|", 1)[0]
    return rest


# What each kind is called on the console's pages, read from the kinds' definitions: those
# of ``KINDS`` and the two the scan finds by queries of their own (births, burst).
_LABELS: dict[str, str] = {kind.name: kind.label for kind in KINDS} | {
    BIRTHS_NAME: BIRTHS_LABEL,
    BURST_NAME: BURST_LABEL,
}


def kind_label(name: str) -> str:
    """The msgid naming a kind of signal (its own name for a kind no longer defined)."""
    return _LABELS.get(name, name)
