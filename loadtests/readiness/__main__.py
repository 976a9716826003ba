"""python -m loadtests.readiness --target URL [--edition SLUG] [options] (see --help).

Without --edition, the target's only edition open for online voting is loaded (several
open: the run stops and names them).

The target is a staging copy started with URNA_LOADTEST_MODE=true (codes stay in its
outbox and are read at /_loadtest/code; the mode is refused in production) and with this
generator's address among URNA_TRUSTED_PROXIES (it sends each resident's own address in
X-Forwarded-For). Exit code 0 when the deployment holds the expected peak, 1 otherwise.

--replay FILE.pb casts the real ballots of a pabulib file (a path, or a name in
URNA_PABULIB_DIR): the edition the file describes is imported open for voting (or the one
at --edition used), each vote becomes a resident who ticks exactly its projects, at the
profile's rate, and the database is compared with the file at the end. Exit code 2: the
run could not start (what to fix is printed)."""

from __future__ import annotations

import os

# The generator imports the app's modules (and so its metrics): on a machine whose app
# workers share a PROMETHEUS_MULTIPROC_DIR, they must not write into the app's figures.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import locust  # noqa: E402, F401 - gevent's monkey patching must come first

from loadtests.readiness.profile import Profile  # noqa: E402
from loadtests.readiness.replay import pabulib_file  # noqa: E402
from loadtests.readiness.replaydb import Refused  # noqa: E402
from loadtests.readiness.run import UNTIL_DRAINED, Options, run  # noqa: E402
from loadtests.readiness.verdict import Objectives  # noqa: E402
from urna.results.importer import slug_of  # noqa: E402


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m loadtests.readiness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--target", required=True, help="base URL of the staging copy")
    p.add_argument("--edition", help="slug of an edition open for voting (default: the "
                   "target's only one; replay: the one to use or create, default "
                   "<file>-replay)")  # fmt: skip
    p.add_argument("--population", type=int, default=100_000, help="residents of the town")
    p.add_argument("--turnout", type=float, default=0.10, help="expected online turnout")
    p.add_argument("--last-evening-share", type=float, default=0.20)
    p.add_argument("--evening-hours", type=float, default=4.0)
    p.add_argument("--peak-factor", type=float, default=1.5)
    p.add_argument("--multiples", help="stages, as multiples of the peak (1,2,3; replay: 1)")
    p.add_argument(
        "--stage-seconds",
        type=float,
        help="each stage's length (60; replay: until every vote is cast)",
    )
    p.add_argument("--replay", metavar="FILE.pb", help="cast the ballots of a pabulib file")
    p.add_argument("--limit", type=int, help="replay only the first K votes of the file")
    p.add_argument("--pacing-seconds", type=float, default=30.0, help="one vote per resident per")
    p.add_argument("--readers-per-resident", type=float, default=2.0,
                   help="readers who only browse, per voting resident")  # fmt: skip
    p.add_argument("--database-url", default=os.environ.get("URNA_DATABASE_URL"))
    p.add_argument("--report", default="var/readiness.html")
    p.add_argument("--p95-ms", type=float, default=1500.0)
    p.add_argument("--p99-ms", type=float, default=3000.0)
    p.add_argument("--max-error-rate", type=float, default=0.01)
    p.add_argument("--staff-email", default=os.environ.get("URNA_LOAD_STAFF_EMAIL"))
    p.add_argument("--staff-password", default=os.environ.get("URNA_LOAD_STAFF_PASSWORD"))
    p.add_argument("--staff-totp-secret", default=os.environ.get("URNA_LOAD_STAFF_TOTP"))
    p.add_argument("--no-ceiling", action="store_true", help="skip the generator's ceiling")
    a = p.parse_args(argv)
    replay_path = pabulib_file(a.replay) if a.replay else None
    edition = a.edition or (slug_of(replay_path)[:73] + "-replay" if replay_path else None)
    stage_seconds = a.stage_seconds or (UNTIL_DRAINED if replay_path else 60.0)
    multiples = a.multiples or ("1" if replay_path else "1,2,3")
    staff = (a.staff_email, a.staff_password, a.staff_totp_secret)
    report_path = Path(a.report)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    return Options(
        target=a.target.rstrip("/"),
        edition=edition,
        profile=Profile(
            a.population, a.turnout, a.last_evening_share, a.evening_hours, a.peak_factor
        ),
        multiples=[float(m) for m in multiples.split(",") if m.strip()],
        stage_seconds=stage_seconds,
        pacing_seconds=a.pacing_seconds,
        database_url=a.database_url,
        report_path=report_path,
        objectives=Objectives(a.max_error_rate, a.p95_ms, a.p99_ms),
        staff=staff if all(staff) else None,
        measure_ceiling=not a.no_ceiling,
        replay=replay_path,
        readers_per_resident=a.readers_per_resident,
        replay_limit=a.limit,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    for line in options.profile.arithmetic("pl") + [""] + options.profile.arithmetic("en"):
        print(line)
    try:
        outcome = run(options)
    except Refused as error:
        print(error, file=sys.stderr)
        return 2
    if outcome.ceiling_rps:
        print(f"generator ceiling on this machine: {outcome.ceiling_rps:.0f} req/s")
    for result in outcome.results:
        state = "holds" if result.holds else "fails"
        began = result.reached_per_minute
        print(
            f"stage {result.stage.multiple:g}x ({result.stage.residents_per_minute:.0f} "
            f"residents/min, {began or 0:.0f} began): {result.rps:.1f} req/s, "
            f"{result.errors} errors — {state}"
        )
    for (step, what), times in outcome.failures.most_common(5):
        print(f"  {times}× {step}: {what}")
    print()
    for line in outcome.verdict.lines["pl"] + [""] + outcome.verdict.lines["en"]:
        print(line)
    print(f"\nreport: {options.report_path}")
    return 0 if outcome.verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
