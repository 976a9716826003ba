"""Steps as sentences, in Polish or English, for the published results and the staff console.

Money is integer in the pool's unit: ``units_per_zloty=100`` when amounts are grosze (the
database), ``1`` when they are whole złoty (pabulib files). Amounts and counts are written
as the pages beside the log write them (``core.i18n``'s ``format_money``, ``format_count``):
thousands grouped from four digits on, with non-breaking spaces ("1 234 głosy",
"1 234,50 zł") or commas ("1,234 votes", "PLN 1,234.50"); grosze only when not whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import partial
from typing import Literal

from urna.core import i18n
from urna.results.rules.sentences import (
    ADD1_STARTS,
    ADD1_STOPS,
    COMPARISONS,
    COMPLETIONS,
    KEPT,
    MES_OUTCOMES,
    TEMPLATES,
    TIE_METHODS,
    Language,
)
from urna.results.rules.types import (
    Add1Start,
    Add1Stop,
    Comparison,
    MesCompletion,
    MesOutcome,
    Step,
    StepKind,
    TieMethod,
)

ScoreUnit = Literal["votes", "points"]
POOL_WORD = "pula"  # "pool": the first word of many pools' names ("Pula ogólnomiejska")


def format_money(
    amount: int | Fraction, *, lang: Language = "pl", units_per_zloty: int = 100
) -> str:
    """An amount as złoty, with grosze when not whole; an inexact fraction is rounded to
    the nearest grosz and marked "ok." / "about"."""
    grosze_exact = Fraction(amount) * 100 / units_per_zloty
    grosze = round(grosze_exact)
    prefix = "" if grosze == grosze_exact else ("ok. " if lang == "pl" else "about ")
    sign = "-" if grosze < 0 else ""
    return f"{prefix}{sign}{i18n.format_money(abs(grosze), lang)}"


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


step_text_pl = partial(step_text, lang="pl")  # ``step`` as a Polish sentence
step_text_en = partial(step_text, lang="en")  # ``step`` as an English sentence


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
        template = TEMPLATES[self.lang]["project_named" if name else "project"]
        return template.format(id=project_id, name=name)

    def projects(self, ids: tuple[str, ...]) -> str:
        return ", ".join(ids)

    def pool(self, pool_id: str | None, *, form: str = "pool") -> str:
        """``form="pool_of"``: the pool after "of", "from", "to" (Polish: genitive). A name
        that already begins with "Pula" is not prefixed with the word again."""
        name = self.pool_names.get(pool_id or "", pool_id) or ""
        first_word = name.split(maxsplit=1)[:1]
        if first_word and first_word[0].casefold() == POOL_WORD:
            form += "_named"
        return TEMPLATES[self.lang][form].format(name=name)

    def voters(self, value: int | None) -> str:
        count = value or 0
        number = i18n.format_count(count, self.lang)
        if self.lang == "pl":
            return f"{number} {polish_plural(count, 'głosujący', 'głosujących', 'głosujących')}"
        return f"{number} voter{'' if count == 1 else 's'}"

    def projects_count(self, value: int | None) -> str:
        """A number of projects with its noun (the English sentences; Polish ones put the
        number after a colon, "wybrano projektów: 1", and need no plural)."""
        count = value or 0
        number = i18n.format_count(count, self.lang)
        if self.lang == "pl":
            return f"{number} {polish_plural(count, 'projekt', 'projekty', 'projektów')}"
        return f"{number} project{'' if count == 1 else 's'}"

    def score(self, value: int | None) -> str:
        count = value or 0
        number = i18n.format_count(count, self.lang)
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
        "funded_projects": t.projects_count(s.funded_count),
        "tied_sorted": t.projects(tuple(sorted(s.tied_ids))),
        "tied": t.projects(s.tied_ids),
        "tie_method": TIE_METHODS[t.lang][s.tie_method or TieMethod.FALLBACK_ID],
        "mes_outcome": MES_OUTCOMES[t.lang][s.mes_outcome or MesOutcome.FINAL],
        "prefer_mes": t.voters(s.prefer_mes),
        "prefer_greedy": t.voters(s.prefer_greedy),
        "kept": KEPT[t.lang][(s.prefer_greedy or 0) > (s.prefer_mes or 0)],
    }


def _mes_variant_fields(t: _Texts, s: Step, fields: dict[str, object]) -> None:
    """The sentences naming the options of equal shares (`StepKind.MES_VARIANT`)."""
    options = {
        "add1_start": ADD1_STARTS[t.lang][Add1Start(s.add1_start or Add1Start.EXACT)],
        "add1_stop": ADD1_STOPS[t.lang][Add1Stop(s.add1_stop or Add1Stop.OVER_BUDGET)],
        "amount": fields["amount"],
    }
    completion = MesCompletion(s.completion or MesCompletion.NONE)
    fields["completion_text"] = COMPLETIONS[t.lang][completion].format_map(options)
    fields["comparison_text"] = COMPARISONS[t.lang][Comparison(s.comparison or Comparison.NONE)]


def _render(t: _Texts, step: Step) -> str:
    templates = TEMPLATES[t.lang]
    fields = _fields(t, step)
    tie_at = "tie_at_score" if step.score is not None else "tie_at_round"  # where a tie stood
    fields["tie_at"] = templates[tie_at].format_map(fields)
    if step.kind is StepKind.MES_VARIANT:
        _mes_variant_fields(t, step, fields)
    return templates[_template_key(step)].format_map(fields)
