"""python -m loadtests.readiness --target URL --edition SLUG [options] (see --help).

The target is a staging copy started with URNA_LOADTEST_MODE=true (codes stay in its
outbox and are read at /_loadtest/code; the mode is refused in production) and with this
generator's address among URNA_TRUSTED_PROXIES (it sends each resident's own address in
X-Forwarded-For). Exit code 0 when the deployment holds the expected peak, 1 otherwise."""

from __future__ import annotations

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import locust  # noqa: F401 - gevent's monkey patching must come first

from loadtests.readiness.profile import Profile  # noqa: E402
from loadtests.readiness.run import Options, run  # noqa: E402
from loadtests.readiness.verdict import Objectives  # noqa: E402


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="python -m loadtests.readiness", description=__doc__)
    p.add_argument("--target", required=True, help="base URL of the staging copy")
    p.add_argument("--edition", required=True, help="slug of an edition open for voting")
    p.add_argument("--population", type=int, default=100_000, help="residents of the town")
    p.add_argument("--turnout", type=float, default=0.10, help="expected online turnout")
    p.add_argument("--last-evening-share", type=float, default=0.20)
    p.add_argument("--evening-hours", type=float, default=4.0)
    p.add_argument("--peak-factor", type=float, default=1.5)
    p.add_argument("--multiples", default="1,2,3", help="stages, as multiples of the peak")
    p.add_argument("--stage-seconds", type=float, default=60.0)
    p.add_argument("--pacing-seconds", type=float, default=30.0, help="one vote per resident per")
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
    staff = (a.staff_email, a.staff_password, a.staff_totp_secret)
    report_path = Path(a.report)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    return Options(
        target=a.target.rstrip("/"),
        edition=a.edition,
        profile=Profile(
            a.population, a.turnout, a.last_evening_share, a.evening_hours, a.peak_factor
        ),
        multiples=[float(m) for m in a.multiples.split(",") if m.strip()],
        stage_seconds=a.stage_seconds,
        pacing_seconds=a.pacing_seconds,
        database_url=a.database_url,
        report_path=report_path,
        objectives=Objectives(a.max_error_rate, a.p95_ms, a.p99_ms),
        staff=staff if all(staff) else None,
        measure_ceiling=not a.no_ceiling,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    for line in options.profile.arithmetic("pl") + [""] + options.profile.arithmetic("en"):
        print(line)
    outcome = run(options)
    if outcome.ceiling_rps:
        print(f"generator ceiling on this machine: {outcome.ceiling_rps:.0f} req/s")
    for result in outcome.results:
        state = "holds" if result.holds else "fails"
        print(
            f"stage {result.stage.multiple:g}x ({result.stage.residents_per_minute:.0f} "
            f"residents/min): {result.rps:.1f} req/s, {result.errors} errors — {state}"
        )
    print()
    for line in outcome.verdict.lines["pl"] + [""] + outcome.verdict.lines["en"]:
        print(line)
    print(f"\nreport: {options.report_path}")
    return 0 if outcome.verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
