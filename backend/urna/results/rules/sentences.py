"""The sentences of the step log, one table per language (used by `render`).

Keys are the step kinds (``StepKind`` values) and the parts sentences are built of; the names
in braces are those of ``render._fields``.
"""

from __future__ import annotations

from typing import Literal

from urna.results.rules.types import (
    Add1Start,
    Add1Stop,
    Comparison,
    MesCompletion,
    MesOutcome,
    StepKind,
    TieMethod,
)

Language = Literal["pl", "en"]

TEMPLATES: dict[Language, dict[str, str]] = {
    "pl": {
        "project": "projekt {id}",
        "project_named": "projekt {id} „{name}”",
        "pool": "pula {name}",
        "pool_of": "puli {name}",
        # a name that begins with the word itself ("Pula ogólnomiejska") is not prefixed again
        "pool_named": "{name}",
        "pool_of_named": "puli „{name}”",
        "funded_equal_shares": (
            "Runda {round}: {project} ({score}, koszt {cost}) finansowany; każdy jego zwolennik "
            "płaci najwyżej {max_payment}, zostaje {money_left}."
        ),
        StepKind.FUNDED: (
            "{Project} ({score}, koszt {cost}) mieści się, finansowany, zostaje {money_left}."
        ),
        StepKind.SKIPPED_DOES_NOT_FIT: (
            "{Project} ({score}, koszt {cost}) nie mieści się, bo zostało {money_left}; pominięty."
        ),
        StepKind.BELOW_THRESHOLD: (
            "{Project} ma {score}, mniej niż wymagane minimum {threshold}, więc nie może zostać "
            "wybrany."
        ),
        StepKind.STOPPED: (
            "{Project} ({score}, koszt {cost}) nie mieści się, bo zostało {money_left}; na nim "
            "podział się kończy."
        ),
        StepKind.NOT_CONSIDERED: (
            "{Project} ({score}) nie był rozpatrywany, bo podział zakończył się wcześniej."
        ),
        StepKind.TIE_RESOLVED: (
            "Remis między projektami {tied_sorted} ({tie_at}): kolejność {tied} {tie_method}."
        ),
        "tie_at_score": "wynik: {score}",
        "tie_at_round": "runda {round}",
        StepKind.MES_ROUND: (
            "Metoda równych udziałów, przebieg {run}: każdy głosujący dysponuje "
            "{per_voter_budget}; wybrano projektów: {funded_count}, za {spent}; {mes_outcome}."
        ),
        StepKind.COMPLETION: (
            "Uzupełnienie: pozostałe {money_left} rozdziela się po kolei według liczby głosów, "
            "pomijając projekty, które się nie mieszczą."
        ),
        StepKind.TRANSFER_OUT: (
            "{Pool} przekazuje {amount} niewykorzystanych środków do {of_other_pool}; zostaje jej"
            " {money_left}."
        ),
        StepKind.TRANSFER_IN: (
            "{Pool} otrzymuje {amount} z {of_other_pool}; jej budżet wynosi teraz {budget}."
        ),
        StepKind.RECOMPUTED: (
            "Wynik {of_pool} przeliczony z budżetem {budget}: finansowanych projektów "
            "{funded_count}, za {spent}, zostaje {money_left}."
        ),
        StepKind.MES_VARIANT: "Metoda równych udziałów. {completion_text} {comparison_text}",
        StepKind.COMPARISON: (
            "Krok porównania: wynik metody równych udziałów woli {prefer_mes}, wynik "
            "zachłanny (projektów: {funded_count}, za {spent}) – {prefer_greedy}; {kept}."
        ),
    },
    "en": {
        "project": "project {id}",
        "project_named": 'project {id} "{name}"',
        "pool": "pool {name}",
        "pool_of": "pool {name}",
        "pool_named": "pool {name}",
        "pool_of_named": "pool {name}",
        "funded_equal_shares": (
            "Round {round}: {project} ({score}, cost {cost}) is funded; each of its supporters "
            "pays at most {max_payment}, {money_left} left."
        ),
        StepKind.FUNDED: "{Project} ({score}, cost {cost}) fits and is funded, {money_left} left.",
        StepKind.SKIPPED_DOES_NOT_FIT: (
            "{Project} ({score}, cost {cost}) does not fit in the remaining {money_left} and is "
            "skipped."
        ),
        StepKind.BELOW_THRESHOLD: (
            "{Project} has {score}, below the required minimum of {threshold}, so it cannot win."
        ),
        StepKind.STOPPED: (
            "{Project} ({score}, cost {cost}) does not fit in the remaining {money_left}; the "
            "allocation stops here."
        ),
        StepKind.NOT_CONSIDERED: (
            "{Project} ({score}) was not considered because the allocation had stopped."
        ),
        StepKind.TIE_RESOLVED: (
            "Tie {tie_at} between projects {tied_sorted}: the order {tied} {tie_method}."
        ),
        "tie_at_score": "at {score}",
        "tie_at_round": "in round {round}",
        StepKind.MES_ROUND: (
            "Method of Equal Shares, run {run}: each voter has {per_voter_budget};"
            " {funded_projects} chosen for {spent}; {mes_outcome}."
        ),
        StepKind.COMPLETION: (
            "Completion: the remaining {money_left} goes to projects by number of votes, skipping"
            " those that do not fit."
        ),
        StepKind.TRANSFER_OUT: (
            "{Pool} passes {amount} of unused money to {other_pool}; {money_left} remains."
        ),
        StepKind.TRANSFER_IN: (
            "{Pool} receives {amount} from {other_pool}; its budget is now {budget}."
        ),
        StepKind.RECOMPUTED: (
            "{Pool} recomputed with a budget of {budget}: {funded_projects} funded for "
            "{spent}, {money_left} left."
        ),
        StepKind.MES_VARIANT: "Method of Equal Shares. {completion_text} {comparison_text}",
        StepKind.COMPARISON: (
            "Comparison step: MES preferred by {prefer_mes}, greedy by {prefer_greedy} "
            "(greedy by votes funds {funded_count} projects for {spent}); {kept}."
        ),
    },
}

TIE_METHODS: dict[Language, dict[TieMethod, str]] = {
    "pl": {
        TieMethod.EXPLICIT: "ustalona w publicznym losowaniu",
        TieMethod.SEED: "wyliczona z zapisanego wyniku losowania (ziarno)",
        TieMethod.FALLBACK_ID: (
            "tymczasowo według numerów projektów, bo brak wyniku losowania; "
            "potrzebne jest publiczne losowanie"
        ),
    },
    "en": {
        TieMethod.EXPLICIT: "was set by the public draw",
        TieMethod.SEED: "was computed from the recorded draw seed",
        TieMethod.FALLBACK_ID: (
            "follows the project numbers for now because no draw result was given; "
            "a public draw is needed"
        ),
    },
}

MES_OUTCOMES: dict[Language, dict[MesOutcome, str]] = {
    "pl": {
        MesOutcome.EXHAUSTIVE: "żaden kolejny projekt się nie mieści, ten wynik obowiązuje",
        MesOutcome.INFEASIBLE: "to przekracza budżet, obowiązuje wynik poprzedniego przebiegu",
        MesOutcome.CONTINUE: "wynik mieści się w budżecie, więc budżet głosujących rośnie",
        MesOutcome.FINAL: "to wynik metody",
        MesOutcome.ALL_FUNDED: (
            "finansowane są wszystkie popierane projekty, więcej środków niczego nie zmieni; "
            "ten wynik obowiązuje"
        ),
    },
    "en": {
        MesOutcome.EXHAUSTIVE: "no further project fits, so this result stands",
        MesOutcome.INFEASIBLE: "this exceeds the budget, so the previous run's result stands",
        MesOutcome.CONTINUE: "the outcome fits the budget, so each voter's budget is raised",
        MesOutcome.FINAL: "this is the method's result",
        MesOutcome.ALL_FUNDED: (
            "every supported project is funded and more money would change nothing, so this "
            "result stands"
        ),
    },
}

COMPLETIONS: dict[Language, dict[MesCompletion, str]] = {
    "pl": {
        MesCompletion.NONE: (
            "Bez uzupełnienia: obowiązuje jeden przebieg z budżetem puli, niewydane środki zostają."
        ),
        MesCompletion.UTILITARIAN: (
            "Jeden przebieg z budżetem puli, potem uzupełnienie według liczby głosów."
        ),
        MesCompletion.ADD1: (
            "Uzupełnienie Add1: {add1_start}; w każdym kroku budżet każdego głosującego rośnie "
            "o {amount}; {add1_stop}."
        ),
        MesCompletion.ADD1_UTILITARIAN: (
            "Uzupełnienie Add1: {add1_start}; w każdym kroku budżet każdego głosującego rośnie "
            "o {amount}; {add1_stop}; pozostałe środki według liczby głosów."
        ),
    },
    "en": {
        MesCompletion.NONE: "No completion: one run with the pool's budget, money left unspent.",
        MesCompletion.UTILITARIAN: (
            "One run with the pool's budget, then completion by number of votes."
        ),
        MesCompletion.ADD1: (
            "Add1 completion: {add1_start}; each step raises every voter's budget by {amount}; "
            "{add1_stop}."
        ),
        MesCompletion.ADD1_UTILITARIAN: (
            "Add1 completion: {add1_start}; each step raises every voter's budget by {amount}; "
            "{add1_stop}; the money left goes by number of votes."
        ),
    },
}

ADD1_STARTS: dict[Language, dict[Add1Start, str]] = {
    "pl": {
        Add1Start.EXACT: "start od budżetu puli podzielonego równo między głosujących",
        Add1Start.WHOLE: (
            "start od pełnych złotych na głosującego (budżet puli podzielony równo, "
            "zaokrąglony w dół)"
        ),
    },
    "en": {
        Add1Start.EXACT: "it starts from the pool's budget shared equally by the voters",
        Add1Start.WHOLE: (
            "it starts from whole złoty per voter (the pool's budget shared equally, rounded down)"
        ),
    },
}

ADD1_STOPS: dict[Language, dict[Add1Stop, str]] = {
    "pl": {
        Add1Stop.OVER_BUDGET: (
            "koniec na pierwszym kroku, którego wynik przekracza budżet (obowiązuje wynik "
            "kroku poprzedniego)"
        ),
        Add1Stop.EXHAUSTIVE: (
            "koniec na pierwszym wyniku, do którego nie mieści się już żaden projekt, albo na "
            "pierwszym kroku przekraczającym budżet"
        ),
    },
    "en": {
        Add1Stop.OVER_BUDGET: (
            "it stops at the first step whose outcome exceeds the budget (the step before stands)"
        ),
        Add1Stop.EXHAUSTIVE: (
            "it stops at the first outcome to which no further project fits, or at the first "
            "step that exceeds the budget"
        ),
    },
}

COMPARISONS: dict[Language, dict[Comparison, str]] = {
    "pl": {
        Comparison.NONE: "Bez kroku porównania.",
        Comparison.SATISFACTION: (
            "Krok porównania z wynikiem zachłannym (według liczby głosów): każdy głosujący "
            "woli wynik, w którym wygrywa więcej jego projektów."
        ),
        Comparison.AT_LEAST_ONE: (
            "Krok porównania z wynikiem zachłannym (według liczby głosów): każdy głosujący "
            "woli wynik, w którym wygrywa choć jeden jego projekt."
        ),
    },
    "en": {
        Comparison.NONE: "No comparison step.",
        Comparison.SATISFACTION: (
            "Comparison step with the greedy outcome (by number of votes): each voter prefers "
            "the outcome in which more of their projects win."
        ),
        Comparison.AT_LEAST_ONE: (
            "Comparison step with the greedy outcome (by number of votes): each voter prefers "
            "the outcome in which at least one of their projects wins."
        ),
    },
}

KEPT: dict[Language, dict[bool, str]] = {  # keyed by "the greedy outcome wins"
    "pl": {
        False: "obowiązuje wynik metody równych udziałów",
        True: "więcej głosujących woli wynik zachłanny, więc to on obowiązuje",
    },
    "en": {
        False: "the Method of Equal Shares result stands",
        True: "more voters prefer the greedy result, so it stands",
    },
}
