"""fraud: the counters a burst is measured against count Polish calendar days

Revision ID: 0019_fraud_day_polish
Revises: 0018_street_ranges
Create Date: 2026-12-03 13:00:00

``fraud_project_day`` counted ballots per project per UTC day: a burst between 00:00 and
02:00 Polish time counted toward the day before and was labelled with it. The scan now
counts calendar days in Polish time (Europe/Warsaw). The worker's incremental scan only
changes the counters by its new ballots, so they are recounted here from the scan's
facts: per UTC hour in SQL (Poland's offsets are whole hours, so an hour lies in one day
in either time), each hour given its day in Python, the same on PostgreSQL and SQLite.
The downgrade recounts UTC days.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0019_fraud_day_polish"
down_revision = "0018_street_ranges"
branch_labels = None
depends_on = None

WARSAW = ZoneInfo("Europe/Warsaw")
EPOCH_DAY = date(1970, 1, 1)
HOUR = 3600


# SQLite may be built without floor(); a moment after 1970 truncates to its floor there,
# while PostgreSQL rounds a cast
_HOURS = {
    "postgresql": """SELECT f.edition_id, bc.project_id, CAST(floor(f.ts / 3600) AS bigint), count(*)
        FROM fraud_ballot_fact f JOIN ballot_choice bc ON bc.ballot_id = f.ballot_id
        GROUP BY f.edition_id, bc.project_id, CAST(floor(f.ts / 3600) AS bigint)""",
    "sqlite": """SELECT f.edition_id, bc.project_id, CAST(f.ts / 3600 AS integer), count(*)
        FROM fraud_ballot_fact f JOIN ballot_choice bc ON bc.ballot_id = f.ballot_id
        GROUP BY f.edition_id, bc.project_id, CAST(f.ts / 3600 AS integer)""",
}


def _hours(bind) -> list[tuple[int, int, int, int]]:
    """(edition, project, UTC hour since the epoch, ballots) from every ballot's facts."""
    rows = bind.execute(sa.text(_HOURS[bind.dialect.name]))
    return [(int(e), int(p), int(h), int(n)) for e, p, h, n in rows]


def _recount(day_of) -> None:
    bind = op.get_bind()
    counts: Counter[tuple[int, int, int]] = Counter()
    for edition_id, project_id, hour, ballots in _hours(bind):
        counts[(edition_id, project_id, day_of(hour))] += ballots
    bind.execute(sa.text("DELETE FROM fraud_project_day"))
    if counts:
        bind.execute(
            sa.text(
                "INSERT INTO fraud_project_day (edition_id, project_id, day, ballots) "
                "VALUES (:edition_id, :project_id, :day, :ballots)"
            ),
            [
                {"edition_id": e, "project_id": p, "day": d, "ballots": n}
                for (e, p, d), n in sorted(counts.items())
            ],
        )


def _polish_day(hour: int) -> int:
    moment = datetime.fromtimestamp(hour * HOUR, UTC).astimezone(WARSAW)
    return (moment.date() - EPOCH_DAY).days


def upgrade() -> None:
    _recount(_polish_day)


def downgrade() -> None:
    _recount(lambda hour: hour // 24)
