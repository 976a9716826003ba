"""META ``rule`` of real Polish pabulib files to pool settings, unknown rules, and back."""

from __future__ import annotations

import pytest

from urna.results.pabulib import (
    Notice,
    PabulibError,
    RuleSettings,
    pabulib_allocate,
    pabulib_loads,
    rule_meta,
    rule_settings,
)
from urna.results.pabulib_meta import NO_RULE, NO_THRESHOLD, NOT_MODELLED
from urna.results.rules import Add1Start, Add1Stop, Comparison, MesCompletion, MesOptions

ADD1 = MesOptions(completion=MesCompletion.ADD1_UTILITARIAN)
WIELICZKA = MesOptions(
    completion=MesCompletion.ADD1_UTILITARIAN,
    add1_start=Add1Start.WHOLE,
    comparison=Comparison.SATISFACTION,
)


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"rule": "greedy"}, RuleSettings(rule="greedy")),
        (
            {"rule": "greedy-threshold", "min_project_score_threshold": "100"},
            RuleSettings(rule="greedy", min_score=100),
        ),
        ({"rule": "greedy-no-skip"}, RuleSettings(rule="greedy_stop")),
        (
            {"rule": "greedy-exclusive"},
            RuleSettings(
                rule="greedy", notices=(Notice(NOT_MODELLED, {"rule": "greedy-exclusive"}),)
            ),
        ),
        (
            {"rule": "greedy-custom"},
            RuleSettings(rule="greedy", notices=(Notice(NOT_MODELLED, {"rule": "greedy-custom"}),)),
        ),
        (
            {"rule": "equalshares"},
            RuleSettings(rule="equal_shares", mes=MesOptions(completion=MesCompletion.NONE)),
        ),
        ({"rule": "equalshares/add1"}, RuleSettings(rule="equal_shares", mes=ADD1)),
        (
            {"rule": "EqualShares/Add1-Comparison "},
            RuleSettings(rule="equal_shares", mes=WIELICZKA),
        ),
        (
            {"rule": "unknown"},
            RuleSettings(rule=None, notices=(Notice(NO_RULE, {"rule": "unknown"}),)),
        ),
        ({}, RuleSettings(rule=None, notices=(Notice(NO_RULE, {"rule": "—"}),))),
        (
            {"rule": "greedy-threshold"},
            RuleSettings(
                rule="greedy", notices=(Notice(NO_THRESHOLD, {"rule": "greedy-threshold"}),)
            ),
        ),
    ],
)
def test_every_rule_seen_in_polish_files_maps_without_raising(meta, expected):
    assert rule_settings(meta) == expected


def test_meta_keys_choose_the_options_and_bad_values_become_notices():
    settings = rule_settings(
        {
            "rule": "equalshares/add1",
            "mes_add1_stop": "exhaustive",
            "mes_comparison": "at_least_one",
            "mes_add1_start": "sometimes",
        }
    )

    assert settings.mes == MesOptions(
        completion=MesCompletion.ADD1_UTILITARIAN,
        add1_stop=Add1Stop.EXHAUSTIVE,
        comparison=Comparison.AT_LEAST_ONE,
    )
    (notice,) = settings.notices
    assert str(notice) == (
        "META mes_add1_start has the unknown value sometimes; the default of the rule is used "
        "instead."
    )


@pytest.mark.parametrize(
    "options",
    [
        MesOptions(),
        MesOptions(completion=MesCompletion.NONE),
        MesOptions(completion=MesCompletion.UTILITARIAN, comparison=Comparison.AT_LEAST_ONE),
        WIELICZKA,
        MesOptions(completion=MesCompletion.ADD1, add1_stop=Add1Stop.EXHAUSTIVE),
    ],
)
def test_exported_meta_reads_back_as_the_same_options(options):
    meta = rule_meta(rule="equal_shares", mes=options)

    assert rule_settings(meta) == RuleSettings(rule="equal_shares", mes=options)


def test_exported_rule_names():
    assert rule_meta(rule="greedy") == {"rule": "greedy"}
    assert rule_meta(rule="greedy", min_score=50) == {
        "rule": "greedy-threshold",
        "min_project_score_threshold": "50",
    }
    assert rule_meta(rule="greedy_stop") == {"rule": "greedy-no-skip"}
    assert rule_meta(rule="equal_shares", mes=WIELICZKA)["rule"] == "equalshares/add1-comparison"
    assert rule_meta(rule="equal_shares", mes=ADD1)["rule"] == "equalshares/add1"
    # a result stored before the options existed: pabutools' reading of add one
    assert rule_meta(rule="equal_shares") == {"rule": "equalshares/add1"}


def test_an_unknown_rule_is_a_clear_message_when_tallying_never_a_traceback():
    instance = pabulib_loads(
        "META\nkey;value\nbudget;10\nvote_type;approval\nrule;unknown\n"
        "PROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\n1;a\n"
    )
    settings = rule_settings(instance.meta)

    assert settings.rule is None
    assert str(settings.notices[0]) == (
        "The file does not name a rule Urna can compute (unknown). The pool counts by votes "
        "for now: choose its rule in the console before computing the results."
    )
    with pytest.raises(PabulibError, match="does not name a rule Urna can compute"):
        pabulib_allocate(instance)
