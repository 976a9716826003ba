"""Pabulib files nobody here has seen: what the format allows, in small realistic files.

Each shape either imports and computes the winners pabutools computes for the same rule, or
is refused in one line naming the line or the field — never a traceback, never a silent
wrong import. The refusals the real files led to are in ``test_import_refusals.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import fresh_database
from tests.staff.test_cli import urna
from urna.results.importer import ImportRefused, edition_described
from urna.results.pabulib import PabulibError, pabulib_loads

from .test_cli import assert_one_clean_line
from .test_import_refusals import line_of, pb, refusal, saved

pytestmark = pytest.mark.flow


def refused(text: str) -> str:
    """The parser's refusal of ``text``."""
    with pytest.raises(PabulibError) as error:
        pabulib_loads(text)
    return str(error.value)


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", "NaN"])
def test_a_number_that_is_not_finite_is_refused_not_a_crash(tmp_path, value):
    budget = pb().replace("budget;100", f"budget;{value}")
    assert refused(budget) == (
        f"META line {line_of(budget, 'budget;')}: budget is not a number: {value!r}"
    )
    costs = pb().replace("1;60;", f"1;{value};")
    assert refused(costs) == (
        f"PROJECTS line {line_of(costs, '1;')}: cost of project 1 is not a number: {value!r}"
    )
    points = pb(f"voter_id;vote;points\nv1;1;{value}\n", vote_type="cumulative")
    assert refused(points) == (
        f"VOTES line {line_of(points, 'v1;')}: points is not a number: {value!r}"
    )
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(saved(tmp_path, costs))
    assert str(import_refused.value) == (
        f"The file cannot be imported: PROJECTS line {line_of(costs, '1;')}: cost of project 1 "
        f"is not a number: {value!r}"
    )


# --- the shape of the file ---------------------------------------------------------------


@pytest.mark.parametrize("section", ["META\nkey;value\nbudget;900\n", "VOTES\nvoter_id;vote\n"])
def test_a_section_given_twice_is_refused_naming_both_lines(section):
    """Two files stitched together: the second META would silently replace the budget, a
    second VOTES header would be read as a vote for project "vote"."""
    text = pb() + section
    name = section.split("\n")[0]
    assert refused(text) == (
        f"line {line_of(text, name, 2)}: a second {name} section "
        f"(the first begins on line {line_of(text, name)})"
    )


def test_a_meta_key_given_twice_with_another_value_is_refused():
    text = pb(meta="budget;900\n")
    assert refused(text) == (
        f"META line {line_of(text, 'budget;900')}: budget is '900', "
        f"but line {line_of(text, 'budget;100')} says '100'"
    )
    assert pabulib_loads(pb(meta="budget;100\n")).budget == 100  # said twice alike: harmless


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("#1: data from the city; votes on paper counted by hand", None),
        ('"#1: quoted; as the format says"', "#1: quoted; as the format says"),
    ],
)
def test_a_meta_value_with_semicolons_keeps_its_text(comment, kept):
    """A free text (comment, description) with an unquoted ``;`` is one value, as
    pabutools reads its first part; refusing the whole election for it helps nobody."""
    instance = pabulib_loads(pb(meta=f"comment;{comment}\n"))
    assert instance.meta["comment"] == (kept or comment)
    assert instance.budget == 100


def test_meta_rows_with_a_trailing_separator_or_without_a_value():
    """A spreadsheet's export ends rows with ``;``; a row without ``;`` is refused by line."""
    assert pabulib_loads(pb().replace("budget;100\n", "budget;100;\n")).budget == 100
    text = pb(meta="comment\n")
    assert refused(text) == f"META line {line_of(text, 'comment')}: comment has no value"


@pytest.mark.parametrize(
    ("section", "header"),
    [("PROJECTS", "project_id;cost;name;cost"), ("VOTES", "voter_id;vote;vote")],
)
def test_a_column_named_twice_is_refused(section, header):
    """Which of the two cells counts would be a guess: the last one silently won."""
    text = pb("voter_id;vote;vote\nv1;1;2\n")
    if section == "PROJECTS":
        text = pb().replace("project_id;cost;name\n", f"{header}\n")
        for row in ("1;60;Ławki", "2;50;Drzewa", "3;30;Kwiaty"):
            text = text.replace(f"{row}\n", f"{row};{row.split(';')[1]}\n")
    assert refused(text) == (
        f"{section} line {line_of(text, header)}: the column {header.split(';')[-1]} is named twice"
    )


def test_unnamed_columns_of_a_spreadsheet_export_are_no_repeated_name():
    text = pb("voter_id;vote;;\nv1;1,2;;\nv2;3;;\n").replace("name\n", "name;;\n")
    for row in ("1;60;Ławki", "2;50;Drzewa", "3;30;Kwiaty"):
        text = text.replace(f"{row}\n", f"{row};;\n")
    instance = pabulib_loads(text)
    assert [vote.vote for vote in instance.votes] == [("1", "2"), ("3",)]
    assert [project.cost for project in instance.projects] == [60, 50, 30]


def test_a_project_id_given_twice_is_refused_naming_both_lines():
    """Its votes would be summed into one project with the last row's cost."""
    text = pb().replace("3;30;Kwiaty\n", "3;30;Kwiaty\n1;20;Ule\n")
    assert refused(text) == (
        f"PROJECTS line {line_of(text, '1;20')}: project 1 is also on line {line_of(text, '1;60')}"
    )


# --- voters ------------------------------------------------------------------------------


@pytest.mark.parametrize("votes", ["v1;1,2\n;2\nv3;3\n", "v1;1,2\n;2\n;3\n"])
def test_an_empty_voter_id_is_refused_naming_its_line(votes):
    """Ids are how a resident counted twice is found and how a refusal names the vote."""
    text = pb(f"voter_id;vote\n{votes}")
    assert refused(text) == f"VOTES line {line_of(text, ';2')}: voter_id is empty"


def test_voter_ids_need_not_be_numbers():
    instance = pabulib_loads(pb("voter_id;vote\nabc-1;1,2\nWesoła/7 b;2\n000;3\n0;3\n"))
    assert [vote.voter_id for vote in instance.votes] == ["abc-1", "Wesoła/7 b", "000", "0"]


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_a_file_not_in_utf8_is_refused_naming_the_line(tmp_path, encoding):
    """Polish offices' spreadsheets save Windows-1250; the message says where and what to do
    rather than quote the codec's byte position."""
    text = pb()
    path = tmp_path / "Poland_Testowo_2027.pb"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(path)
    assert str(import_refused.value) == (
        f"The file cannot be imported: the file is not UTF-8: line {line_of(text, '1;60')} "
        "holds the byte 0xa3 (saved as Windows-1250 or ISO-8859-2?); save it as UTF-8"
    )


def test_a_utf16_file_is_refused_and_utf8_with_bom_and_crlf_imports(tmp_path):
    path = tmp_path / "Poland_Testowo_2027.pb"
    path.write_bytes(pb().encode("utf-16"))
    with pytest.raises(ImportRefused, match="not UTF-8: line 1 holds the byte 0xff"):
        edition_described(path)
    path.write_bytes(pb().replace("\n", "\r\n").encode("utf-8-sig") + b"\r\n\r\n")
    instance, data, _ = edition_described(path)
    assert [project.title for project in data.projects] == ["Ławki", "Drzewa", "Kwiaty"]
    assert len(instance.votes) == 3


# --- text of the file --------------------------------------------------------------------


def test_line_breaks_and_tabs_in_quoted_names_become_spaces_and_long_names_are_cut(tmp_path):
    """A quoted cell may hold line breaks (a spreadsheet's Alt+Enter); a name on a page
    cannot, and the import refused the whole election for it."""
    long_district = "Osiedle " * 40
    text = pb(meta=f'district;"{long_district}"\n').replace("unit;Testowo", 'unit;"Gmina\nTestowo"')
    text = text.replace("1;60;Ławki", '1;60;"Ławki\tprzy\r\nszkole"').replace(
        "project_id;cost;name", "project_id;cost;name;category"
    )
    for row in ("2;50;Drzewa", "3;30;Kwiaty"):
        text = text.replace(f"{row}\n", f"{row};\n")
    text = text.replace('szkole"\n', 'szkole";"zieleń\nmiejska"\n')
    _, data, _ = edition_described(saved(tmp_path, text))
    assert [project.title for project in data.projects] == ["Ławki przy szkole", "Drzewa", "Kwiaty"]
    assert data.projects[0].category == "zieleń miejska"
    assert data.municipality == "Gmina Testowo"
    assert data.pools[0].name == data.areas[0].name == long_district[:200].rstrip()


# --- refusals in the file's terms --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("1;60;Ławki", "1;0;Ławki"), "project 1, cost: A project must cost more than 0 zł."),
        (("1;60;Ławki", '"1,5";60;Ławki'), "project 1,5, project_id: Use letters, digits"),
        (("1;60;Ławki", f"{'P' * 41};60;Ławki"), f"project {'P' * 41}, project_id: Value should"),
        (("budget;100", "budget;0"), "META budget: A pool's budget must be more than 0 zł."),
        (("rule;greedy", "max_length;0"), "META max_length: Input should be greater than"),
        (("rule;greedy", "min_length;3\nmax_length;2"), "META min_length, max_length: The most"),
    ],
)
def test_an_edition_check_names_the_project_or_the_meta_key(tmp_path, change, expected):
    """Not Urna's form fields (``projects.0.cost``, ``pools.0.budget``), which the office
    cannot find in its file."""
    text = pb("voter_id;vote\n").replace(*change).replace("1;1,2", "")
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(saved(tmp_path, text))
    message = str(import_refused.value)
    assert message.startswith(f"The file does not describe a valid edition: {expected}"), message
    assert ".0" not in message


async def test_equal_shares_for_points_names_the_meta_rule(app, tmp_path):
    text = pb(vote_type="ordinal").replace("rule;greedy", "rule;equalshares/add1")
    message = await refusal(app, tmp_path, text)
    assert message.startswith(
        "The file cannot be imported: META rule: The Method of Equal Shares works only with "
        "approval voting"
    ), message


def test_dates_in_reverse_are_refused_naming_both_keys(tmp_path):
    text = pb(meta="date_begin;31.10.2022\ndate_end;07.10.2022\n")
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(saved(tmp_path, text))
    assert str(import_refused.value) == (
        "The file cannot be imported: META date_end '07.10.2022' is before date_begin '31.10.2022'"
    )


def test_a_date_end_before_2000_without_date_begin_is_refused_naming_the_opening(tmp_path):
    """Without date_begin voting opens on 1 January 2000; the refusal had no date_begin to
    quote and crashed the import with a KeyError."""
    with pytest.raises(ImportRefused) as import_refused:
        edition_described(saved(tmp_path, pb(meta="date_end;31.12.1999\n")))
    assert str(import_refused.value) == (
        "The file cannot be imported: META date_end '31.12.1999' is before 2000-01-01, "
        "the opening without date_begin"
    )


@pytest.mark.parametrize(
    ("begin", "end"),
    [
        ("07.10.2022 08:00", "31.10.2022 23:59:59"),
        ("2022-10-07T08:00:00", "2022-10-31 20:00"),
        ("2022-10-07T00:00:00+02:00", "2022-10-31"),
    ],
)
def test_a_date_with_its_time_is_read_as_its_day(tmp_path, begin, end):
    """The edition opens and closes on whole days; a time of day says no other day."""
    text = pb(meta=f"date_begin;{begin}\ndate_end;{end}\n")
    _, data, _ = edition_described(saved(tmp_path, text))
    assert data.voting_opens_at == datetime(2022, 10, 7, tzinfo=UTC)
    assert data.voting_closes_at == datetime(2022, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["07.10.2022 r.", "2022-10-07 to 2022-10-31", "2022"])
def test_a_date_followed_by_other_words_is_still_refused(tmp_path, value):
    with pytest.raises(ImportRefused, match="META date_begin is not a date"):
        edition_described(saved(tmp_path, pb(meta=f"date_begin;{value}\n")))


@pytest.mark.parametrize(
    ("written", "read"),
    [("1 000 000", 1_000_000), ("1\u00a0000", 1000), ("2 500,00", 2500), ("100,00", 100)],
)
def test_an_amount_grouped_by_spaces_is_read(written, read):
    """Polish writes thousands apart by a space (a spreadsheet: a no-break space)."""
    instance = pabulib_loads(pb().replace("budget;100", f"budget;{written}"))
    assert instance.budget == read
    costs = pabulib_loads(pb().replace("1;60;", f"1;{written};"))
    assert costs.projects[0].cost == read


@pytest.mark.parametrize("written", ["1,000", "100.000", "-2,500"])
def test_an_amount_with_three_digits_after_the_separator_is_refused_as_ambiguous(written):
    """A thousand or one? pabutools reads 1,000 as 1: a budget a thousand times too small."""
    text = pb().replace("1;60;", f"1;{written};")
    assert refused(text) == (
        f"PROJECTS line {line_of(text, '1;')}: cost of project 1 is ambiguous: {written!r} "
        "(thousands apart, or decimals?)"
    )


# --- limits of a vote --------------------------------------------------------------------


async def test_max_sum_cost_limits_the_pool_and_a_vote_costing_more_is_refused(app, tmp_path):
    """As max_length does: the edition keeps the file's limit (a replay of the file refuses
    what the file's own form refused), and a vote beyond it refuses the file."""
    _, data, _ = edition_described(saved(tmp_path, pb(meta="max_sum_cost;110\n")))
    assert data.pools[0].max_total_cost == 110 * 100
    _, data, _ = edition_described(saved(tmp_path, pb(meta="max_sum_cost;0\n")))
    assert data.pools[0].max_total_cost is None  # 0: no limit, as pabutools reads it
    assert await refusal(app, tmp_path, pb(meta="max_sum_cost;90\n")) == (
        "Voter v1 names projects costing 110 in all, more than the file's max_sum_cost of 90."
    )


def test_an_age_written_as_a_decimal_by_a_data_frame_is_read():
    """pandas writes an integer column with missing cells as 34.0; 34.5 is still refused."""
    text = pb("voter_id;vote;age\nv1;1,2;34.0\nv2;2;\nv3;3;71,0\n")
    assert [vote.age for vote in pabulib_loads(text).votes] == [34, None, 71]
    text = pb("voter_id;vote;age\nv1;1,2;34.5\n")
    assert refused(text) == f"VOTES line {line_of(text, 'v1;')}: age is not a whole number: '34.5'"


@pytest.mark.parametrize("column", ["category", "categories"])
def test_a_category_column_of_either_name_gives_the_category(tmp_path, column):
    """pabutools reads ``category`` and ``categories`` alike; the cell ``None`` is none, as
    everywhere in the format (it was shown as the category "None")."""
    text = pb().replace("project_id;cost;name", f"project_id;cost;name;{column};targets")
    for row, cells in (("1;60;Ławki", "sport,culture;children"), ("2;50;Drzewa", "None;None")):
        text = text.replace(f"{row}\n", f"{row};{cells}\n")
    text = text.replace("3;30;Kwiaty\n", "3;30;Kwiaty;;\n")
    _, data, _ = edition_described(saved(tmp_path, text))
    assert [project.category for project in data.projects] == ["sport,culture", "", ""]


# --- the command -------------------------------------------------------------------------


async def test_the_command_prints_these_refusals_as_one_clean_line(tmp_path):
    """What crashed the command with a traceback (a cost of nan) and what it said in the
    codec's words (Windows-1250), each on one line naming the place in the file."""
    url, drop = await fresh_database(tmp_path)
    cases = {
        "nan.pb": (pb().replace("1;60;", "1;nan;").encode(), "cost of project 1 is not a number"),
        "cp1250.pb": (pb().encode("cp1250"), "the file is not UTF-8: line 10 holds the byte 0xa3"),
        "twice.pb": ((pb() + "VOTES\nvoter_id;vote\n").encode(), "a second VOTES section"),
    }
    try:
        for name, (content, expected) in cases.items():
            path = tmp_path / name
            path.write_bytes(content)
            done = urna(url, tmp_path, "edition", "import-pabulib", str(path), "--slug", "refused")
            assert_one_clean_line(done, "The file cannot be imported", expected)
    finally:
        await drop()


def test_an_empty_project_id_and_text_before_meta_are_refused_naming_their_line():
    text = pb().replace("2;50;Drzewa", ";50;Drzewa")
    assert refused(text) == f"PROJECTS line {line_of(text, ';50;')}: project_id is empty"
    assert refused("Pabulib export\n" + pb()) == "line 1: data before the first section header"
