"""Pabulib files nobody here has seen, imported and computed: each vote type and rule, written
in the shapes the format allows, funds what pabutools funds for the file written plainly.

An election is written once plainly (``plain``) and again as another city's tool or an
office's spreadsheet might write it: a byte-order mark and CRLF, columns in another order
with columns Urna does not know, demographic columns, every optional META key. Each is
imported into the database and computed (`results_compute`); pabutools reads the plain text.
Refusals of files that break the format are in ``test_import_unseen_files.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from pabutools.election import Cost_Sat
from pabutools.election.pabulib import parse_pabulib_from_string

from urna.core.db import transaction
from urna.results.importer import edition_import_pabulib
from urna.results.pabulib import pabulib_loads, scores
from urna.results.service import results_compute

from .pabutools_bridge import ScoreTimesCostSat, pabutools_greedy, pabutools_mes

pytestmark = pytest.mark.flow

PROJECTS = [  # id, cost, name, category, target
    ("11", 400, "Park kieszonkowy", "urban greenery", "children,seniors"),
    ("12", 300, 'Ławki "Przy Stawie"; etap 2', "public space", "seniors"),
    ("13", 250, "Boisko", "sport", "youth"),
    ("14", 200, "Ule na dachu", "environmental protection", "None"),
    ("15", 100, "Stojaki rowerowe", "public transit and roads", "adults"),
    ("16", 50, "Kosze na psie odchody", "public space", "None"),
]
BUDGET = 1000
# Votes and points chosen so that no two projects tie: no draw is needed to compare.
BALLOTS = [
    ("11", "12"),
    ("11", "13", "16"),
    ("11", "14"),
    ("11",),
    ("12", "13"),
    ("12", "15", "11"),
    ("13", "15", "16"),
    ("14", "16"),
    ("15",),
    ("16", "11", "12"),
    ("12",),
    ("13", "14", "11"),
    (),
]
POINTS = {1: "10", 2: "6,4", 3: "5,3,2"}  # cumulative and scoring: by the ballot's length


def plain(vote_type: str, rule: str, meta: str = "") -> str:
    """The election as pabutools writes it: the columns it reads, in its order."""
    scored = vote_type in ("cumulative", "scoring")
    ballots = [ballot for ballot in BALLOTS if ballot or not scored]  # pabutools: no empty
    if vote_type == "choose-1":
        ballots = [ballot[:1] for ballot in ballots]
    rows = [
        f"v{number};{','.join(ballot)}" + (f";{POINTS[len(ballot)]}" if scored else "")
        for number, ballot in enumerate(ballots, 1)
    ]
    projects = [
        f'{pid};{cost};"{name.replace(chr(34), chr(34) * 2)}"' for pid, cost, name, *_ in PROJECTS
    ]
    return (
        "\n".join(
            [
                "META",
                "key;value",
                "description;Municipal PB in Testowo",
                "country;Poland",
                "unit;Testowo",
                "instance;2027",
                f"budget;{BUDGET}",
                f"vote_type;{vote_type}",
                f"rule;{rule}",
                *({"ordinal": ["max_length;3"], "choose-1": ["max_length;1"]}.get(vote_type, [])),
                *filter(None, meta.split("\n")),
                "PROJECTS",
                "project_id;cost;name",
                *projects,
                "VOTES",
                "voter_id;vote" + (";points" if scored else ""),
                *rows,
            ]
        )
        + "\n"
    )


def spreadsheet(text: str) -> str:
    """Saved from a spreadsheet: a byte-order mark, CRLF, rows ending in ``;``, blank lines."""
    lines = [
        line if line in ("META", "PROJECTS", "VOTES") else f"{line};" for line in text.splitlines()
    ]
    return (
        "\ufeff" + "\r\n".join(lines).replace("\r\nPROJECTS", "\r\n\r\nPROJECTS") + "\r\n\r\n\r\n"
    )


def reordered(text: str) -> str:
    """Project columns in another order, with the columns real files add and one nobody
    knows; ``selected`` as 0, 1 and 2."""
    head, rest = text.split("PROJECTS\n")
    _, votes = rest.split("VOTES\n")
    rows = [
        f"{cost};{pid};{'2' if pid == '16' else int(pid) % 2};{category};"
        f'"{name.replace(chr(34), chr(34) * 2)}";{target};52.{pid};21.{pid};x{pid}'
        for pid, cost, name, category, target in PROJECTS
    ]
    header = "cost;project_id;selected;category;name;target;latitude;longitude;sdg"
    return head + "PROJECTS\n" + "\n".join([header, *rows]) + "\nVOTES\n" + votes


def with_voters(text: str) -> str:
    """Voter ids that are not numbers, and the demographic columns (some cells missing)."""
    head, votes = text.split("VOTES\n")
    header, *rows = votes.splitlines()
    extra = ["34;F;internet;Bałuty;a", "None;M;paper;;b", "71;;;None;c", "17;K;post;Widzew;"]
    rows = [
        row.replace("v", "Wesoła/", 1) + f";{extra[number % len(extra)]}"
        for number, row in enumerate(rows)
    ]
    header += ";age;sex;voting_method;neighborhood;source"
    return head + "VOTES\n" + "\n".join([header, *rows]) + "\n"


def every_meta_key(text: str) -> str:
    """The optional META keys, in the shapes files give them."""
    keys = (
        "subunit;Stare Miasto\ndistrict;Stare Miasto\ndate_begin;07.10.2026 08:00\n"
        "date_end;2026-10-31\nlanguage;pl\nedition;9\ncurrency;PLN\n"
        "comment;#1: votes on paper; counted by hand\nnum_projects;6\n"
        "min_length;0\nmax_sum_cost;1000\nmin_sum_cost;0\nfully_funded;0\n"
    )
    count = text.split("VOTES\n")[1].strip().count("\n")
    return text.replace("rule;", f"{keys}num_votes;{count}\nrule;", 1)


VARIANTS: dict[str, Callable[[str], str]] = {
    "plain": lambda text: text,
    "spreadsheet": spreadsheet,
    "reordered": reordered,
    "voters": with_voters,
    "meta": every_meta_key,
}
RULES = [
    ("approval", "greedy", ""),
    ("approval", "greedy-threshold", "min_project_score_threshold;5"),
    ("approval", "equalshares", ""),
    ("approval", "equalshares/add1", "mes_add1_stop;exhaustive"),  # as pabutools stops
    ("choose-1", "greedy", ""),
    ("ordinal", "greedy", ""),
    ("cumulative", "greedy", ""),
    ("scoring", "greedy", ""),
]


def pabutools_funded(text: str) -> set[str]:
    instance, profile = parse_pabulib_from_string(text)
    meta = instance.meta
    if meta["rule"].startswith("equalshares"):
        add_one = meta["rule"] == "equalshares/add1"
        return pabutools_mes(instance, profile, add_one=add_one, fill_greedy=add_one)
    threshold = meta.get("min_project_score_threshold")
    return pabutools_greedy(
        instance,
        profile,
        sat_class=Cost_Sat if meta["vote_type"] in ("approval", "choose-1") else ScoreTimesCostSat,
        min_score=None if threshold is None else int(threshold),
        scores=scores(pabulib_loads(text)),
    )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("vote_type", "rule", "meta"), RULES)
async def test_the_file_imports_and_funds_what_pabutools_funds(
    app, tmp_path, vote_type, rule, meta, variant
):
    text = plain(vote_type, rule, meta)
    path = tmp_path / f"Poland_Testowo_2027_{variant}.pb"
    path.write_text(VARIANTS[variant](text), encoding="utf-8", newline="")
    async with transaction(app.state.ctx.db) as session:
        summary = await edition_import_pabulib(
            session=session, path=path, slug=f"unseen-{uuid.uuid4().hex[:10]}"
        )
        payload = (await results_compute(session=session, edition=summary.edition)).as_json()
    [pool] = payload["pools"]

    assert summary.notices == ()
    assert summary.ballots == text.split("VOTES\n")[1].strip().count("\n")
    assert set(pool["funded"]) == pabutools_funded(text)
    assert pool["funded"], "an election that funds nothing proves little"
