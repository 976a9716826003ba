"""pabulib META ``rule`` (and its companion keys) to a pool's rule settings, and back.

Values of ``rule`` seen in real Polish files, and what Urna makes of them:

==============================  ===============================================================
``greedy``                      greedy by votes, skipping projects that do not fit
``greedy-threshold``            the same, with META ``min_project_score_threshold``
``greedy-no-skip``              greedy, stopping at the first project that does not fit
``greedy-exclusive``            greedy; the file's extra condition (projects that exclude each
                                other) is not modelled: a notice says so
``greedy-custom``               greedy; the city's own extra conditions are not modelled: a
                                notice says so
``equalshares``                 equal shares, one run, no completion
``equalshares/add1``            equal shares with add one, then by votes (pabutools' reading)
``equalshares/add1-comparison`` the same from whole złoty per voter, with the comparison step
                                (Wieliczka 2023, computed with the method's computation tool)
``unknown`` and anything else   no rule: greedy for now, and a notice that the office must
                                choose the rule before computing results
==============================  ===============================================================

Equal shares' options can also be given in META (Urna writes them, so a file it exports reads
back the same): ``mes_completion``, ``mes_add1_stop``, ``mes_add1_start``,
``mes_comparison``, each with a value of the matching enum in `urna.results.rules`.

Nothing here raises: what cannot be honoured becomes a `Notice` for the office.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from urna.core.i18n import N_
from urna.results.rules import Add1Start, Add1Stop, Comparison, MesCompletion, MesOptions

NOT_MODELLED = N_(
    "The file's rule %(rule)s has conditions Urna does not model; the pool counts by "
    "votes, skipping projects that do not fit. Check the rule before computing the results."
)
NO_RULE = N_(
    "The file does not name a rule Urna can compute (%(rule)s). The pool counts by votes "
    "for now: choose its rule in the console before computing the results."
)
NO_THRESHOLD = N_(
    "The file's rule %(rule)s needs min_project_score_threshold, which is missing or not a "
    "whole number; the pool has no threshold for now."
)
BAD_OPTION = N_(
    "META %(key)s has the unknown value %(value)s; the default of the rule is used instead."
)

_MES_KEYS: dict[str, type[StrEnum]] = {
    "completion": MesCompletion,
    "add1_stop": Add1Stop,
    "add1_start": Add1Start,
    "comparison": Comparison,
}
_ADD1 = MesOptions(completion=MesCompletion.ADD1_UTILITARIAN)
_EQUAL_SHARES: dict[str, MesOptions] = {
    "equalshares": MesOptions(completion=MesCompletion.NONE),
    "equalshares/add1": _ADD1,
    "equalshares/add1-comparison": replace(
        _ADD1, add1_start=Add1Start.WHOLE, comparison=Comparison.SATISFACTION
    ),
}
_GREEDY = {"greedy": "greedy", "greedy-threshold": "greedy", "greedy-no-skip": "greedy_stop"}
_GREEDY_NOT_MODELLED = ("greedy-exclusive", "greedy-custom")


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the office (a gettext msgid and its parameters)."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """How to tally a file: the pool rule (None: none Urna can run) and its parameters."""

    rule: str | None  # "greedy", "greedy_stop" or "equal_shares"
    min_score: int | None = None
    mes: MesOptions | None = None
    notices: tuple[Notice, ...] = ()

    @property
    def stop_at_first_misfit(self) -> bool:
        return self.rule == "greedy_stop"


def rule_settings(meta: Mapping[str, str]) -> RuleSettings:
    """Map META ``rule`` (and the keys that go with it) to the rule call; see the module."""
    name = meta.get("rule", "").strip().lower()
    if name in _EQUAL_SHARES:
        options, notices = _mes_options(meta, _EQUAL_SHARES[name])
        return RuleSettings(rule="equal_shares", mes=options, notices=notices)
    if name in _GREEDY_NOT_MODELLED:
        return RuleSettings(rule="greedy", notices=(Notice(NOT_MODELLED, {"rule": name}),))
    if name not in _GREEDY:
        return RuleSettings(rule=None, notices=(Notice(NO_RULE, {"rule": name or "—"}),))
    if name != "greedy-threshold":
        return RuleSettings(rule=_GREEDY[name])
    threshold = meta.get("min_project_score_threshold", "").strip()
    if not (threshold.isascii() and threshold.isdigit()):
        return RuleSettings(rule="greedy", notices=(Notice(NO_THRESHOLD, {"rule": name}),))
    return RuleSettings(rule="greedy", min_score=int(threshold))


def _mes_options(
    meta: Mapping[str, str], default: MesOptions
) -> tuple[MesOptions, tuple[Notice, ...]]:
    values: dict[str, StrEnum] = {}
    notices: list[Notice] = []
    for name, kind in _MES_KEYS.items():
        key = f"mes_{name}"
        text = meta.get(key, "").strip()
        if not text:
            continue
        try:
            values[name] = kind(text)
        except ValueError:
            notices.append(Notice(BAD_OPTION, {"key": key, "value": text}))
    return replace(default, **values), tuple(notices)  # type: ignore[arg-type]


def mes_options_of(values: Mapping[str, str] | None) -> MesOptions | None:
    """The options stored with `MesOptions.to_dict` (a result payload), or None."""
    if values is None:
        return None
    return MesOptions(**{name: kind(values[name]) for name, kind in _MES_KEYS.items()})


def rule_meta(
    *, rule: str, min_score: int | None = None, mes: MesOptions | None = None
) -> dict[str, str]:
    """The META keys that name a pool's rule, for a `.pb` export."""
    if rule == "greedy_stop":
        return {"rule": "greedy-no-skip"}
    if rule != "equal_shares":
        if min_score:
            return {"rule": "greedy-threshold", "min_project_score_threshold": str(min_score)}
        return {"rule": "greedy"}
    if mes is None:  # computed before the options were recorded: pabutools' add one
        return {"rule": "equalshares/add1"}
    options = mes
    if not options.add_one:
        name = "equalshares"
    elif options.comparison is Comparison.NONE:
        name = "equalshares/add1"
    else:
        name = "equalshares/add1-comparison"
    return {"rule": name} | {
        f"mes_{item.name}": getattr(options, item.name).value for item in fields(options)
    }
