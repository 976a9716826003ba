"""Steps as sentences, in Polish or English, for the published results and the staff console.

Money is integer in the pool's unit: ``units_per_zloty=100`` when amounts are grosze (the
database), ``1`` when they are whole złoty (pabulib files). Polish amounts follow CLDR: space
as thousands separator from five digits on, comma before grosze ("340 000 zł", "1234,50 zł");
English: "PLN 340,000", "PLN 1,234.50". Grosze are shown only when the amount is not whole.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    return _render(
        _Texts(lang, units_per_zloty, score_unit, project_names or {}, pool_names or {}), step
    )


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
        name = self.project_names.get(project_id or "")
        template = _TEMPLATES[self.lang]["project_named" if name else "project"]
        return template.format(id=project_id, name=name)

    def projects(self, ids: tuple[str, ...]) -> str:
        return ", ".join(ids)

    def pool(self, pool_id: str | None, *, form: str = "pool") -> str:
        """``form="pool_of"``: the pool after "of", "from", "to" (Polish: genitive)."""
        name = self.pool_names.get(pool_id or "", pool_id)
        return _TEMPLATES[self.lang][form].format(name=name)

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


def _template_key(step: Step) -> str:
    """Which sentence tells ``step``: one per kind; a project funded by the equal shares
    (its supporters' payments known) gets its own."""
    if step.kind is StepKind.FUNDED and step.max_payment is not None:
        return "funded_equal_shares"
    return step.kind.value


def _fields(t: _Texts, s: Step) -> dict[str, object]:
    """Every value a sentence may name, formatted in ``t``'s language; ``Project`` and
    ``Pool`` are capitalised for the start of a sentence."""
    project, pool = t.project(s.project_id), t.pool(s.pool_id)
    return {
        "project": project,
        "Project": _capital(project),
        "pool": pool,
        "Pool": _capital(pool),
        "other_pool": t.pool(s.other_pool_id),
        "of_pool": t.pool(s.pool_id, form="pool_of"),
        "of_other_pool": t.pool(s.other_pool_id, form="pool_of"),
        "score": t.score(s.score),
        "threshold": t.score(s.threshold),
        "cost": t.money(s.cost),
        "money_left": t.money(s.money_left),
        "max_payment": t.money(s.max_payment),
        "per_voter_budget": t.money(s.per_voter_budget),
        "spent": t.money(s.spent),
        "amount": t.money(s.amount),
        "budget": t.money(s.budget),
        "round": s.round,
        "run": s.run,
        "funded_count": s.funded_count,
        "tied_sorted": t.projects(tuple(sorted(s.tied_ids))),
        "tied": t.projects(s.tied_ids),
        "tie_method": _TIE_METHODS[t.lang][s.tie_method or TieMethod.FALLBACK_ID],
        "mes_outcome": _MES_OUTCOMES[t.lang][s.mes_outcome or MesOutcome.FINAL],
    }


def _render(t: _Texts, step: Step) -> str:
    templates = _TEMPLATES[t.lang]
    fields = _fields(t, step)
    tie_at = "tie_at_score" if step.score is not None else "tie_at_round"  # where a tie stood
    fields["tie_at"] = templates[tie_at].format_map(fields)
    return templates[_template_key(step)].format_map(fields)


# --- the sentences: one table per language -------------------------------------------------
# Keys are the step kinds (``StepKind`` values) and the parts sentences are built of; the
# names in braces are those of ``_fields`` (of ``_Texts`` for projects and pools).

_TEMPLATES: dict[Language, dict[str, str]] = {
    "pl": {
        "project": "projekt {id}",
        "project_named": "projekt {id} „{name}”",
        "pool": "pula {name}",
        "pool_of": "puli {name}",
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
    },
    "en": {
        "project": "project {id}",
        "project_named": 'project {id} "{name}"',
        "pool": "pool {name}",
        "pool_of": "pool {name}",
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
            "Method of Equal Shares, run {run}: each voter has {per_voter_budget}; {funded_count}"
            " projects chosen for {spent}; {mes_outcome}."
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
            "{Pool} recomputed with a budget of {budget}: {funded_count} projects funded for "
            "{spent}, {money_left} left."
        ),
    },
}

_TIE_METHODS: dict[Language, dict[TieMethod, str]] = {
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

_MES_OUTCOMES: dict[Language, dict[MesOutcome, str]] = {
    "pl": {
        MesOutcome.EXHAUSTIVE: "żaden kolejny projekt się nie mieści, ten wynik obowiązuje",
        MesOutcome.INFEASIBLE: "to przekracza budżet, obowiązuje wynik poprzedniego przebiegu",
        MesOutcome.CONTINUE: "zostają środki na kolejny projekt, budżet głosujących rośnie",
        MesOutcome.FINAL: "to wynik metody",
    },
    "en": {
        MesOutcome.EXHAUSTIVE: "no further project fits, so this result stands",
        MesOutcome.INFEASIBLE: "this exceeds the budget, so the previous run's result stands",
        MesOutcome.CONTINUE: "money for another project is left, so each voter's budget is raised",
        MesOutcome.FINAL: "this is the method's result",
    },
}
