"""Steps as sentences, in Polish or English, for the published results and the staff console.

Money is integer in the pool's unit: ``units_per_zloty=100`` when amounts are grosze (the
database), ``1`` when they are whole złoty (pabulib files). Polish amounts follow CLDR: space
as thousands separator from five digits on, comma before grosze ("340 000 zł", "1234,50 zł");
English: "PLN 340,000", "PLN 1,234.50". Grosze are shown only when the amount is not whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Literal

from urna.results.rules.types import MesOutcome, Step, StepKind, TieMethod

Language = Literal["pl", "en"]
ScoreUnit = Literal["votes", "points"]


def format_money(
    amount: int | Fraction, *, lang: Language = "pl", units_per_zloty: int = 100
) -> str:
    """An amount as złoty, with grosze when not whole; an inexact fraction is rounded to
    the nearest grosz and marked "ok." / "about"."""
    grosze_exact = Fraction(amount) * 100 / units_per_zloty
    grosze = round(grosze_exact)
    prefix = "" if grosze == grosze_exact else ("ok. " if lang == "pl" else "about ")
    sign = "-" if grosze < 0 else ""
    zloty, rest = divmod(abs(grosze), 100)
    if lang == "pl":
        number = _group(zloty, " ", min_digits=5) + (f",{rest:02d}" if rest else "")
        return f"{prefix}{sign}{number} zł"
    number = _group(zloty, ",", min_digits=4) + (f".{rest:02d}" if rest else "")
    return f"{prefix}{sign}PLN {number}"


def format_count(value: int, *, lang: Language = "pl") -> str:
    if lang == "pl":
        return _group(value, " ", min_digits=5)
    return _group(value, ",", min_digits=4)


def _group(value: int, separator: str, *, min_digits: int) -> str:
    digits = str(value)
    if len(digits) < min_digits:
        return digits
    return f"{value:,}".replace(",", separator)


def polish_plural(count: int, one: str, few: str, many: str) -> str:
    """Polish noun form: 1 głos, 2-4 głosy (not 12-14), otherwise głosów."""
    if count == 1:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


def step_text(
    step: Step,
    *,
    lang: Language = "pl",
    units_per_zloty: int = 100,
    score_unit: ScoreUnit = "votes",
    project_names: Mapping[str, str] | None = None,
    pool_names: Mapping[str, str] | None = None,
) -> str:
    """One sentence describing ``step``."""
    texts = _Texts(lang, units_per_zloty, score_unit, project_names or {}, pool_names or {})
    render = _PL if lang == "pl" else _EN
    return render[step.kind](texts, step)


def step_text_pl(
    step: Step,
    *,
    units_per_zloty: int = 100,
    score_unit: ScoreUnit = "votes",
    project_names: Mapping[str, str] | None = None,
    pool_names: Mapping[str, str] | None = None,
) -> str:
    """``step`` as a Polish sentence."""
    return step_text(
        step,
        lang="pl",
        units_per_zloty=units_per_zloty,
        score_unit=score_unit,
        project_names=project_names,
        pool_names=pool_names,
    )


def step_text_en(
    step: Step,
    *,
    units_per_zloty: int = 100,
    score_unit: ScoreUnit = "votes",
    project_names: Mapping[str, str] | None = None,
    pool_names: Mapping[str, str] | None = None,
) -> str:
    """``step`` as an English sentence."""
    return step_text(
        step,
        lang="en",
        units_per_zloty=units_per_zloty,
        score_unit=score_unit,
        project_names=project_names,
        pool_names=pool_names,
    )


class _Texts:
    """Formatting helpers bound to one language and money unit."""

    def __init__(
        self,
        lang: Language,
        units_per_zloty: int,
        score_unit: ScoreUnit,
        project_names: Mapping[str, str],
        pool_names: Mapping[str, str],
    ) -> None:
        self.lang = lang
        self.units = units_per_zloty
        self.score_unit = score_unit
        self.project_names = project_names
        self.pool_names = pool_names

    def money(self, amount: int | Fraction | None) -> str:
        return format_money(amount or 0, lang=self.lang, units_per_zloty=self.units)

    def project(self, project_id: str | None) -> str:
        word = "projekt" if self.lang == "pl" else "project"
        name = self.project_names.get(project_id or "")
        if not name:
            return f"{word} {project_id}"
        quoted = f"„{name}”" if self.lang == "pl" else f'"{name}"'
        return f"{word} {project_id} {quoted}"

    def projects(self, ids: tuple[str, ...]) -> str:
        return ", ".join(ids)

    def pool(self, pool_id: str | None) -> str:
        word = "pula" if self.lang == "pl" else "pool"
        return f"{word} {self.pool_names.get(pool_id or '', pool_id)}"

    def pool_genitive(self, pool_id: str | None) -> str:
        return f"puli {self.pool_names.get(pool_id or '', pool_id)}"

    def score(self, value: int | None) -> str:
        count = value or 0
        number = format_count(count, lang=self.lang)
        if self.lang == "pl":
            if self.score_unit == "points":
                return f"{number} {polish_plural(count, 'punkt', 'punkty', 'punktów')}"
            return f"{number} {polish_plural(count, 'głos', 'głosy', 'głosów')}"
        noun = "point" if self.score_unit == "points" else "vote"
        return f"{number} {noun}{'' if count == 1 else 's'}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Polish ------------------------------------------------------------------------------


def _pl_funded(t: _Texts, s: Step) -> str:
    if s.max_payment is not None:
        return (
            f"Runda {s.round}: {t.project(s.project_id)} ({t.score(s.score)}, koszt "
            f"{t.money(s.cost)}) finansowany; każdy jego zwolennik płaci najwyżej "
            f"{t.money(s.max_payment)}, zostaje {t.money(s.money_left)}."
        )
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, koszt {t.money(s.cost)}) "
        f"mieści się, finansowany, zostaje {t.money(s.money_left)}."
    )


def _pl_skipped(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, koszt {t.money(s.cost)}) "
        f"nie mieści się, bo zostało {t.money(s.money_left)}; pominięty."
    )


def _pl_below(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ma {t.score(s.score)}, mniej niż wymagane "
        f"minimum {t.score(s.threshold)}, więc nie może zostać wybrany."
    )


def _pl_stopped(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, koszt {t.money(s.cost)}) "
        f"nie mieści się, bo zostało {t.money(s.money_left)}; na nim podział się kończy."
    )


def _pl_not_considered(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}) nie był rozpatrywany, "
        f"bo podział zakończył się wcześniej."
    )


_PL_TIE_METHOD = {
    TieMethod.EXPLICIT: "ustalona w publicznym losowaniu",
    TieMethod.SEED: "wyliczona z zapisanego wyniku losowania (ziarno)",
    TieMethod.FALLBACK_ID: (
        "tymczasowo według numerów projektów, bo brak wyniku losowania; "
        "potrzebne jest publiczne losowanie"
    ),
}


def _pl_tie(t: _Texts, s: Step) -> str:
    where = f"wynik: {t.score(s.score)}" if s.score is not None else f"runda {s.round}"
    method = _PL_TIE_METHOD[s.tie_method or TieMethod.FALLBACK_ID]
    return (
        f"Remis między projektami {t.projects(tuple(sorted(s.tied_ids)))} ({where}): "
        f"kolejność {t.projects(s.tied_ids)} {method}."
    )


_PL_MES_OUTCOME = {
    MesOutcome.EXHAUSTIVE: "żaden kolejny projekt się nie mieści, ten wynik obowiązuje",
    MesOutcome.INFEASIBLE: "to przekracza budżet, obowiązuje wynik poprzedniego przebiegu",
    MesOutcome.CONTINUE: "zostają środki na kolejny projekt, budżet głosujących rośnie",
    MesOutcome.FINAL: "to wynik metody",
}


def _pl_mes_round(t: _Texts, s: Step) -> str:
    return (
        f"Metoda równych udziałów, przebieg {s.run}: każdy głosujący dysponuje "
        f"{t.money(s.per_voter_budget)}; wybrano projektów: {s.funded_count}, za "
        f"{t.money(s.spent)}; {_PL_MES_OUTCOME[s.mes_outcome or MesOutcome.FINAL]}."
    )


def _pl_completion(t: _Texts, s: Step) -> str:
    return (
        f"Uzupełnienie: pozostałe {t.money(s.money_left)} rozdziela się po kolei według "
        f"liczby głosów, pomijając projekty, które się nie mieszczą."
    )


def _pl_transfer_out(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.pool(s.pool_id))} przekazuje {t.money(s.amount)} niewykorzystanych "
        f"środków do {t.pool_genitive(s.other_pool_id)}; zostaje jej {t.money(s.money_left)}."
    )


def _pl_transfer_in(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.pool(s.pool_id))} otrzymuje {t.money(s.amount)} z "
        f"{t.pool_genitive(s.other_pool_id)}; jej budżet wynosi teraz {t.money(s.budget)}."
    )


def _pl_recomputed(t: _Texts, s: Step) -> str:
    return (
        f"Wynik {t.pool_genitive(s.pool_id)} przeliczony z budżetem {t.money(s.budget)}: "
        f"finansowanych projektów {s.funded_count}, za {t.money(s.spent)}, "
        f"zostaje {t.money(s.money_left)}."
    )


# --- English -----------------------------------------------------------------------------


def _en_funded(t: _Texts, s: Step) -> str:
    if s.max_payment is not None:
        return (
            f"Round {s.round}: {t.project(s.project_id)} ({t.score(s.score)}, cost "
            f"{t.money(s.cost)}) is funded; each of its supporters pays at most "
            f"{t.money(s.max_payment)}, {t.money(s.money_left)} left."
        )
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, cost {t.money(s.cost)}) "
        f"fits and is funded, {t.money(s.money_left)} left."
    )


def _en_skipped(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, cost {t.money(s.cost)}) "
        f"does not fit in the remaining {t.money(s.money_left)} and is skipped."
    )


def _en_below(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} has {t.score(s.score)}, below the required "
        f"minimum of {t.score(s.threshold)}, so it cannot win."
    )


def _en_stopped(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}, cost {t.money(s.cost)}) "
        f"does not fit in the remaining {t.money(s.money_left)}; the allocation stops here."
    )


def _en_not_considered(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.project(s.project_id))} ({t.score(s.score)}) was not considered "
        f"because the allocation had stopped."
    )


_EN_TIE_METHOD = {
    TieMethod.EXPLICIT: "was set by the public draw",
    TieMethod.SEED: "was computed from the recorded draw seed",
    TieMethod.FALLBACK_ID: (
        "follows the project numbers for now because no draw result was given; "
        "a public draw is needed"
    ),
}


def _en_tie(t: _Texts, s: Step) -> str:
    where = f"at {t.score(s.score)}" if s.score is not None else f"in round {s.round}"
    method = _EN_TIE_METHOD[s.tie_method or TieMethod.FALLBACK_ID]
    return (
        f"Tie {where} between projects {t.projects(tuple(sorted(s.tied_ids)))}: the order "
        f"{t.projects(s.tied_ids)} {method}."
    )


_EN_MES_OUTCOME = {
    MesOutcome.EXHAUSTIVE: "no further project fits, so this result stands",
    MesOutcome.INFEASIBLE: "this exceeds the budget, so the previous run's result stands",
    MesOutcome.CONTINUE: "money for another project is left, so each voter's budget is raised",
    MesOutcome.FINAL: "this is the method's result",
}


def _en_mes_round(t: _Texts, s: Step) -> str:
    return (
        f"Method of Equal Shares, run {s.run}: each voter has {t.money(s.per_voter_budget)}; "
        f"{s.funded_count} projects chosen for {t.money(s.spent)}; "
        f"{_EN_MES_OUTCOME[s.mes_outcome or MesOutcome.FINAL]}."
    )


def _en_completion(t: _Texts, s: Step) -> str:
    return (
        f"Completion: the remaining {t.money(s.money_left)} goes to projects by number of "
        f"votes, skipping those that do not fit."
    )


def _en_transfer_out(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.pool(s.pool_id))} passes {t.money(s.amount)} of unused money to "
        f"{t.pool(s.other_pool_id)}; {t.money(s.money_left)} remains."
    )


def _en_transfer_in(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.pool(s.pool_id))} receives {t.money(s.amount)} from "
        f"{t.pool(s.other_pool_id)}; its budget is now {t.money(s.budget)}."
    )


def _en_recomputed(t: _Texts, s: Step) -> str:
    return (
        f"{_capital(t.pool(s.pool_id))} recomputed with a budget of {t.money(s.budget)}: "
        f"{s.funded_count} projects funded for {t.money(s.spent)}, "
        f"{t.money(s.money_left)} left."
    )


_Renderer = Callable[[_Texts, Step], str]

_PL: dict[StepKind, _Renderer] = {
    StepKind.FUNDED: _pl_funded,
    StepKind.SKIPPED_DOES_NOT_FIT: _pl_skipped,
    StepKind.BELOW_THRESHOLD: _pl_below,
    StepKind.STOPPED: _pl_stopped,
    StepKind.NOT_CONSIDERED: _pl_not_considered,
    StepKind.TIE_RESOLVED: _pl_tie,
    StepKind.MES_ROUND: _pl_mes_round,
    StepKind.COMPLETION: _pl_completion,
    StepKind.TRANSFER_OUT: _pl_transfer_out,
    StepKind.TRANSFER_IN: _pl_transfer_in,
    StepKind.RECOMPUTED: _pl_recomputed,
}

_EN: dict[StepKind, _Renderer] = {
    StepKind.FUNDED: _en_funded,
    StepKind.SKIPPED_DOES_NOT_FIT: _en_skipped,
    StepKind.BELOW_THRESHOLD: _en_below,
    StepKind.STOPPED: _en_stopped,
    StepKind.NOT_CONSIDERED: _en_not_considered,
    StepKind.TIE_RESOLVED: _en_tie,
    StepKind.MES_ROUND: _en_mes_round,
    StepKind.COMPLETION: _en_completion,
    StepKind.TRANSFER_OUT: _en_transfer_out,
    StepKind.TRANSFER_IN: _en_transfer_in,
    StepKind.RECOMPUTED: _en_recomputed,
}
