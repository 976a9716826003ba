"""Helpers for the real-data tests: where the pabulib files are, and cached parses."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from urna.results.pabulib import PbInstance, pabulib_read

REPO_ROOT = Path(__file__).resolve().parents[2]
MISSING = "<no pabulib files>"


def pabulib_dir() -> Path:
    """``URNA_PABULIB_DIR``, by default ``../shared/data/pabulib`` next to the repository."""
    configured = os.environ.get("URNA_PABULIB_DIR")
    if configured:
        return Path(configured)
    return (REPO_ROOT / ".." / "shared" / "data" / "pabulib").resolve()


def pabulib_file_names() -> list[str]:
    """The `.pb` files to parametrize over; a placeholder when there are none, so that the
    tests using it fail (never skip) with a message saying where the files were expected."""
    directory = pabulib_dir()
    names = sorted(path.name for path in directory.glob("*.pb")) if directory.is_dir() else []
    return names or [MISSING]


def pabulib_path(name: str) -> Path:
    if name == MISSING:
        pytest.fail(
            f"no pabulib .pb files in {pabulib_dir()}: set URNA_PABULIB_DIR to the folder "
            "holding the real PB elections (see /work/shared/data/pabulib/SOURCES.md)"
        )
    return pabulib_dir() / name


@cache
def parsed(name: str) -> PbInstance:
    """Each file is parsed once per test session (Łódź 2022 holds 90k ballots)."""
    return pabulib_read(pabulib_path(name))
