"""The readiness replay: the real ballots of a pabulib file cast through HTTP against a live
server in load-test mode, and the database compared with the file, checked here on the
database itself (never only on what the tool prints): the first K votes of a real file
give exactly the file's votes per project; a whole (small) file gives the file's selected
projects as the results. Also: the votes the edition's limits refuse are set aside, a
replayed resident keeps the file's age, and ``urna readiness`` is the same program.

The pabulib files are read from ``URNA_PABULIB_DIR`` (default ``../shared/data/pabulib``);
a test that needs one fails, saying where it looked, when it is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from stdnum.pl import pesel as stdnum_pesel

from loadtests.readiness import replay, replaydb
from loadtests.readiness.people import resident
from tests.live import LiveServer, live_server_running, run_sync
from urna.results.pabulib import pabulib_read
from urna.staff import service as staff_service
from urna.staff.schemas import StaffCreateIn
from urna.voting.identity import age_band, age_on

ROOT = Path(__file__).resolve().parents[2]
REAL_FILE = "Poland_Warszawa_2020_Wesola.pb"  # approval, 21 projects, 1 to 15 choices
FIRST_K = 100
# 800,000 residents, 10 % online, a fifth on the last 4 h evening, ×1.5: 100 a minute. Each
# resident votes once per 45 s (75 of them): a flow may take that long on a busy machine.
POPULATION = "800000"

SMALL_FILE = """META
key;value
description;Synthetic election for the replay test
country;Poland
unit;Testowo
instance;2027
num_projects;4
num_votes;12
budget;100000
vote_type;approval
rule;greedy
min_length;1
max_length;2
PROJECTS
project_id;cost;name;selected
1;60000;Park;1
2;50000;Rowery;0
3;30000;Ławki;1
4;10000;Kwiaty;1
VOTES
voter_id;age;vote
v1;34;1,2
v2;71;1
v3;15;2,3
v4;9;1,3
v5;45;2
v6;28;1,4
v7;52;3
v8;19;2,1
v9;66;4,3
v10;40;1
v11;33;2
v12;87;1,2
"""
# greedy: 1 (6 votes, 60 000), 2 (6 votes, ties broken... 50 000 does not fit), 3 (4), 4 (2)
# 1 costs 60 000; 2 would make 110 000 > 100 000: skipped; 3: 90 000; 4: 100 000.


def _real_file(name: str) -> Path:
    path = replay.pabulib_dir() / name
    if not path.is_file():
        pytest.fail(
            f"no {name} in {replay.pabulib_dir()}: set URNA_PABULIB_DIR to the folder holding "
            "the real PB elections (see /work/shared/data/pabulib/SOURCES.md)"
        )
    return path


def _verifier(server: LiveServer) -> tuple[str, str, str]:
    """A verification team member's e-mail, password and TOTP secret."""

    async def work(session) -> tuple[str, str, str]:
        data = StaffCreateIn(
            email="verifier-replay@example.org", name="Weryfikator", role="verifier", reason="load"
        )
        _, password, secret = await staff_service.staff_create(
            session=session, crypto=server.crypto, data=data, actor_id=None
        )
        await session.commit()
        return data.email, password, secret

    return run_sync(server._with_db, work)


def _db_votes(server: LiveServer, slug: str) -> dict:
    """What the database holds for the edition's online ballots (how many, choices per
    project number, age bands, the projects its results fund), read here by the replay's
    own query (``replaydb.tally``), not taken from what the tool prints."""
    return run_sync(replaydb.tally, server.database_url, slug)


def _replay(server: LiveServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    if "URNA_PABULIB_DIR" in os.environ:
        env["URNA_PABULIB_DIR"] = os.environ["URNA_PABULIB_DIR"]
    return subprocess.run(
        [
            sys.executable, "-m", "loadtests.readiness", "--target", server.url(""),
            "--database-url", server.database_url, "--report", str(tmp_path / "replay.html"),
            "--population", POPULATION, "--pacing-seconds", "45", "--no-ceiling",
            "--readers-per-resident", "0.2",
            "--p95-ms", "60000", "--p99-ms", "60000",  # behaviour here, speed in benchmarks
            *args,
        ],
        cwd=ROOT, env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


LIVE = dict(loadtest_mode=True, otp_send_per_ip="10000/minute", staff_login_ip_limits="1000/minute")


@pytest.mark.postgres_only
def test_the_first_votes_of_a_real_file_arrive_exactly_as_the_file_has_them(tmp_path):
    path = _real_file(REAL_FILE)
    instance = pabulib_read(path)
    first = instance.votes[:FIRST_K]
    with live_server_running(tmp_path, **LIVE) as server:
        email, password, secret = _verifier(server)
        run = _replay(
            server, tmp_path, "--replay", str(path), "--limit", str(FIRST_K),
            "--edition", "wesola-replay", "--staff-email", email,
            "--staff-password", password, "--staff-totp-secret", secret,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        tally = _db_votes(server, "wesola-replay")
    ballots, per_project, bands = tally["ballots"], tally["projects"], tally["age_bands"]

    wanted = Counter(number for vote in first for number in vote.vote)
    assert ballots == FIRST_K  # every one of the K votes fits the edition's limits
    assert Counter(per_project) == wanted
    assert Counter(bands) == Counter(age_band(vote.age) for vote in first)
    out = run.stdout
    assert f"Replay of {REAL_FILE}: {FIRST_K} of {len(instance.votes)} votes" in out
    assert f"Ballots in the database: {FIRST_K}, casts acknowledged to the generator: " in out
    assert f"for the ballots cast ({FIRST_K}) — equal." in out
    assert "Results not compared with the file: not all of its votes were cast" in out
    html = (tmp_path / "replay.html").read_text()
    assert html.count("<svg") == 3
    # the verifier worked the console: found acknowledged ballots by their receipts
    found = re.search(
        r"<td>verify: find by receipt \(submit\)</td><td>(\d+)</td>.*?<td>(\d+)</td></tr>", html
    )
    assert found and int(found.group(1)) >= 1 and found.group(2) == "0", html
    assert "bot: cast without a session" in html and "not refused" not in html


@pytest.mark.postgres_only
def test_a_whole_file_replayed_funds_the_files_selected_projects(tmp_path):
    path = tmp_path / "Poland_Testowo_2027.pb"
    path.write_text(SMALL_FILE, encoding="utf-8")
    instance = pabulib_read(path)
    with live_server_running(tmp_path, **LIVE) as server:
        run = _replay(server, tmp_path, "--replay", str(path))
        assert run.returncode == 0, run.stdout + run.stderr
        tally = _db_votes(server, "poland-testowo-2027-replay")

    assert tally["ballots"] == len(instance.votes) == 12
    wanted = Counter(number for vote in instance.votes for number in vote.vote)
    assert Counter(tally["projects"]) == wanted
    assert (
        set(tally["funded"])
        == {"1", "3", "4"}
        == {p.project_id for p in instance.projects if p.selected}
    )
    assert "results computed from the database fund (3) = the file's selected (3) — equal." in (
        run.stdout
    )


def test_votes_the_editions_limits_refuse_are_set_aside_with_the_reason(tmp_path):
    path = tmp_path / "limits.pb"
    path.write_text(SMALL_FILE.replace("v12;87;1,2", "v12;87;1,2,3"), encoding="utf-8")
    edition = {
        "projects": {n: {"pool": 7, "cost": 10} for n in ("1", "2", "3", "4")},
        "pools": {"7": {"min_choices": 1, "max_choices": 2, "max_total_cost": None}},
    }
    plan = replay.plan(path, edition)
    assert len(plan.votes) == 11 and plan.skipped == {"too_many": 1}
    assert not plan.whole_file
    assert ("Set aside 1: more projects than the pool allows.") in [en for _, en in plan.lines()]
    assert len(replay.plan(path, edition, limit=5).votes) == 5


def test_a_count_that_differs_from_the_file_is_not_equal():
    instance = pabulib_read_text(SMALL_FILE)
    plan = replay.Plan(Path("x.pb"), instance, instance.votes, {}, None)
    before = {"ballots": 0, "projects": {}, "age_bands": {}}
    after = {
        "ballots": 12,
        "statuses": {"counted": 12},
        "projects": {"1": 7, "2": 6, "3": 4, "4": 1},  # one vote for 4 lost
        "age_bands": dict(Counter(age_band(v.age) for v in instance.votes)),
        "funded": ["1", "3", "4"],
    }
    result = replay.compare(plan, replayed=instance.votes, acknowledged=12, before=before,
                            after=after)  # fmt: skip
    assert not result.ok
    line = next(en for _, en in result.lines if en.startswith("Votes for the projects"))
    assert line.endswith("NOT EQUAL.") and "4: 1≠2" in line


def pabulib_read_text(text: str):
    from urna.results.pabulib import pabulib_loads

    return pabulib_loads(text)


def test_a_replayed_resident_has_the_voters_age_and_a_valid_unique_pesel():
    import random

    rng, today = random.Random(1), date(2027, 3, 1)
    people = [resident(["ul. Lipowa"], rng, age=age, sex=sex, today=today)
              for age in (9, 15, 34, 87) for sex in ("M", "K")]  # fmt: skip
    assert [age_on(p.birth_date, today) for p in people] == [9, 9, 15, 15, 34, 34, 87, 87]
    assert all(stdnum_pesel.is_valid(p.pesel) for p in people)
    assert all(stdnum_pesel.get_birth_date(p.pesel) == p.birth_date for p in people)
    assert [stdnum_pesel.get_gender(p.pesel) for p in people] == ["M", "F"] * 4
    assert len({p.pesel for p in people}) == len({p.phone for p in people}) == len(people)
    assert [p.guardian for p in people[::2]] == ["on_behalf", "consent", None, None]
    assert people[0].form()["guardian_declaration"] == "on_behalf"


def test_urna_readiness_is_the_same_program():
    urna = Path(sys.executable).parent / "urna"
    shown = subprocess.run([str(urna), "readiness", "--help"], capture_output=True, text=True,
                           timeout=60, cwd="/")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "--replay FILE.pb" in shown.stdout and "--target TARGET" in shown.stdout
    refused = subprocess.run(
        [str(urna), "readiness", "--target", "http://127.0.0.1:9", "--replay", "nowhere.pb",
         "--database-url", "postgresql+asyncpg://x@127.0.0.1/x"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "No file" in refused.stderr and "nowhere.pb" in refused.stderr
