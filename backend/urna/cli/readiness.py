"""``urna readiness``: the readiness load test of ``loadtests/readiness`` under the
``urna`` command (the same program as ``make loadtest`` and
``python -m loadtests.readiness``; every option passes through, ``--help`` lists them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from urna.cli.common import fail

REPO_ROOT = Path(__file__).resolve().parents[3]


def readiness(ctx: typer.Context) -> None:
    """Load-test a staging copy before an edition opens (or replay a pabulib file through
    HTTP: --replay FILE.pb); a verdict in Polish and English and an HTML report. Options:
    urna readiness --help."""
    if not (REPO_ROOT / "loadtests" / "readiness" / "__main__.py").is_file():
        fail("loadtests/readiness is not next to this installation: run it from a checkout")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "loadtests.readiness", *ctx.args]
    raise typer.Exit(subprocess.call(command, env=env))  # noqa: S603 - our interpreter
