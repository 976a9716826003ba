"""A moment a staff member types, read in the zone the console shows every time in:
Polish time (Europe/Warsaw), unless the text names its own offset or zone.

Accepted: "31.05.2027 23:59", "31.05.2027, 23:59:05", "31.05.2027" (midnight), ISO
("2027-05-31 23:59", "2027-05-31T23:59:05", "2027-05-31T21:59Z", "...+02:00"), a time
as the console shows it, its zone after it ("31.05.2027, 23:59:05 CEST"; CET, CEST or UTC),
and the month by its name, as the English console shows it or a person writes it in
either language ("31 May 2027, 23:59:05 CEST", "31 maja 2027 23:59", "31 Sept 2027").

The clocks' two changes a year:

- spring forward (the last Sunday of March, 02:00 → 03:00): a time in the skipped hour
  never happened, and is refused with ``GAP`` rather than moved;
- fall back (the last Sunday of October, 03:00 → 02:00): a time in the repeated hour
  (02:00–02:59) is its first occurrence, summer time (CEST); "CET" (or "+01:00") after it
  names the second.

``moment_input`` writes a moment back as a form shows it, so that it reads back the same.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from urna.core.i18n import LOCAL_ZONE, LOCALES, N_

DATETIME = N_("Give the date and time, e.g. 31.05.2027 23:59.")
GAP = N_(
    "This time did not exist in Poland: that night the clocks moved forward from 02:00 "
    "to 03:00. Give a time before 02:00 or from 03:00."
)
_DATE_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y",
)
_ZONES = {
    "CET": timezone(timedelta(hours=1)),
    "CEST": timezone(timedelta(hours=2)),
    "UTC": UTC,
}
_YEARS = (2000, 2199)


def _month_names() -> dict[str, int]:
    """Each month's names in the console's languages (lower case): wide and abbreviated,
    as a date is written ("maja") and as a month is named ("maj"), English's three
    letters too ("Sep" beside CLDR's "Sept")."""
    names: dict[str, int] = {}
    for locale in LOCALES.values():
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    names[name.lower()] = number
                    if locale.language == "en":
                        names[name[:3].lower()] = number
    return names


_MONTHS = _month_names()
# "31 May 2027", "31 maja 2027,": a day, a month's name, a year, then the time if any
_NAMED = re.compile(r"([0-9]{1,2})\s+([^\W\d_]+)\.?\s+([0-9]{4})(,?(?:\s.*)?)", re.DOTALL)


class MomentInvalid(ValueError):
    """A typed moment refused; ``message`` (a msgid) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _month_numbered(text: str) -> str:
    """``text`` with a month named ("31 May 2027, 23:59") written as its number
    ("31.05.2027, 23:59"); any other text as it is."""
    named = _NAMED.fullmatch(text)
    if named is None or named[2].lower() not in _MONTHS:
        return text
    day, month, year, rest = named[1], _MONTHS[named[2].lower()], named[3], named[4]
    return f"{int(day):02d}.{month:02d}.{year}{rest}"


def _naive_or_offset(text: str) -> datetime | None:
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def moment_parse(value: object) -> datetime:
    """``value`` (typed text) as a moment in UTC; ``MomentInvalid`` if it is none."""
    text = value.strip() if isinstance(value, str) else ""
    zone = None
    head, _, last = text.rpartition(" ")
    if head and last.upper() in _ZONES:
        text, zone = head.strip(), _ZONES[last.upper()]
    text = _month_numbered(text)
    # strptime and fromisoformat take other scripts' digits too
    moment = _naive_or_offset(text) if text.isascii() else None
    if moment is None or not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise MomentInvalid(DATETIME)
    if moment.tzinfo is not None:
        if zone is not None:
            raise MomentInvalid(DATETIME)  # "+02:00 CET": two zones, which one?
        return moment.astimezone(UTC)
    if zone is not None:
        return moment.replace(tzinfo=zone).astimezone(UTC)
    local = moment.replace(tzinfo=LOCAL_ZONE)  # fold=0: the first of a repeated hour
    if local.astimezone(UTC).astimezone(LOCAL_ZONE).replace(tzinfo=None) != moment:
        raise MomentInvalid(GAP)
    return local.astimezone(UTC)


def moment_input(value: datetime) -> str:
    """``value`` as a form's field shows it, in Polish time to the minute:
    "31.05.2027 23:59" ("31.10.2027 02:30 CET" for the second of a repeated hour)."""
    local = value.astimezone(LOCAL_ZONE)
    text = local.strftime("%d.%m.%Y %H:%M")
    return f"{text} {local.tzname()}" if local.fold else text
