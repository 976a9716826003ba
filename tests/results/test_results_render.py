"""Steps rendered as Polish and English sentences; money in złoty."""

from __future__ import annotations

from fractions import Fraction

import pytest

from urna.core import i18n
from urna.results.rules import (
    Project,
    Step,
    StepKind,
    Transfer,
    equal_shares_allocate,
    format_money,
    greedy_allocate,
    step_text,
    step_text_en,
    step_text_pl,
    transfers_apply,
)
from urna.results.rules.render import polish_plural


def plain(text: str) -> str:
    """``text`` with its non-breaking spaces (in amounts and Polish counts) as spaces."""
    return text.replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("grosze", "polish", "english"),
    [
        (34_000_000, "340 000 zł", "PLN 340,000"),
        (123_450, "1 234,50 zł", "PLN 1,234.50"),
        (1_234_567, "12 345,67 zł", "PLN 12,345.67"),
        (1_234_567_801, "12 345 678,01 zł", "PLN 12,345,678.01"),
        (5, "0,05 zł", "PLN 0.05"),
        (0, "0 zł", "PLN 0"),
    ],
)
def test_money_in_zloty_with_grosze_only_when_not_whole(grosze, polish, english):
    assert plain(format_money(grosze)) == polish
    assert plain(format_money(grosze, lang="en")) == english


def test_money_and_counts_are_written_as_the_pages_write_them():
    """The step log beside the tables: "1 234,50 zł", "1 234 głosy", "PLN 1,234.50" in both,
    grouped from four digits, with spaces that never break the number across lines (the
    log grouped Polish counts from five digits, "1234 głosów" beside the table's
    "1 234", and broke "PLN 1,234.50" after PLN)."""
    for grosze in (123_450, 1_234_567, 100_000_000_00, 5, 0):
        for lang in ("pl", "en"):
            assert format_money(grosze, lang=lang) == i18n.format_money(grosze, lang)
    assert format_money(1_234_567) == "12\u00a0345,67\u00a0zł"
    assert format_money(5_000_00) == "5\u00a0000\u00a0zł"
    step = Step(kind=StepKind.FUNDED, project_id="1", cost=123_450, score=7, money_left=5_000_00)
    assert step_text(step) == (
        "Projekt 1 (7 głosów, koszt 1\u00a0234,50\u00a0zł) mieści się, finansowany, zostaje "
        "5\u00a0000\u00a0zł."
    )
    assert step_text(step, lang="en") == (
        "Project 1 (7 votes, cost PLN\u00a01,234.50) fits and is funded, PLN\u00a05,000 left."
    )
    counted = Step(kind=StepKind.BELOW_THRESHOLD, project_id="9", score=1234, threshold=12_345)
    assert step_text(counted) == (
        "Projekt 9 ma 1\u00a0234 głosy, mniej niż wymagane minimum 12\u00a0345 głosów, więc "
        "nie może zostać wybrany."
    )
    assert "1,234 votes" in step_text(counted, lang="en")


def test_money_in_whole_zloty_units_and_inexact_fractions():
    assert plain(format_money(340_000, units_per_zloty=1)) == "340 000 zł"
    assert plain(format_money(Fraction(6_112_868, 90_494), units_per_zloty=1)) == "ok. 67,55 zł"
    assert format_money(Fraction(6_112_868, 90_494), lang="en", units_per_zloty=1) == (
        "about PLN\u00a067.55"
    )


def test_polish_plural_forms():
    forms = [polish_plural(n, "głos", "głosy", "głosów") for n in (1, 2, 4, 5, 12, 22, 25, 112)]
    assert forms == ["głos", "głosy", "głosy", "głosów", "głosów", "głosy", "głosów", "głosów"]


POOL = [
    Project("12", 16_000_000, 3456),
    Project("7", 50_000_000, 3000),
    Project("9", 100, 40),
]


def greedy_texts(lang):
    result = greedy_allocate(projects=POOL, budget=50_000_000, threshold_votes=50)
    return [plain(step_text(step, lang=lang)) for step in result.steps]


def test_greedy_steps_in_polish():
    assert greedy_texts("pl") == [
        "Projekt 12 (3 456 głosów, koszt 160 000 zł) mieści się, finansowany, zostaje 340 000 zł.",
        "Projekt 7 (3 000 głosów, koszt 500 000 zł) nie mieści się, bo zostało 340 000 zł; "
        "pominięty.",
        "Projekt 9 ma 40 głosów, mniej niż wymagane minimum 50 głosów, więc nie może "
        "zostać wybrany.",
    ]


def test_greedy_steps_in_english():
    assert greedy_texts("en") == [
        "Project 12 (3,456 votes, cost PLN 160,000) fits and is funded, PLN 340,000 left.",
        "Project 7 (3,000 votes, cost PLN 500,000) does not fit in the remaining "
        "PLN 340,000 and is skipped.",
        "Project 9 has 40 votes, below the required minimum of 50 votes, so it cannot win.",
    ]


def test_stop_and_tie_steps_and_project_names():
    projects = [Project("1", 90, 5), Project("2", 50, 5), Project("3", 5, 1)]
    result = greedy_allocate(projects=projects, budget=100, stop_at_first_misfit=True)
    names = {"1": "Park", "2": "Boisko"}
    polish = [plain(step_text(step, project_names=names)) for step in result.steps]
    english = [step_text(step, lang="en", score_unit="points") for step in result.steps]

    assert polish[0] == (
        "Remis między projektami 1, 2 (wynik: 5 głosów): kolejność 1, 2 tymczasowo według "
        "numerów projektów, bo brak wyniku losowania; potrzebne jest publiczne losowanie."
    )
    assert polish[2] == (
        "Projekt 2 „Boisko” (5 głosów, koszt 0,50 zł) nie mieści się, bo zostało 0,10 zł; "
        "na nim podział się kończy."
    )
    assert polish[3] == (
        "Projekt 3 (1 głos) nie był rozpatrywany, bo podział zakończył się wcześniej."
    )
    assert english[0].startswith("Tie at 5 points between projects 1, 2: the order 1, 2 ")
    assert (
        english[3] == "Project 3 (1 point) was not considered because the allocation had stopped."
    )


def test_seeded_and_explicit_draw_are_named():
    tie = Step(kind=StepKind.TIE_RESOLVED, score=3, tied_ids=("B", "A"))
    seeded = Step(**{**tie.to_dict(), "kind": StepKind.TIE_RESOLVED, "tie_method": "seed"})
    assert "wyliczona z zapisanego wyniku losowania" in step_text(seeded)
    drawn = greedy_allocate(
        projects=[Project("A", 1, 3), Project("B", 1, 3)], budget=5, tie_order=["B", "A"]
    )
    assert step_text(drawn.steps[0], lang="en") == (
        "Tie at 3 votes between projects A, B: the order B, A was set by the public draw."
    )


def test_equal_shares_steps():
    result = equal_shares_allocate(
        projects=[Project("A", 50), Project("B", 30), Project("C", 30)],
        ballots=[("A",), ("A",), ("B",), ("C",)],
        budget=100,
    )
    by_kind = {step.kind: step for step in reversed(result.steps)}  # first step of each kind
    last_run = [step for step in result.steps if step.kind is StepKind.MES_ROUND][-1]

    assert plain(step_text(last_run, units_per_zloty=1)) == (
        "Metoda równych udziałów, przebieg 6: każdy głosujący dysponuje 30 zł; wybrano "
        "projektów: 3, za 110 zł; to przekracza budżet, obowiązuje wynik poprzedniego przebiegu."
    )
    assert plain(step_text(by_kind[StepKind.FUNDED], lang="en", units_per_zloty=1)).startswith(
        "Round 1: project A (2 votes, cost PLN 50) is funded; each of its supporters pays "
        "at most PLN 25"
    )
    assert plain(step_text(by_kind[StepKind.COMPLETION], units_per_zloty=1)) == (
        "Uzupełnienie: pozostałe 50 zł rozdziela się po kolei według liczby głosów, "
        "pomijając projekty, które się nie mieszczą."
    )


def test_transfer_steps():
    def city(budget):
        return greedy_allocate(projects=[Project("C", 120_000, 9)], budget=budget)

    results = {
        "Bałuty": greedy_allocate(projects=[Project("D", 70_000, 5)], budget=100_000),
        "miasto": city(100_000),
    }
    outcome = transfers_apply(
        results=results, transfers=[Transfer("Bałuty", "miasto")], recompute={"miasto": city}
    )
    polish = [plain(step_text(step)) for step in outcome.steps]
    english = [plain(step_text(step, lang="en")) for step in outcome.steps]

    assert polish == [
        "Pula Bałuty przekazuje 300 zł niewykorzystanych środków do puli miasto; zostaje jej 0 zł.",
        "Pula miasto otrzymuje 300 zł z puli Bałuty; jej budżet wynosi teraz 1 300 zł.",
        "Wynik puli miasto przeliczony z budżetem 1 300 zł: finansowanych projektów 1, "
        "za 1 200 zł, zostaje 100 zł.",
    ]
    assert (
        english[1] == "Pool miasto receives PLN 300 from pool Bałuty; its budget is now PLN 1,300."
    )


def test_every_step_kind_renders_in_both_languages():
    for kind in StepKind:
        step = Step(kind=kind, project_id="1", pool_id="p", other_pool_id="q", tied_ids=("1",))
        assert step_text_pl(step) == step_text(step, lang="pl") != ""
        assert step_text_en(step, units_per_zloty=1) == step_text(
            step, lang="en", units_per_zloty=1
        )


@pytest.mark.parametrize(
    ("step", "polish", "english"),
    [
        (
            Step(
                kind=StepKind.MES_VARIANT,
                completion="add1_utilitarian",
                add1_stop="over_budget",
                add1_start="whole",
                amount=100,
                comparison="satisfaction",
            ),
            "Metoda równych udziałów. Uzupełnienie Add1: start od pełnych złotych na "
            "głosującego (budżet puli podzielony równo, zaokrąglony w dół); w każdym kroku "
            "budżet każdego głosującego rośnie o 1 zł; koniec na pierwszym kroku, którego "
            "wynik przekracza budżet (obowiązuje wynik kroku poprzedniego); pozostałe środki "
            "według liczby głosów. Krok porównania z wynikiem zachłannym (według liczby "
            "głosów): każdy głosujący woli wynik, w którym wygrywa więcej jego projektów.",
            "Method of Equal Shares. Add1 completion: it starts from whole złoty per voter "
            "(the pool's budget shared equally, rounded down); each step raises every voter's "
            "budget by PLN 1; it stops at the first step whose outcome exceeds the budget (the "
            "step before stands); the money left goes by number of votes. Comparison step with "
            "the greedy outcome (by number of votes): each voter prefers the outcome in which "
            "more of their projects win.",
        ),
        (
            Step(kind=StepKind.MES_VARIANT, completion="none", comparison="none"),
            "Metoda równych udziałów. Bez uzupełnienia: obowiązuje jeden przebieg z budżetem "
            "puli, niewydane środki zostają. Bez kroku porównania.",
            "Method of Equal Shares. No completion: one run with the pool's budget, money left "
            "unspent. No comparison step.",
        ),
        (
            Step(
                kind=StepKind.COMPARISON,
                comparison="satisfaction",
                prefer_mes=629,
                prefer_greedy=535,
                funded_count=12,
                spent=99_000_000,
            ),
            "Krok porównania: wynik metody równych udziałów woli 629 głosujących, wynik "
            "zachłanny (projektów: 12, za 990 000 zł) – 535 głosujących; obowiązuje wynik "
            "metody równych udziałów.",
            "Comparison step: MES preferred by 629 voters, greedy by 535 voters (greedy by "
            "votes funds 12 projects for PLN 990,000); the Method of Equal Shares result "
            "stands.",
        ),
    ],
)
def test_equal_shares_options_and_comparison_are_named_in_both_languages(step, polish, english):
    assert plain(step_text_pl(step)) == polish
    assert plain(step_text_en(step)) == english


def test_a_voter_in_polish_is_głosujący():
    step = Step(kind=StepKind.COMPARISON, prefer_mes=1, prefer_greedy=0, funded_count=1, spent=0)
    assert "woli 1 głosujący, " in step_text_pl(step)
