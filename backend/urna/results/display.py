"""What the results pages show of a run's payload: step sentences in the reader's language,
each project's outcome in words, and the bar chart of votes (geometry for inline SVG).

Shared by the public results page and the staff console's run page; nothing here queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from babel.numbers import format_decimal

from urna.core import i18n
from urna.core.charts import Measure, bar_chart
from urna.core.i18n import N_
from urna.results.deciding import funding_ties
from urna.results.models import ResultRun
from urna.results.rules import MesOutcome, Step, StepKind, TieMethod, step_text
from urna.results.schemas import PoolResult, ProjectResult, ResultsPayload

_FRACTIONS = ("per_voter_budget", "max_payment")

OUTCOMES = {
    "funded": N_("Funded"),
    "skipped_does_not_fit": N_("Not funded: it does not fit in the money left"),
    "stopped": N_("Not funded: it does not fit in the money left, and the allocation stops here"),
    "not_considered": N_("Not funded: not considered, the allocation had stopped"),
}


def step_from_dict(data: Mapping[str, Any]) -> Step:
    """The `Step` a payload stored with `Step.to_dict` (enums, fractions and tuples back)."""
    values = dict(data)
    values["kind"] = StepKind(values["kind"])
    if "tie_method" in values:
        values["tie_method"] = TieMethod(values["tie_method"])
    if "mes_outcome" in values:
        values["mes_outcome"] = MesOutcome(values["mes_outcome"])
    for name in _FRACTIONS:
        if name in values:
            values[name] = Fraction(values[name])
    if "tied_ids" in values:
        values["tied_ids"] = tuple(values["tied_ids"])
    return Step(**values)


def score_unit(vote_type: str) -> str:
    return "votes" if vote_type == "approval" else "points"


def outcome_text(row: ProjectResult, pool: PoolResult, unit: str) -> str:
    """Why a project was funded or not, in the reader's language."""
    if row.outcome == "below_threshold":
        threshold = pool.threshold or 0
        if unit == "points":
            message = i18n.ngettext(
                "Not funded: fewer than the required minimum of %(n)s point",
                "Not funded: fewer than the required minimum of %(n)s points",
                threshold,
            )
        else:
            message = i18n.ngettext(
                "Not funded: fewer than the required minimum of %(n)s vote",
                "Not funded: fewer than the required minimum of %(n)s votes",
                threshold,
            )
        return message % {"n": i18n.format_count(threshold)}
    return i18n.gettext(OUTCOMES.get(row.outcome, OUTCOMES["not_considered"]))


def step_sentences(payload: ResultsPayload) -> Callable[[Mapping[str, Any]], str]:
    """A function the templates call on each step dict: the sentence in the language the
    page is rendered in (known only at render time)."""
    names = {row.number: row.title for pool in payload.pools for row in pool.projects}
    pools = {pool.code: pool.name for pool in payload.pools}
    unit = score_unit(payload.edition.vote_type)

    def sentence(step: Mapping[str, Any]) -> str:
        language = "en" if i18n.current_language() == "en" else "pl"
        return step_text(
            step_from_dict(step),
            lang=language,
            score_unit=unit,  # type: ignore[arg-type]
            project_names=names,
            pool_names=pools,
        )

    return sentence


def share_text(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``, as the page's language writes it: 41,2 % in
    Polish (a non-breaking space before the sign), 41.2% in English."""
    share = 100 * part / whole if whole else 0.0
    lang = i18n.current_language()
    number = format_decimal(Decimal(f"{share:.1f}"), "0.0", locale=i18n.LOCALES[lang])
    return number + ("%" if lang == "en" else "\u00a0%")


@dataclass(frozen=True, slots=True)
class Share(i18n.InPageLanguage):
    """A percentage as ``share_text`` writes it (the charts are made before the page's
    language is set)."""

    part: int
    whole: int
    write = staticmethod(share_text)


def vote_chart(pool: PoolResult, unit: str) -> dict[str, Any]:
    """Bars of the pool's ranking (the request-log statistics' geometry), funded marked,
    each with its share of the pool's voters."""
    rows = pool.projects
    chart = bar_chart(
        [Measure(row.number, row.votes if unit == "votes" else row.points) for row in rows]
    )
    return {
        "bars": [
            {"bar": bar, "row": row, "percent": Share(row.votes, pool.voters)}
            for bar, row in zip(chart.bars, rows, strict=True)
        ],
        "height": chart.height,
    }


MONEY_WIDTH = 600  # the scale of the money chart, in SVG units


def money_chart(pool: PoolResult) -> dict[str, Any]:
    """The funded projects' costs one after another (in funding order) against the line of
    the money the pool had (its budget and what it received): how much of it they use."""
    available = pool.budget + pool.received
    scale = MONEY_WIDTH / max(available, pool.spent, 1)
    costs = {row.number: row.cost for row in pool.projects}
    segments, x = [], 0.0
    for number in pool.funded:
        width = costs.get(number, 0) * scale
        segments.append({"number": number, "x": round(x, 1), "width": round(width, 1)})
        x += width
    return {
        "segments": segments,
        "budget_x": round(available * scale, 1),
        "available": available,
        "used_percent": Share(pool.spent, available),
    }


def results_context(run: ResultRun) -> dict[str, Any]:
    """What `results/_results.html` needs to show ``run``."""
    payload = ResultsPayload.model_validate(run.payload)
    unit = score_unit(payload.edition.vote_type)
    return {
        "run": run,
        "payload": payload,
        "unit": unit,
        "step_sentence": step_sentences(payload),
        "outcome_text": lambda row, pool: outcome_text(row, pool, unit),
        "charts": {pool.code: vote_chart(pool, unit) for pool in payload.pools},
        "money_charts": {pool.code: money_chart(pool) for pool in payload.pools},
        # the ties whose draw publication waits for (None: equal shares, computed then)
        "funding_ties": {pool.code: funding_ties(pool.allocation) for pool in payload.pools},
    }
