"""What the pabulib import refuses, in one clear line, rather than import wrongly or crash:
a voter id twice, a project twice in a vote, points Urna cannot count (0 or fewer, more in
all than META max_sum_points, beyond the 32-bit column), a vote longer than META max_length,
a META number or date that cannot be read, and META counts the file does not hold (a file
cut short). The readiness replay still reads a file with a bad vote and sets it aside."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtests.readiness import replay
from tests.conftest import fresh_database
from tests.staff.test_cli import urna
from urna.results.importer import ImportRefused, edition_described
from urna.results.pabulib import POINTS_MAX, PabulibError, pabulib_loads, scores

from .pabulib_support import pabulib_path
from .test_cli import assert_one_clean_line
from .test_importer import _edition_count, _import

pytestmark = pytest.mark.flow

APPROVAL_VOTES = "voter_id;vote\nv1;1,2\nv2;2\nv3;3\n"


def pb(votes: str = APPROVAL_VOTES, *, vote_type: str = "approval", meta: str = "") -> str:
    """A small file: three projects, the ``votes`` section, and ``meta`` lines added."""
    return (
        "META\nkey;value\ndescription;Testowo 2027\nunit;Testowo\nbudget;100\n"
        f"vote_type;{vote_type}\nrule;greedy\n{meta}"
        "PROJECTS\nproject_id;cost;name\n1;60;Ławki\n2;50;Drzewa\n3;30;Kwiaty\n"
        f"VOTES\n{votes}"
    )


def line_of(text: str, start: str, nth: int = 1) -> int:
    """The number of the ``nth`` line of ``text`` that begins with ``start``."""
    numbers = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return numbers[nth - 1]


def saved(tmp_path: Path, text: str, name: str = "Poland_Testowo_2027.pb") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def refusal(app, tmp_path: Path, text: str) -> str:
    """The message of the import's refusal; the refused file leaves no edition behind."""
    slug = f"refused-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ImportRefused) as refused:
        await _import(app, saved(tmp_path, text), slug)
    assert await _edition_count(app, slug) == 0
    return str(refused.value)


# --- 1. a voter id twice -----------------------------------------------------------------


async def test_a_repeated_voter_id_refuses_the_file_naming_the_voter_and_lines(app, tmp_path):
    text = pb("voter_id;vote\nv1;1,2\nv2;2\nv1;3\n")
    first, again = line_of(text, "v1;"), line_of(text, "v1;", 2)
    message = f"VOTES line {again}: voter v1 is also on line {first}"
    with pytest.raises(PabulibError) as refused:
        pabulib_loads(text)
    assert str(refused.value) == message
    assert await refusal(app, tmp_path, text) == f"The file cannot be imported: {message}"


# --- 2. a project twice in one vote ------------------------------------------------------


async def test_a_project_twice_in_a_vote_refuses_the_import_and_the_replay_sets_it_aside(
    app, tmp_path
):
    text = pb("voter_id;vote\nv1;1,2\nv2;2,3,2\nv3;3\n")
    assert await refusal(app, tmp_path, text) == "Voter v2 names project 2 twice."

    # The replay reads the same file and casts the other votes, as it always did.
    edition = {
        "projects": {n: {"pool": 7, "cost": 10} for n in ("1", "2", "3")},
        "pools": {"7": {"min_choices": 0, "max_choices": 3, "max_total_cost": None}},
    }
    plan = replay.plan(saved(tmp_path, text, "replay.pb"), edition)
    assert [vote.voter_id for vote in plan.votes] == ["v1", "v3"]
    assert "Set aside 1: the same project twice." in [en for _, en in plan.lines()]


# --- 3. points and lengths ---------------------------------------------------------------


@pytest.mark.parametrize("points", ["0", "-3"])
async def test_cumulative_points_below_one_are_refused(app, tmp_path, points):
    text = pb(f"voter_id;vote;points\nv1;1,2;6,4\nv2;3,1;{points},10\n", vote_type="cumulative")
    assert await refusal(app, tmp_path, text) == (
        f"Voter v2 gives project 3 {points} points; points must be at least 1."
    )


async def test_points_above_max_sum_points_are_refused(app, tmp_path):
    text = pb(
        "voter_id;vote;points\nv1;1,2;6,4\nv2;3,1;7,4\n",
        vote_type="cumulative",
        meta="max_sum_points;10\n",
    )
    assert await refusal(app, tmp_path, text) == (
        "Voter v2 gives 11 points in all, more than the file's max_sum_points of 10."
    )


@pytest.mark.parametrize("vote_type", ["ordinal", "approval"])
async def test_a_vote_longer_than_max_length_is_refused(app, tmp_path, vote_type):
    text = pb("voter_id;vote\nv1;1,2\nv2;3,1,2\n", vote_type=vote_type, meta="max_length;2\n")
    assert await refusal(app, tmp_path, text) == (
        "Voter v2 names more projects (3) than the file's max_length of 2."
    )


def test_ordinal_places_beyond_max_length_never_get_zero_or_fewer_points():
    instance = pabulib_loads(
        pb("voter_id;vote\nv1;1,2\nv2;3,1,2\n", vote_type="ordinal", meta="max_length;2\n")
    )
    with pytest.raises(PabulibError, match="voter v2 ranks more projects than max_length 2"):
        scores(instance)


async def test_a_vote_shorter_than_min_length_is_refused(app, tmp_path):
    text = pb("voter_id;vote\nv1;1,2\nv2;3\n", meta="min_length;2\n")
    assert await refusal(app, tmp_path, text) == (
        "Voter v2 names fewer projects (1) than the file's min_length of 2."
    )


CUMULATIVE_VOTES = "voter_id;vote;points\nv1;1,2;6,4\nv2;3,1;{}\n"


@pytest.mark.parametrize(
    ("vote_type", "votes", "meta", "expected"),
    [
        (
            "approval",
            APPROVAL_VOTES,
            "min_sum_cost;40.5\n",
            "Voter v3 names projects costing 30 in all, less than the file's min_sum_cost of "
            "40.50.",
        ),
        (
            "cumulative",
            CUMULATIVE_VOTES.format("1,9"),
            "min_points;2\n",
            "Voter v2 gives project 3 1 points, fewer than the file's min_points of 2.",
        ),
        (
            "scoring",
            CUMULATIVE_VOTES.format("3,7"),
            "max_points;6\n",
            "Voter v2 gives project 1 7 points, more than the file's max_points of 6.",
        ),
        (
            "cumulative",
            CUMULATIVE_VOTES.format("3,5"),
            "min_sum_points;10\n",
            "Voter v2 gives 8 points in all, fewer than the file's min_sum_points of 10.",
        ),
    ],
)
async def test_a_vote_beyond_the_files_other_limits_is_refused(
    app, tmp_path, vote_type, votes, meta, expected
):
    """As max_sum_cost and max_sum_points: the vote the file's own form would have refused
    refuses the file; counting it would count a ballot the city did not accept."""
    assert await refusal(app, tmp_path, pb(votes, vote_type=vote_type, meta=meta)) == expected


async def test_votes_within_the_files_other_limits_import(app, tmp_path):
    """0 is no limit for the minimums, as pabutools reads them."""
    limits = "min_sum_cost;30\nmin_points;1\nmax_points;10\nmin_sum_points;8\n"
    cumulative = pb(CUMULATIVE_VOTES.format("3,5"), vote_type="cumulative", meta=limits)
    summary = await _import(app, saved(tmp_path, cumulative, "c.pb"), f"c-{uuid.uuid4().hex[:8]}")
    assert (summary.ballots, summary.choices) == (2, 4)
    zeros = "min_sum_cost;0\nmin_points;0\nmin_sum_points;0\n"
    approval = pb(meta=zeros)
    summary = await _import(app, saved(tmp_path, approval, "a.pb"), f"a-{uuid.uuid4().hex[:8]}")
    assert (summary.ballots, summary.choices) == (3, 4)


async def test_valid_cumulative_and_ordinal_files_still_import(app, tmp_path):
    cumulative = pb(
        "voter_id;vote;points\nv1;1,2;6,4\nv2;3;10\n",
        vote_type="cumulative",
        meta="max_sum_points;10\n",
    )
    summary = await _import(app, saved(tmp_path, cumulative, "c.pb"), f"c-{uuid.uuid4().hex[:8]}")
    assert (summary.ballots, summary.choices) == (2, 3)
    ordinal = pb("voter_id;vote\nv1;1,2\nv2;3\n", vote_type="ordinal", meta="max_length;2\n")
    summary = await _import(app, saved(tmp_path, ordinal, "o.pb"), f"o-{uuid.uuid4().hex[:8]}")
    assert (summary.ballots, summary.choices) == (2, 3)


# --- 4. points beyond the 32-bit column --------------------------------------------------


async def test_points_beyond_32_bits_are_refused_by_the_parser(app, tmp_path):
    text = pb("voter_id;vote;points\nv1;1,2;6,4\nv2;3;99999999999\n", vote_type="cumulative")
    message = (
        f"VOTES line {line_of(text, 'v2;')}: points '99999999999' are out of range "
        f"(at most {POINTS_MAX})"
    )
    with pytest.raises(PabulibError) as refused:
        pabulib_loads(text)
    assert str(refused.value) == message
    assert await refusal(app, tmp_path, text) == f"The file cannot be imported: {message}"
    largest = pabulib_loads(text.replace("99999999999", str(POINTS_MAX)))
    assert largest.votes[1].points == (2**31 - 1,)


# --- 5. META numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ["max_length", "min_length", "num_votes", "max_sum_points"])
@pytest.mark.parametrize("value", ["abc", "5.0", "-1"])
def test_a_malformed_meta_number_is_a_clear_refusal(tmp_path, key, value):
    text = pb(meta=f"{key};{value}\n")
    message = f"META {key} is not a whole number: {value!r}"
    with pytest.raises(PabulibError) as refused:
        pabulib_loads(text)
    assert str(refused.value) == message
    with pytest.raises(ImportRefused) as refused:
        edition_described(saved(tmp_path, text))
    assert str(refused.value) == f"The file cannot be imported: {message}"


# --- 6. META counts against the file -----------------------------------------------------


def test_meta_counts_that_disagree_with_the_file_refuse_it():
    with pytest.raises(PabulibError, match="^META num_votes is 4, but the file holds 3 votes$"):
        pabulib_loads(pb(meta="num_votes;4\n"))
    with pytest.raises(PabulibError, match="^META num_projects is 2, but the file holds 3 proj"):
        pabulib_loads(pb(meta="num_projects;2\n"))
    agreeing = pabulib_loads(pb(meta="num_projects;3\nnum_votes;3\n"))
    assert (len(agreeing.projects), len(agreeing.votes)) == (3, 3)
    assert len(pabulib_loads(pb()).votes) == 3  # optional keys: absent, nothing to check


def test_a_real_file_cut_short_is_refused():
    text = pabulib_path("Poland_Warszawa_2020_Wesola.pb").read_text(encoding="utf-8-sig")
    cut = "".join(text.splitlines(keepends=True)[:-10])
    with pytest.raises(PabulibError, match="^META num_votes is 1505, but the file holds 1495 "):
        pabulib_loads(cut)


# --- 7. dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"), [("date_begin", "31.02.2022"), ("date_end", "2022-13-01")]
)
def test_a_date_that_cannot_be_read_refuses_the_file(tmp_path, key, value):
    path = saved(tmp_path, pb(meta=f"{key};{value}\n"))
    with pytest.raises(ImportRefused) as refused:
        edition_described(path)
    assert str(refused.value) == (
        f"The file cannot be imported: META {key} is not a date: {value!r}"
    )


@pytest.mark.parametrize("given", ["", "date_begin;None\ndate_end;\n"])
def test_absent_dates_keep_their_fallback(tmp_path, given):
    _, data, _ = edition_described(saved(tmp_path, pb(meta=given)))
    assert data.voting_opens_at == datetime(2000, 1, 1, tzinfo=UTC)
    assert data.voting_closes_at == datetime(2000, 1, 2, tzinfo=UTC)


# --- the command -------------------------------------------------------------------------


async def test_the_command_prints_each_refusal_as_one_clean_line(tmp_path):
    url, drop = await fresh_database(tmp_path)
    cases = {
        "meta.pb": (pb(meta="max_length;abc\n"), "META max_length is not a whole number: 'abc'"),
        "twice.pb": (pb("voter_id;vote\nv1;1,1\n"), "Voter v1 names project 1 twice."),
        "huge.pb": (
            pb("voter_id;vote;points\nv1;1;99999999999\n", vote_type="cumulative"),
            "points '99999999999' are out of range",
        ),
    }
    try:
        for name, (text, expected) in cases.items():
            path = saved(tmp_path, text, name)
            done = urna(url, tmp_path, "edition", "import-pabulib", str(path), "--slug", "refused")
            assert_one_clean_line(done, expected)
    finally:
        await drop()
