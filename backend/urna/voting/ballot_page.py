"""The ballot page's boxes: each pool's projects rendered once per snapshot and
language (titles, costs in the page's money format, links), each resident's ticks put
in when the page is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from urna.core.templating import Templates
from urna.editions.service import EditionSnapshot
from urna.voting.choices import PoolChoice, choices_apply
from urna.voting.state import VoteState


def values(
    templates: Templates,
    snapshot: EditionSnapshot,
    options: list[PoolChoice],
    errors: dict[str, str] | None,
) -> dict[str, Any]:
    """What ``voting/choices.html`` shows: the pools this resident may vote in, the
    messages per pool, and each pool's boxes."""
    return {
        "edition": snapshot.edition,
        "options": options,
        "errors": errors or {},
        "project_list": project_list(templates, snapshot),
    }


def project_list(templates: Templates, snapshot: EditionSnapshot) -> Callable[[PoolChoice], str]:
    """What the page calls, while it renders in its language, for a pool's boxes (HTML,
    escaped when rendered: the page prints it with ``|safe``)."""

    def boxes(option: PoolChoice) -> str:
        html = templates.fragment(
            snapshot.pages,
            "voting/_projects.html",
            key=option.pool.id,
            translated=True,
            edition=snapshot.edition,
            projects=option.projects,
        )
        return ticked(html, option.chosen)

    return boxes


def ticked(html: str, chosen: list[int]) -> str:
    """The boxes with the chosen projects' ticked (each box's id is unique on a page)."""
    for project_id in chosen:
        box = f' id="p-{project_id}">'
        html = html.replace(box, f' id="p-{project_id}" checked>', 1)
    return html


def over(options: list[PoolChoice]) -> dict[str, str]:
    """The messages (per pool) of the limits the ticks held break, as while ticking: too
    many projects, or too dear (the minimum is asked for on continuing, not here)."""
    picked = [project_id for option in options for project_id in option.chosen]
    scratch = VoteState(edition="", clause_id=0, confirmed=True)  # the session's is not touched
    return choices_apply(options=options, state=scratch, picked=picked, strict=False)
