"""Writing pabulib `.pb` files (the format is described in `urna.results.pabulib`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

from urna.results.pabulib import PbInstance, PbProject, PbVote


def pabulib_dumps(instance: PbInstance) -> str:
    """The text of a `.pb` file holding ``instance`` (``\\n`` line ends, minimal quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(("key", "value"))
    writer.writerows(instance.meta.items())
    out.write("PROJECTS\n")
    writer.writerow(instance.project_columns)
    for project in instance.projects:
        writer.writerow(_project_row(instance.project_columns, project))
    out.write("VOTES\n")
    writer.writerow(instance.vote_columns)
    for vote in instance.votes:
        writer.writerow(_vote_row(instance.vote_columns, vote))
    return out.getvalue()


def pabulib_write(instance: PbInstance, path: str | PathLike[str]) -> None:
    Path(path).write_text(pabulib_dumps(instance), encoding="utf-8")


def _project_row(columns: Sequence[str], project: PbProject) -> list[str]:
    known = {
        "project_id": project.project_id,
        "cost": str(project.cost),
        "name": _text(project.name),
        "selected": project.extra.get("selected")  # a value other than 0 or 1, as read
        or ("" if project.selected is None else str(int(project.selected))),
    }
    return [known[name] if name in known else project.extra.get(name, "") for name in columns]


def _vote_row(columns: Sequence[str], vote: PbVote) -> list[str]:
    known = {
        "voter_id": vote.voter_id,
        "vote": ",".join(vote.vote),
        "points": "" if vote.points is None else ",".join(map(str, vote.points)),
        "age": "" if vote.age is None else str(vote.age),
        "sex": _text(vote.sex),
        "voting_method": _text(vote.voting_method),
        "neighborhood": _text(vote.neighborhood),
    }
    return [known[name] if name in known else vote.extra.get(name, "") for name in columns]


def _text(value: str | None) -> str:
    return "" if value is None else value
