"""The seeded world the tests that walk every route share, and the filling of each route's
path parameters with things that exist in it.

The security checklist (``tests/security``), the hostile corpus (``tests/hardening``),
the privacy probe (``tests/privacy/test_probe.py``) and the browser tour of every page
(``tests/e2e/test_experience_every_page.py``) enumerate the app's routes (``app_routes``,
the walk the role matrix guards) and call each with its parameters filled. Here are the
enumeration (:func:`routes`), the filling (:func:`fill`), the dates that put an edition in
a phase (:func:`phase_dates`, for the live server too) and the in-process world
(:func:`world_seed`): an edition in each phase, ballots, a fraud case, a data-subject
request, results, another staff account, an allow-list entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.factories.editions import edition_create, voting_close
from tests.factories.fraud import fraud_case_add
from tests.factories.results import result_files, result_run_add
from tests.factories.staff import staff_user_create
from tests.verification.conftest import Cast, cast
from urna.core.db import transaction, utcnow
from urna.editions.models import Edition, Pool
from urna.fraud.models import FraudAllow
from urna.privacy.models import DataRequest
from urna.results.models import ResultRun
from urna.staff.matrix import app_routes
from urna.verification.models import Decision
from urna.voting.models import Ballot, CollectionPoint, PaperEntry

# ---- the routes ------------------------------------------------------------------------

PARAM = re.compile(r"\{(\w+)(?::[^}]+)?\}")  # {name} or {name:converter}
NOWHERE = "999999999"  # an id, slug or code that names nothing
STATIC = "/static"  # the static files mount: a folder, not an address to call
STATIC_FILE = "/static/css/urna.css"  # what a visitor fetches from it


def routes(
    app, methods: Iterable[str] | None = None, *, static: bool = True
) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, sorted: included routers walked, the
    static mount as a GET unless ``static`` is false; only ``methods`` if given."""
    wanted = None if methods is None else frozenset(methods)
    return sorted(
        (method, path)
        for method, path in app_routes(app)
        if (wanted is None or method in wanted) and (static or path != STATIC)
    )


def params_of(template: str) -> list[str]:
    return PARAM.findall(template)


def fill(template: str, values: dict[str, Any], *, missing: str | None = None) -> str:
    """``template`` with each path parameter replaced by its value. A parameter without
    one gets ``missing``; with ``missing`` None it fails the test, naming the parameter."""
    absent = [name for name in params_of(template) if name not in values]
    assert missing is not None or not absent, f"no value for {absent} in {template}: seed it"
    return PARAM.sub(lambda m: str(values.get(m.group(1), missing)), template)


# ---- editions in each phase ---------------------------------------------------------------


def phase_dates(phase: str, now: datetime | None = None) -> dict[str, str]:
    """Edition dates (``edition_data`` overrides) for a new edition in ``phase``:
    "upcoming" (voting opens in 5 days: the setup is still editable) or "closed" (voting
    ended an hour ago, results due in 5 days); an open edition takes the factory's dates."""
    days = {"upcoming": (5, 10, 20), "closed": (-10, -1 / 24, 5)}[phase]
    now = now or utcnow()
    opens, closes, results = (now + timedelta(days=d) for d in days)
    return {
        "voting_opens_at": opens.isoformat(),
        "voting_closes_at": closes.isoformat(),
        "results_at": results.isoformat(),
    }


def edition_for(template: str, *, upcoming: str, opened: str, closed: str) -> str:
    """Which edition a route is called on: results on the closed edition; the vote, paper
    ballots, verification, request logs and an extension on the open one; the setup on
    the one being set up (the live server's world too)."""
    if "/results" in template:
        return closed
    voting = ("/e/", "/staff/verify", "/staff/paper", "/staff/logs")
    if template.startswith(voting) or template.endswith("/extend"):
        return opened
    return upcoming


# ---- the in-process world ------------------------------------------------------------------

OPEN_IP, CLOSED_IP = "198.51.100.71", "198.51.100.72"  # where the world's ballots came from


@dataclass
class World:
    """An edition being set up, one open for voting, one closed, and the things that exist
    in them, by the path parameter that names them."""

    upcoming: str
    open: str
    closed: str
    ballot: Cast  # the open edition's: the fraud case and the data request hold it
    values: dict[str, str] = field(default_factory=dict)  # all but the slug and pool
    pools: dict[str, str] = field(default_factory=dict)  # slug -> its first pool's id

    def slug_for(self, template: str) -> str:
        return edition_for(template, upcoming=self.upcoming, opened=self.open, closed=self.closed)

    def values_for(self, template: str) -> dict[str, str]:
        slug = self.slug_for(template)
        return {**self.values, "slug": slug, "pool_id": self.pools[slug]}

    def url(self, template: str) -> str:
        """``template`` filled with things of the world; a parameter the world has not
        seeded gets :data:`NOWHERE` (the route answers 404, checked like any answer)."""
        if template == STATIC:
            return STATIC_FILE
        return fill(template, self.values_for(template), missing=NOWHERE)

    async def refresh(self, app, *, latest: bool = True) -> None:
        """Each edition's first pool and (``latest``) the latest result run, paper entry
        and decision, as the database stands now: a test that posts adds and removes them
        ("1" for what does not exist)."""
        async with app.state.ctx.db() as session:
            for name, model in (("run_id", ResultRun), ("entry_id", PaperEntry),
                                ("decision_id", Decision), ("point_id", CollectionPoint),
                                ) if latest else ():  # fmt: skip
                self.values[name] = str(await session.scalar(select(func.max(model.id))) or 1)
            for slug in (self.upcoming, self.open, self.closed):
                first = (
                    select(func.min(Pool.id))
                    .join(Edition, Edition.id == Pool.edition_id)
                    .where(Edition.slug == slug)
                )
                self.pools[slug] = str(await session.scalar(first))


async def world_seed(app, *, results: bool = True) -> World:
    """An edition being set up; one open with a ballot, a fraud case holding it and a
    data-subject request about it; one closed with a ballot and (``results``) a published
    result run (its pool N's 0-vote tie, which decides what N funds, drawn first) and a
    draft after it; another staff account (a verifier, so that a test
    acting on accounts never touches its own); an allow-list entry."""
    upcoming = await edition_create(app, **phase_dates("upcoming"))
    opened = await edition_create(app)
    ballot = await cast(app, opened.slug, ["C1"], ip=OPEN_IP)
    closed = await edition_create(app)
    await cast(app, closed.slug, ["C1"], ip=CLOSED_IP)
    await voting_close(app, closed.id)
    other, _, _ = await staff_user_create(app, "verifier")
    values = {"code": "pl", "kind": "projects", "document": "policy", "number": "C1",
              "image_id": "1", "user_id": str(other.id), "sha256": "0" * 64}  # fmt: skip
    async with transaction(app.state.ctx.db) as session:
        case_id = await fraud_case_add(
            session, edition_id=opened.id, ballot_ids=[ballot.ballot_id], ip=OPEN_IP
        )
        request = DataRequest(
            edition_id=opened.id, ballot_id=ballot.ballot_id, kind="erasure",
            due_at=utcnow() + timedelta(days=30),
        )  # fmt: skip
        # one address per world (ids pass 250 in a run: 203.0.113.{id % 250} repeated),
        # in a documentation prefix no test's ballots come from
        allow = FraudAllow(cidr=f"2001:db8:7e57::{opened.id:x}/128", note="biblioteka")
        session.add_all([request, allow])
        await session.flush()
        session_hash = (await session.get(Ballot, ballot.ballot_id)).session_hash or NOWHERE
        values |= {"case_id": str(case_id), "request_id": str(request.id),
                   "allow_id": str(allow.id), "ballot_id": str(ballot.ballot_id),
                   "session_hash": session_hash}  # fmt: skip
        if results:
            published = await result_run_add(session, closed.id, publish=True)
            values["sha256"] = (await result_files(session, published))[0]
            values["run_id"] = str(await result_run_add(session, closed.id, publish=False))
    world = World(upcoming.slug, opened.slug, closed.slug, ballot, values)
    await world.refresh(app, latest=False)  # paper entries, decisions: none seeded
    return world
