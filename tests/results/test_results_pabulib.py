"""The pabulib `.pb` parser and writer, scores and the META rule mapping."""

from __future__ import annotations

import time

import pytest

from urna.results.pabulib import (
    PabulibError,
    PbInstance,
    PbProject,
    PbVote,
    RuleSettings,
    pabulib_allocate,
    pabulib_loads,
    pabulib_read,
    rule_settings,
    scores,
)
from urna.results.pabulib_write import pabulib_dumps, pabulib_write

from .pabulib_support import pabulib_file_names, pabulib_path, parsed

APPROVAL = (
    "\ufeffMETA\r\n"
    "key;value\r\n"
    "description;Test PB\r\n"
    "budget;100\r\n"
    "vote_type;approval\r\n"
    "rule;greedy-threshold\r\n"
    "min_project_score_threshold;2\r\n"
    "PROJECTS\r\n"
    "project_id;cost;votes;name;category;selected\r\n"
    '1;60;3;"Park ""Zielony""; etap 1";urban greenery,sport;1\r\n'
    "2;50;2;Boisko;None;0\r\n"
    "3;30;1;Ławki;;0\r\n"
    "VOTES\r\n"
    "voter_id;vote;age;sex;voting_method;neighborhood;favourite_colour\r\n"
    "v1;1,2;34;F;internet;Bałuty;blue\r\n"
    "v2;1;None;M;paper;;red\r\n"
    "v3;1, 2 ,3;71;;internet;Widzew;\r\n"
)


def test_parses_sections_quoting_and_unknown_columns():
    instance = pabulib_loads(APPROVAL)  # with a byte-order mark and CRLF line ends

    assert instance.meta["description"] == "Test PB"
    assert instance.budget == 100
    assert instance.project_columns == (
        "project_id",
        "cost",
        "votes",
        "name",
        "category",
        "selected",
    )
    park = instance.projects[0]
    assert park == PbProject(
        project_id="1",
        cost=60,
        name='Park "Zielony"; etap 1',
        selected=True,
        extra={"votes": "3", "category": "urban greenery,sport"},
    )
    assert instance.projects[1].selected is False
    assert instance.votes[0] == PbVote(
        voter_id="v1",
        vote=("1", "2"),
        age=34,
        sex="F",
        voting_method="internet",
        neighborhood="Bałuty",
        extra={"favourite_colour": "blue"},
    )
    assert instance.votes[1].age is None
    assert instance.votes[1].neighborhood is None
    assert instance.votes[2].vote == ("1", "2", "3")
    assert instance.votes[2].sex is None


def test_scores_settings_and_tally_of_a_threshold_file():
    instance = pabulib_loads(APPROVAL)

    assert scores(instance) == {"1": 3, "2": 2, "3": 1}
    assert rule_settings(instance.meta) == RuleSettings(rule="greedy", min_score=2)
    result = pabulib_allocate(instance)
    assert result.funded == ("1",)  # 2 does not fit (40 left), 3 is below the threshold


def test_written_text_parses_back_to_the_same_data(tmp_path):
    instance = pabulib_loads(APPROVAL)
    path = tmp_path / "out.pb"
    pabulib_write(instance, path)

    assert pabulib_read(path) == instance
    assert pabulib_loads(pabulib_dumps(instance)) == instance
    assert '"Park ""Zielony""; etap 1"' in path.read_text(encoding="utf-8")


def ordinal(meta_extra: str, votes: str) -> PbInstance:
    return pabulib_loads(
        "META\nkey;value\nbudget;10\nvote_type;ordinal\nrule;greedy\n"
        f"{meta_extra}"
        "PROJECTS\nproject_id;cost\na;1\nb;1\nc;1\n"
        f"VOTES\n{votes}"
    )


def test_ordinal_points_column_wins_over_meta():
    instance = ordinal("", "voter_id;vote;points\n1;a,b,c;3,2,1\n2;c,a,b;3,2,1\n")
    assert scores(instance) == {"a": 5, "b": 3, "c": 4}


def test_ordinal_default_is_borda_like_over_max_length():
    instance = ordinal("max_length;3\n", "voter_id;vote\n1;a,b\n2;c\n")
    assert scores(instance) == {"a": 3, "b": 2, "c": 3}
    without_max = ordinal("", "voter_id;vote\n1;a,b\n2;c\n")
    assert scores(without_max) == {"a": 2, "b": 1, "c": 1}


def test_ordinal_explicit_scoring_fn():
    instance = ordinal("scoring_fn;5,2,1\n", "voter_id;vote\n1;a,b,c\n2;b\n")
    assert scores(instance) == {"a": 5, "b": 7, "c": 1}


def test_cumulative_points_are_summed():
    instance = pabulib_loads(
        "META\nkey;value\nbudget;10\nvote_type;cumulative\nrule;greedy\n"
        "PROJECTS\nproject_id;cost\na;1\nb;1\n"
        "VOTES\nvoter_id;vote;points\n1;a,b;7,3\n2;b;10\n"
    )
    assert scores(instance) == {"a": 7, "b": 13}


def test_malformed_input_is_refused():
    with pytest.raises(PabulibError, match="PROJECTS line 6: cost of project a has a fraction"):
        pabulib_loads("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1.0005\n")
    with pytest.raises(PabulibError, match="cells"):
        pabulib_loads("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1;x\n")
    with pytest.raises(PabulibError, match="PROJECTS"):
        pabulib_loads("META\nkey;value\nbudget;10\n")
    stray = pabulib_loads(APPROVAL.replace("v2;1;None", "v2;99;None"))
    with pytest.raises(PabulibError, match="voter v2: unknown project 99"):
        scores(stray)


@pytest.mark.parametrize("name", pabulib_file_names())
def test_real_files_round_trip(name):
    instance = parsed(name)
    assert pabulib_loads(pabulib_dumps(instance)) == instance
    assert len(instance.votes) == int(instance.meta["num_votes"])
    assert len(instance.projects) == int(instance.meta["num_projects"])


def test_lodz_2022_parses_well_under_two_seconds():
    path = pabulib_path("Poland_Lodz_2022.pb")
    started = time.process_time()
    instance = pabulib_read(path)
    elapsed = time.process_time() - started

    assert len(instance.votes) == 90_494
    assert elapsed < 2.0, f"parsing Łódź 2022 took {elapsed:.2f} s of CPU"
