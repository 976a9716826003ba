"""A moment typed in the console is read in Polish time, as the console shows every time;
the spring's skipped hour is refused, the autumn's repeated one is its first (CEST)."""

from datetime import UTC, datetime

import pytest

from urna.core import i18n
from urna.core.moments import DATETIME, GAP, MomentInvalid, moment_input, moment_parse

SUMMER = datetime(2027, 5, 31, 21, 30, 5, tzinfo=UTC)  # 23:30:05 CEST
WINTER = datetime(2027, 1, 15, 21, 30, 5, tzinfo=UTC)  # 22:30:05 CET


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("31.05.2027 23:30", SUMMER.replace(second=0)),
        ("31.05.2027, 23:30:05", SUMMER),
        ("2027-05-31 23:30:05", SUMMER),
        ("2027-05-31T23:30:05", SUMMER),
        ("15.01.2027 22:30:05", WINTER),
        ("2027-05-31T21:30:05Z", SUMMER),  # an offset typed is kept
        ("2027-05-31T23:30:05+02:00", SUMMER),
        ("31.05.2027", datetime(2027, 5, 30, 22, tzinfo=UTC)),  # midnight in Poland
    ],
)
def test_a_typed_time_is_polish_time_unless_it_says_otherwise(typed, moment):
    assert moment_parse(typed) == moment and moment_parse(typed).tzinfo is UTC


def test_a_time_as_the_console_shows_it_reads_back_the_same():
    i18n.zone_show(True)
    try:
        for moment in (SUMMER, WINTER):
            assert moment_parse(i18n.format_moment(moment, "pl")) == moment
    finally:
        i18n.zone_show(False)


@pytest.mark.parametrize(
    "typed",
    [
        "31 May 2027, 23:30:05",
        "31 May 2027, 23:30:05 CEST",
        "31 maja 2027 23:30:05",
        "31 MAJ 2027, 23:30:05",
        "31 may. 2027 23:30:05",
    ],
)
def test_a_month_named_in_either_language_is_read(typed):
    assert moment_parse(typed) == SUMMER
    assert moment_parse("15 Sep 2027") == moment_parse("15 września 2027")
    assert moment_parse("15 Sept 2027") == datetime(2027, 9, 14, 22, tzinfo=UTC)


def test_a_time_as_the_english_console_shows_it_reads_back_the_same():
    i18n.zone_show(True)
    try:
        for moment in (SUMMER, WINTER, datetime(2027, 10, 31, 1, 30, tzinfo=UTC)):
            shown = i18n.format_moment(moment, "en")
            assert moment_parse(shown) == moment, shown
    finally:
        i18n.zone_show(False)


def test_every_month_name_of_both_languages_means_its_own_month():
    for locale in i18n.LOCALES.values():
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    typed = f"1 {name} 2027"
                    assert moment_parse(typed).astimezone(i18n.LOCAL_ZONE).month == number


def test_the_autumn_s_repeated_hour_is_summer_time_unless_cet_follows():
    assert moment_parse("31.10.2027 02:30") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert moment_parse("31.10.2027 02:30 CEST") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert moment_parse("31.10.2027 02:30 CET") == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert moment_parse("31.10.2027 02:30 UTC") == datetime(2027, 10, 31, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["28.03.2027 02:00", "2027-03-28 02:59:59", "28.03.2027, 02:30"])
def test_a_time_the_spring_change_skips_is_refused_with_its_own_message(typed):
    with pytest.raises(MomentInvalid) as error:
        moment_parse(typed)
    assert error.value.message == GAP
    assert moment_parse("28.03.2027 03:00") == datetime(2027, 3, 28, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "jutro",
        "31.02.2027 10:00",
        "31 Foo 2027",
        "31 maja",
        "31 February 2027",
        "٣١.٠٥.٢٠٢٧",
        "0001-01-01T00:00",
        "2027-05-31T10:00Z CET",
    ],
)
def test_what_is_no_time_is_refused(typed):
    with pytest.raises(MomentInvalid) as error:
        moment_parse(typed)
    assert error.value.message == DATETIME


def test_a_form_shows_a_moment_so_that_it_reads_back():
    assert moment_input(SUMMER) == "31.05.2027 23:30"
    assert moment_input(WINTER) == "15.01.2027 22:30"
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # the repeated hour, its second time
    assert moment_input(second) == "31.10.2027 02:30 CET"
    assert moment_parse(moment_input(second)) == second
