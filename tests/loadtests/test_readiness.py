"""The readiness verdict: a short real run against a live server in load-test mode (every
cast acknowledged to the generator is a ballot in the database, bots are refused, the
report has its charts), the objectives that make a stage fail, and the mode's guard rails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from loadtests.readiness.measure import Sample
from loadtests.readiness.profile import Profile, Stage, stages
from loadtests.readiness.verdict import Objectives, evaluate, generator_bound, verdict
from tests.conftest import make_settings
from tests.live import live_server_running

ROOT = Path(__file__).resolve().parents[2]


def test_the_expected_peak_is_computed_with_its_arithmetic_shown():
    profile = Profile(
        population=1_800_000, turnout=0.10, last_evening_share=0.2, evening_hours=4,
        peak_factor=1.5,
    )  # fmt: skip
    assert profile.ballots == 180_000
    assert profile.evening_ballots == 36_000
    assert profile.peak_per_minute == pytest.approx(225.0)
    assert "225,0 głosujących na minutę" in profile.arithmetic("pl")[-1]
    assert "225.0 residents per minute" in profile.arithmetic("en")[-1]
    plan = stages(profile, [1, 3], 60)
    assert [s.residents_per_minute for s in plan] == [225.0, 675.0]
    assert plan[0].voters(pacing_seconds=30) == 113  # 225/min, one vote per 30 s each


def _samples(name: str, ms: float, n: int, ok: bool = True) -> list[Sample]:
    return [Sample(float(i), 0, name, ms, ok) for i in range(n)]


def test_a_slow_step_fails_the_stage_and_names_the_step_and_the_limit():
    stage = Stage(multiple=2, residents_per_minute=180, seconds=60)
    samples = _samples("4 code (submit)", 4200, 50) + _samples("6 cast", 90, 50)
    result = evaluate(stage, samples, {"database": 180.0, "app": 60.0}, Objectives())
    assert not result.holds
    ok_stage = evaluate(Stage(1, 90, 60), _samples("6 cast", 80, 50), {"app": 40.0}, Objectives())
    final = verdict(
        [ok_stage, result],
        peak_per_minute=90,
        counted_ok=True,
        counted_line=("zgodne", "equal"),
        generator_bound=False,
    )
    assert final.ok and final.holds_multiple == 1
    assert "Holds 1× the expected peak (90 residents/min)." in final.lines["en"]
    failing = next(line for line in final.lines["en"] if line.startswith("Fails"))
    assert "p95 of the code step 4.2 s at 180 residents/min" in failing
    assert "the database server is the limit (180 % CPU)" in failing
    assert any("p95 kroku „kod” 4,2 s" in line for line in final.lines["pl"])


def test_errors_over_the_budget_and_bots_let_through_fail_a_stage():
    stage = Stage(1, 60, 60)
    samples = _samples("6 cast", 50, 95) + _samples("6 cast", 50, 5, ok=False)
    assert "errors 5.0%" in evaluate(stage, samples, {}, Objectives()).problems[0][1]
    bots = _samples("6 cast", 50, 10) + _samples("bot: cast without a session", 5, 3, ok=False)
    result = evaluate(stage, bots, {}, Objectives())
    assert result.bots_let_through == 3 and not result.holds


def test_a_cast_count_that_differs_from_the_acknowledged_casts_never_holds():
    ok_stage = evaluate(Stage(1, 60, 60), _samples("6 cast", 50, 10), {}, Objectives())
    final = verdict(
        [ok_stage], peak_per_minute=60, counted_ok=False,
        counted_line=("NIEZGODNE", "NOT EQUAL"), generator_bound=False,
    )  # fmt: skip
    assert not final.ok
    assert final.lines["en"][0] == "Does not hold the expected peak."


def test_load_test_mode_is_refused_in_production():
    with pytest.raises(ValueError, match="never production"):
        make_settings(
            "postgresql+asyncpg://x@127.0.0.1/x",
            environment="production",
            loadtest_mode=True,
            notify_provider="http",
        )


async def test_without_load_test_mode_there_is_no_code_endpoint(client):
    response = await client.get("/_loadtest/code", params={"to": "+48690000001"})
    assert response.status_code == 404


@pytest.mark.postgres_only
def test_a_short_run_holds_and_every_acknowledged_cast_is_a_ballot(tmp_path):
    with live_server_running(
        tmp_path, loadtest_mode=True, otp_send_per_ip="10000/minute",
        otp_resend_per_contact="100/minute",
    ) as server:  # fmt: skip
        edition = server.edition_create()
        report = tmp_path / "readiness.html"
        env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
        run = subprocess.run(
            [
                sys.executable, "-m", "loadtests.readiness", "--target", server.url(""),
                "--edition", edition.slug, "--population", "30000", "--multiples", "1",
                "--stage-seconds", "12", "--pacing-seconds", "6",
                "--database-url", server.database_url, "--report", str(report),
                "--p95-ms", "60000", "--p99-ms", "60000",  # behaviour here, speed in benchmarks
            ],
            cwd=ROOT, env=env | {"PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        out = run.stdout
        assert "Holds 1× the expected peak" in out and "Wytrzymuje 1×" in out
        acknowledged = int(out.split("casts acknowledged to the generator: ")[1].split(" ")[0])
        assert acknowledged >= 1
        assert f"Ballots in the database: {acknowledged}," in out
        assert server.counts(edition.id)["ballots"] == acknowledged
        assert "generator ceiling on this machine:" in out
        html = report.read_text()
        assert html.count("<svg") == 3
        assert "bot: cast without a session" in html and "not refused" not in html
        assert httpx.get(server.url("/_loadtest/code"), params={"to": "x"}).status_code == 404


def test_a_stage_whose_residents_could_not_arrive_at_its_rate_fails():
    """Closed-loop residents wait for each answer: 10 began in a minute of a 60/min stage."""
    began = [Sample(float(6 * i), 0, "1 edition page", 50, True) for i in range(11)]
    result = evaluate(Stage(1, 60, 60), began, {}, Objectives())
    assert result.reached_per_minute == pytest.approx(10.0)
    assert "only 10 of 60 residents/min began (they waited on answers)" in [
        en for _, en in result.problems
    ]
    fast = [Sample(float(i), 0, "1 edition page", 50, True) for i in range(61)]
    assert evaluate(Stage(1, 60, 60), fast, {}, Objectives()).holds


def test_a_busy_generator_core_is_reported_as_the_generators_limit():
    result = evaluate(Stage(1, 60, 60), _samples("6 cast", 50, 10), {}, Objectives())
    assert not generator_bound([result], ceiling=1000.0)
    result.cpu = {"load generator": 97.0, "app": 40.0}
    assert generator_bound([result], ceiling=None)
