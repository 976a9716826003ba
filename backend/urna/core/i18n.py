"""Gettext catalogues: Polish first, English second.

Message ids are English; the Polish catalogue (``frontend/locale/pl``) translates them.
Catalogues are read from the ``.po`` files at start-up (no compile step to forget).
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import sys
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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
    text = gettext(message)
    return text % params if params else text


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


def format_count(number: int) -> str:
    """A count as Polish writes it: 12 345 (a non-breaking space between thousands)."""
    return f"{int(number):,}".replace(",", "\u00a0")


def format_money(grosze: int) -> str:
    """Polish money format: 1 234 567 zł, with grosze only when present."""
    zloty, rest = divmod(int(grosze), 100)
    text = format_count(zloty)
    if rest:
        text += f",{rest:02d}"
    return text + "\u00a0zł"


LOCAL_ZONE = ZoneInfo("Europe/Warsaw")


def format_datetime(value: datetime | None) -> str:
    """Local (Warsaw) time, as Polish offices write it: 31.05.2027, 23:59 (in the console
    with its zone: 31.05.2027, 23:59 CEST)."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_ZONE)
    text = local.strftime("%d.%m.%Y, %H:%M")
    return f"{text} {local.tzname()}" if _zone_shown.get() else text


def format_date(value: date | datetime | str | None) -> str:
    """31.05.2027, of a date, a moment (its day in Warsaw) or either as ISO text (as a
    report meant for JSON holds it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_ZONE).date()
    return value.strftime("%d.%m.%Y")
