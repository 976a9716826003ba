"""Gettext catalogues: Polish first, English second.

Message ids are English; the Polish catalogue (``frontend/locale/pl``) translates them.
Catalogues are read from the ``.po`` files at start-up (no compile step to forget).
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("pl", "en")
_catalogues: dict[str, _gettext.NullTranslations] = {}
_current: ContextVar[str] = ContextVar("urna_language", default="pl")
# The staff console names the time zone of every time it shows (public pages do not).
_zone_shown: ContextVar[bool] = ContextVar("urna_zone_shown", default=False)


def load_catalogues(locale_dir: Path) -> None:
    for lang in LANGUAGES:
        po_path = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            _catalogues[lang] = _gettext.NullTranslations()
            continue
        # babel reports a damaged entry with print(): never on stdout, which commands
        # such as `urna fraud scan --json` keep for their output alone
        with po_path.open("rb") as handle, contextlib.redirect_stdout(sys.stderr):
            catalog = read_po(handle, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        _catalogues[lang] = _gettext.GNUTranslations(buffer)


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else LANGUAGES[0])


def zone_show(shown: bool) -> None:
    _zone_shown.set(shown)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    catalogue = _catalogues.get(_current.get())
    return catalogue.gettext(message) if catalogue else message


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang``, whatever the request's language."""
    catalogue = _catalogues.get(lang)
    return catalogue.gettext(message) if catalogue else message


def ngettext(singular: str, plural: str, n: int) -> str:
    catalogue = _catalogues.get(_current.get())
    if catalogue:
        return catalogue.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def translate(message: str, **params: object) -> str:
    return translate_in(_current.get(), message, **params)


def translate_in(lang: str, message: str, **params: object) -> str:
    """``message`` in ``lang`` with its parameters filled in (a stored msgid and params)."""
    text = gettext_in(lang, message) if message else ""
    return text % params if params else text


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


# babel's data per language: Polish as written in Poland, English as in Britain.
LOCALES = {"pl": Locale.parse("pl_PL"), "en": Locale.parse("en_GB")}
# Money: grosze only when present, the currency as each language names it (zł, PLN).
_MONEY = {"pl": ("#,##0\u00a0¤", "#,##0.00\u00a0¤"), "en": ("¤\u00a0#,##0", "¤\u00a0#,##0.00")}
# A day as Polish offices write it (31.05.2027), and as no English reader can misread it
# (31 May 2027: 05/31 and 31/05 are both English).
_DAY = {"pl": "dd.MM.yyyy", "en": "d MMM yyyy"}


def _lang(lang: str | None) -> str:
    """``lang``, or the page's language."""
    return lang if lang in LOCALES else _current.get()


@lru_cache(maxsize=4096)
def _count(number: int, lang: str) -> str:
    return format_decimal(number, locale=LOCALES[lang])


def format_count(number: int, lang: str | None = None) -> str:
    """A count as the page's language writes it: 12 345 (a non-breaking space), 12,345."""
    return _count(int(number), _lang(lang))


def format_fraction(number: float | Decimal, lang: str | None = None) -> str:
    """A number with up to two decimals as the page's language writes it: 14,34; 14.34."""
    return format_decimal(number, "#,##0.##", locale=LOCALES[_lang(lang)])


@lru_cache(maxsize=4096)
def _money(grosze: int, lang: str) -> str:
    pattern = _MONEY[lang][grosze % 100 != 0]
    amount = Decimal(grosze).scaleb(-2)
    return format_currency(amount, "PLN", pattern, locale=LOCALES[lang], currency_digits=False)


def format_money(grosze: int, lang: str | None = None) -> str:
    """An amount in grosze as the page's language writes it, grosze only when present:
    1 234 567 zł, 1 234,50 zł; PLN 1,234,567, PLN 1,234.50 (non-breaking spaces)."""
    return _money(int(grosze), _lang(lang))


@dataclass(frozen=True, slots=True)
class InPageLanguage:
    """A value written when the page prints it, in the page's language: made before that
    language is set (a form's prefilled value, a chart), it is the subclass's ``write`` of
    its fields, in their order, at that moment."""

    write: ClassVar[Callable[..., str]]

    def __str__(self) -> str:
        return self.write(*(getattr(self, each.name) for each in fields(self)))


@dataclass(frozen=True, slots=True)
class Money(InPageLanguage):
    """An amount as ``format_money`` writes it; ``core.money.zloty_parse`` reads it back
    in either language."""

    grosze: int
    write = staticmethod(format_money)


LOCAL_ZONE = ZoneInfo("Europe/Warsaw")


def format_datetime(
    value: datetime | str | None, lang: str | None = None, *, zone: bool = False
) -> str:
    """Local (Warsaw) time as the page's language writes it: 31.05.2027, 23:59 and
    31 May 2027, 23:59 (in the console, or with ``zone``, with its zone: 31.05.2027, 23:59
    CEST); of a moment or of one as ISO text (as a report meant for JSON holds it)."""
    return _local_text(value, lang, "HH:mm", zone=zone)


def format_moment(
    value: datetime | str | None, lang: str | None = None, *, day: bool = True
) -> str:
    """``format_datetime`` to the second, for times read as evidence (a ballot cast, a
    request): 31.05.2027, 23:30:05 CEST in the console; the time alone without ``day``."""
    return _local_text(value, lang, "HH:mm:ss", day=day)


def _local_text(
    value: datetime | str | None,
    lang: str | None,
    clock: str,
    *,
    day: bool = True,
    zone: bool = False,
) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(LOCAL_ZONE)
    lang = _lang(lang)
    pattern = f"{_DAY[lang]}, {clock}" if day else clock
    text = babel_dates.format_datetime(local, pattern, locale=LOCALES[lang])
    return f"{text} {local.tzname()}" if zone or _zone_shown.get() else text


def utc_iso(value: datetime) -> str:
    """The exact instant for machines, as HTML's ``<time datetime>`` takes it (to the
    millisecond): 2027-05-31T21:30:05Z, 2027-05-31T21:30:05.250Z."""
    timespec = "milliseconds" if value.microsecond else "seconds"
    return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def format_date(value: date | datetime | str | None, lang: str | None = None) -> str:
    """31.05.2027 (31 May 2027 in English), of a date, a moment (its day in Warsaw) or
    either as ISO text (as a report meant for JSON holds it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_ZONE).date()
    lang = _lang(lang)
    return babel_dates.format_date(value, _DAY[lang], locale=LOCALES[lang])
