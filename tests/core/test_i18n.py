"""Every message of the interface has a Polish translation; money and dates read Polish."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from urna.core import i18n

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """The msgids the templates and the Python source mark for translation."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "frontend/locale/babel.cfg",
            "-k",
            "N_",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def _catalogue(lang: str) -> dict:
    with (ROOT / f"frontend/locale/{lang}/LC_MESSAGES/messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=lang) if m.id}


def test_every_message_is_translated_to_polish(extracted):
    polish = _catalogue("pl")
    untranslated = sorted(
        str(m)
        for m in extracted
        if not polish.get(m) or (isinstance(polish[m], tuple) and not all(polish[m]))
    )
    assert untranslated == []


def _translated_by_value() -> set[str]:
    """Codes a page translates as they are stored (``_(item.kind)``, ``_(name)``): each is
    a msgid no extraction finds."""
    from urna.privacy.models import REQUEST_KINDS, REQUEST_STATES
    from urna.privacy.rights import IDENTITY_FIELDS
    from urna.voting.models import BALLOT_STATUSES

    return {*REQUEST_KINDS, *REQUEST_STATES, *IDENTITY_FIELDS, *BALLOT_STATUSES}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_catalogue_keeps_a_message_nothing_shows(extracted, lang):
    used = extracted | _translated_by_value()
    assert sorted(str(m) for m in _catalogue(lang) if m not in used) == []


def test_polish_formats():
    assert i18n.format_money(123456789, "pl") == "1\u00a0234\u00a0567,89\u00a0zł"
    assert i18n.format_money(5000000, "pl") == "50\u00a0000\u00a0zł"
    assert i18n.format_count(1234, "pl") == "1\u00a0234"
    moment = datetime(2027, 5, 31, 21, 59, tzinfo=UTC)
    assert i18n.format_datetime(moment, "pl") == "31.05.2027, 23:59"
    assert i18n.format_date(moment, "pl") == "31.05.2027"


def test_english_pages_write_numbers_and_days_as_english_does():
    """Not the Polish 1 234,50 zł and 03.09.2027 on an English page: the language's own
    grouping, decimal point and currency name, and a day no English reader can misread."""
    assert i18n.format_money(123456789, "en") == "PLN\u00a01,234,567.89"
    assert i18n.format_money(5000000, "en") == "PLN\u00a050,000"
    assert i18n.format_count(12345, "en") == "12,345"
    moment = datetime(2027, 9, 3, 21, 59, tzinfo=UTC)
    assert i18n.format_datetime(moment, "en") == "3 Sept 2027, 23:59"
    assert i18n.format_date("2027-09-03", "en") == "3 Sept 2027"


def test_evidence_times_to_the_second_in_polish_time_with_the_utc_instant_for_machines():
    summer = datetime(2027, 5, 31, 21, 30, 5, tzinfo=UTC)
    winter = datetime(2027, 1, 15, 21, 30, 5, 250000, tzinfo=UTC)
    assert i18n.format_moment(summer, "pl") == "31.05.2027, 23:30:05"
    assert i18n.format_moment(winter, "en") == "15 Jan 2027, 22:30:05"
    assert i18n.format_moment(summer, "pl", day=False) == "23:30:05"
    i18n.zone_show(True)  # as in the staff console
    try:
        assert i18n.format_moment(summer, "pl") == "31.05.2027, 23:30:05 CEST"
        assert i18n.format_moment(winter, "pl") == "15.01.2027, 22:30:05 CET"
    finally:
        i18n.zone_show(False)
    assert i18n.utc_iso(summer) == "2027-05-31T21:30:05Z"
    assert i18n.utc_iso(winter) == "2027-01-15T21:30:05.250Z"


def test_fractions_with_the_language_s_decimal_sign():
    assert i18n.format_fraction(14.34, "pl") == "14,34" and i18n.format_fraction(7.5, "en") == "7.5"
    assert i18n.format_fraction(12345.678, "pl") == "12\u00a0345,68"


def test_without_a_language_the_page_s_language_is_used():
    i18n.set_language("en")
    try:
        assert i18n.format_money(150) == "PLN\u00a01.50"
    finally:
        i18n.set_language("pl")
    assert i18n.format_money(150) == "1,50\u00a0zł"


def test_both_catalogues_parse_without_a_damaged_entry():
    from pathlib import Path

    from babel.messages.pofile import read_po

    locale = Path(__file__).resolve().parents[2] / "frontend" / "locale"
    for lang in ("pl", "en"):
        with (locale / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            read_po(handle, locale=lang, abort_invalid=True)  # raises on a damaged entry
