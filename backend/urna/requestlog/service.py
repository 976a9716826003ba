"""Reading the request logs: the explorer, trails, CSV export, retention.

Logs are identifying data (addresses, sessions): every search, trail and export is
written to the audit log in the same unit of work that reads it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.core.audit import audit_append
from urna.core.csvcells import CsvCells
from urna.core.db import transaction
from urna.core.errors import FormInvalid
from urna.core.i18n import N_
from urna.core.moments import MomentInvalid, moment_parse
from urna.core.text import inert
from urna.requestlog import repository
from urna.requestlog.dns import HostResolver
from urna.requestlog.models import COLUMNS, RequestLog
from urna.requestlog.repository import LogFilters

PAGE_SIZE = 100
TRAIL_LIMIT = 5000
EXPORT_CHUNK = 2000
FILTER_FIELDS = ("since", "until", "ip", "session_hash", "path", "status", "user_agent")


# ---- input --------------------------------------------------------------------------


def _moments(params: Mapping[str, str], errors: dict[str, str]) -> dict[str, datetime]:
    """The period's ends the form gives, typed in Polish time as the console shows every
    time (``core.moments``); a refused one is reported in ``errors``."""
    times: dict[str, datetime] = {}
    for key in ("since", "until"):
        value = (params.get(key) or "").strip()
        if not value:
            continue
        try:
            times[key] = moment_parse(value)
        except MomentInvalid as error:
            errors[key] = error.message
    return times


def filters_parse(params: Mapping[str, str], *, now: datetime | None = None) -> LogFilters:
    """Explorer filters from the query string. With no ``since`` at all (a first visit),
    the window is the last 24 hours; an empty ``since`` means no lower bound."""
    values = {key: (params.get(key) or "").strip() for key in FILTER_FIELDS}
    errors: dict[str, str] = {}
    times: dict[str, datetime | None] = {"since": None, "until": None, **_moments(values, errors)}
    if "since" not in params:
        times["since"] = (now or datetime.now(UTC)) - timedelta(hours=24)
    if values["ip"]:
        try:
            repository.ip_filter_check(values["ip"])
        except ValueError:
            errors["ip"] = N_(
                "Give an address (203.0.113.7), a network (203.0.113.0/24) "
                "or the start of an address (203.0.113.)."
            )
    if values["status"] and not repository.status_filter_valid(values["status"]):
        errors["status"] = N_("Give a status (404) or a class of them (5xx).")
    if errors:
        raise FormInvalid(errors)
    return LogFilters(
        since=times["since"],
        until=times["until"],
        ip=values["ip"] or None,
        session_hash=values["session_hash"] or None,
        path=values["path"] or None,
        status=values["status"] or None,
        user_agent=values["user_agent"] or None,
    )


def period_parse(
    params: Mapping[str, str], *, now: datetime, default_days: int = 7
) -> tuple[datetime, datetime]:
    """The statistics period (typed in Polish time); by default the last ``default_days``
    days."""
    errors: dict[str, str] = {}
    times = _moments(params, errors)
    since = times.get("since", now - timedelta(days=default_days))
    until = times.get("until", now)
    if not errors and since >= until:
        errors["until"] = N_("The end of the period must come after its start.")
    if errors:
        raise FormInvalid(errors)
    return since, until


def cursor_format(row: RequestLog) -> str:
    return f"{row.arrived_at.isoformat()}~{row.request_id}"


def cursor_parse(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    at, _, request_id = cursor.partition("~")
    try:  # written by ``cursor_format`` (ISO, UTC); a hand-made one is read as UTC too
        moment = datetime.fromisoformat(at)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 with an offset
        return None
    return moment, request_id[:32]


# ---- reading, audited ---------------------------------------------------------------


def row_view(row: RequestLog) -> dict[str, Any]:
    """What a page shows of a row: every text inert; the times as moments, which the
    page writes in Polish time (the page's language is known only there)."""
    return {
        "request_id": row.request_id,
        "arrived_at": row.arrived_at,
        "responded_at": row.responded_at,
        "duration_ms": round(row.duration_us / 1000, 1),  # the page writes it: 55,5 in Polish
        "ip": row.ip or "",
        "host": inert(row.host) if row.host is not None else None,
        "method": inert(row.method),
        "url": inert(row.url, 2000),
        "status": row.status,
        "error": inert(row.error),
        "referer": inert(row.referer, 1000),
        "user_agent": inert(row.user_agent),
        "session_hash": row.session_hash or "",
    }


@dataclass(frozen=True)
class LogPage:
    rows: Sequence[RequestLog]
    next_cursor: str | None


async def logs_search(
    *,
    session: AsyncSession,
    actor_id: int | None,
    filters: LogFilters,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    reader: AsyncSession | None = None,
) -> LogPage:
    """A page of logs read through ``reader`` (a replica; default ``session``); the
    search itself is audited through ``session`` (the primary)."""
    rows = await repository.logs_search(
        reader or session, filters, limit=size + 1, before=cursor_parse(cursor)
    )
    more = len(rows) > size
    rows = rows[:size]
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="requestlog.search",
        target="request_log",
        details={"filters": filters.as_dict(), "page": bool(cursor), "rows": len(rows)},
    )
    return LogPage(rows, cursor_format(rows[-1]) if more and rows else None)


async def trail_read(
    *,
    session: AsyncSession,
    actor_id: int | None,
    target: str,
    session_hash: str | None,
    request_id: str | None = None,
) -> Sequence[RequestLog]:
    """Every request of a session, by its trail name (the salted hash stable across the id
    rotation), and the request ``request_id`` names (a ballot's cast), oldest first.

    ``target`` says whose trail the reader asked for (``session:…``, ``ballot:…``) in the
    audit log; the caller that knows a ballot passes its session hash and request id."""
    rows = await repository.logs_trail(
        session, session_hash=session_hash, request_id=request_id, limit=TRAIL_LIMIT
    )
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="requestlog.trail",
        target=target,
        details={"rows": len(rows)},
    )
    return rows


# ---- CSV export ---------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    rows: int
    truncated: bool
    sha256: str


async def logs_export(
    *,
    session: AsyncSession,
    actor_id: int | None,
    filters: LogFilters,
    max_rows: int,
    now: datetime | None = None,
) -> Export:
    """The filtered logs as CSV (newest first, at most ``max_rows``); the export, its
    size and its SHA-256 are written to the audit log."""
    document = CsvCells()
    document.row(COLUMNS)
    count, before, truncated = 0, None, False
    while True:
        chunk = await repository.logs_search(
            session, filters, limit=min(EXPORT_CHUNK, max_rows - count + 1), before=before
        )
        for row in chunk:
            if count == max_rows:
                truncated = True
                break
            document.row(getattr(row, column) for column in COLUMNS)
            count += 1
        if truncated or len(chunk) < EXPORT_CHUNK:
            break
        before = (chunk[-1].arrived_at, chunk[-1].request_id)
    content = document.text().encode("utf-8-sig")  # BOM: spreadsheets read UTF-8
    digest = hashlib.sha256(content).hexdigest()
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="requestlog.export",
        target="request_log",
        details={
            "filters": filters.as_dict(),
            "rows": count,
            "truncated": truncated,
            "sha256": digest,
        },
    )
    # a file cut at ``max_rows`` says so in its name: it is not every matching request
    name = f"request-log-{stamp}-newest-{count}.csv" if truncated else f"request-log-{stamp}.csv"
    return Export(name, content, count, truncated, digest)


# ---- retention ----------------------------------------------------------------------


@dataclass(frozen=True)
class PruneReport:
    deleted: int = 0
    ips_truncated: int = 0
    sessions_dropped: int = 0


async def logs_prune(
    *,
    session: AsyncSession,
    keep_days: int | None,
    truncate_ip_after_days: int | None,
    drop_session_after_days: int | None,
    now: datetime | None = None,
) -> PruneReport:
    """Apply the retention the privacy policy states (None: that step does nothing;
    by default logs are kept whole, indefinitely). Idempotent."""
    now = now or datetime.now(UTC)
    deleted = truncated = dropped = 0
    if keep_days is not None:
        deleted = await repository.logs_delete_before(session, now - timedelta(days=keep_days))
    if truncate_ip_after_days is not None:
        truncated = await repository.ips_truncate_before(
            session, now - timedelta(days=truncate_ip_after_days)
        )
    if drop_session_after_days is not None:
        dropped = await repository.session_hashes_drop_before(
            session, now - timedelta(days=drop_session_after_days)
        )
    return PruneReport(deleted, truncated, dropped)


# ---- host names ---------------------------------------------------------------------


async def hosts_resolve(
    *, db: async_sessionmaker[AsyncSession], resolver: HostResolver, limit: int = 200
) -> int:
    """Look up the host names of addresses whose rows have none yet and fill them in
    (the worker's reverse-DNS job). The lookups run between two short transactions, never
    inside one. An address the resolver gave no answer for keeps its rows NULL, to be
    asked again in a later run (``dns``: a bounded number of times), and addresses waiting
    for that are skipped. Returns how many addresses were looked up."""
    async with transaction(db) as session:
        ips = await repository.ips_without_host(session, limit=limit, skip=resolver.waiting())
    names = await asyncio.gather(*(resolver.resolve(ip) for ip in ips))
    found = {ip: name for ip, name in zip(ips, names, strict=True) if name is not None}
    async with transaction(db) as session:
        await repository.hosts_fill(session, found)
    return len(ips)
