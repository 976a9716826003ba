"""Queries over ``request_log``. Dialect differences (inet on PostgreSQL, SQLite
functions) stay in this file."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.core.i18n import LOCAL_ZONE
from urna.core.proxy import address_plain
from urna.requestlog import redact
from urna.requestlog.models import RequestLog

T = RequestLog.__table__.c
IPV4_KEEP, IPV6_KEEP = 24, 48


@dataclass(frozen=True)
class LogFilters:
    since: datetime | None = None
    until: datetime | None = None
    ip: str | None = None  # an address, a network (CIDR) or a textual prefix ("10.1.")
    session_hash: str | None = None
    path: str | None = None  # the URL starts with it
    status: str | None = None  # "404", or a class: "4xx"
    user_agent: str | None = None  # contained in the user agent, any case

    def as_dict(self) -> dict[str, str]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else str(value)
            for key, value in self.__dict__.items()
            if value not in (None, "")
        }


def ip_truncated(address: str | None) -> str | None:
    """The network address of the /24 (IPv4) or /48 (IPv6) holding ``address``."""
    if not address:
        return address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    keep = IPV4_KEEP if ip.version == 4 else IPV6_KEEP
    return str(ipaddress.ip_network(f"{ip}/{keep}", strict=False).network_address)


def _ip_in(address: str | None, network: str) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address) in ipaddress.ip_network(
            network, strict=False
        )
    except ValueError:
        return False


async def _sqlite_functions(session: AsyncSession) -> None:
    """SQLite has no inet type: register the two functions the queries need."""

    def register(sync_session) -> None:
        raw = sync_session.connection().connection.dbapi_connection
        raw.create_function("urna_ip_in", 2, _ip_in, deterministic=True)
        raw.create_function("urna_ip_truncated", 1, ip_truncated, deterministic=True)
        raw.create_function("urna_local_day", 1, _local_day, deterministic=True)

    await session.run_sync(register)


def _local_day(stored: str) -> str:
    """The Polish day of a moment SQLite holds (UTC, without its offset), at its midnight."""
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(LOCAL_ZONE)
    return moment.strftime("%Y-%m-%d 00:00:00")


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _path_condition(typed: str) -> ColumnElement[bool]:
    """The URL starts with the path as typed, or as the log stores it (percent-encoded:
    ``/e/łódź`` finds ``/e/%C5%82%C3%B3d%C5%BA``)."""
    prefixes = dict.fromkeys((redact.typed_url(typed), typed))
    return or_(*(T.url.like(_like_prefix(prefix), escape="\\") for prefix in prefixes))


async def _ip_condition(session: AsyncSession, value: str) -> ColumnElement[bool]:
    value = value.strip()
    if "/" in value:
        network = str(ipaddress.ip_network(value, strict=False))
        if is_postgres(session):
            # every stored ip is a canonical address or NULL, so the cast is safe
            return cast(T.ip, INET).op("<<=")(cast(literal(network), INET))
        await _sqlite_functions(session)
        return func.urna_ip_in(T.ip, network) == 1
    try:
        return T.ip == str(address_plain(value))  # as the proxy middleware writes it
    except ValueError:  # the start of an address, as stored: IPv6 in lower case
        return T.ip.like(_like_prefix(value.lower()), escape="\\")


def ip_filter_check(value: str) -> None:
    """Raise ValueError unless ``value`` is an address, a network or an address prefix."""
    value = value.strip()
    if "/" in value:
        ipaddress.ip_network(value, strict=False)
    elif not value or any(ch not in "0123456789abcdefABCDEF.:" for ch in value):
        raise ValueError(value)


def status_filter_valid(value: str) -> bool:
    value = value.strip().lower()
    return (len(value) == 3 and value[0] in "12345" and value[1:] == "xx") or (
        len(value) == 3 and value.isascii() and value.isdigit() and 100 <= int(value) <= 599
    )


def _status_condition(value: str) -> ColumnElement[bool]:
    value = value.strip().lower()
    if len(value) == 3 and value[0].isdigit() and value[1:] == "xx":
        low = int(value[0]) * 100
        return and_(T.status >= low, T.status < low + 100)
    return T.status == int(value)


async def _where(session: AsyncSession, filters: LogFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.since is not None:
        conditions.append(T.arrived_at >= filters.since)
    if filters.until is not None:
        conditions.append(T.arrived_at < filters.until)
    if filters.ip:
        conditions.append(await _ip_condition(session, filters.ip))
    if filters.session_hash:
        conditions.append(T.session_hash == filters.session_hash.strip())
    if filters.path:
        conditions.append(_path_condition(filters.path.strip()))
    if filters.status:
        conditions.append(_status_condition(filters.status))
    if filters.user_agent:
        conditions.append(
            func.lower(T.user_agent).contains(filters.user_agent.strip().lower(), autoescape=True)
        )
    return conditions


async def logs_search(
    session: AsyncSession,
    filters: LogFilters,
    *,
    limit: int,
    before: tuple[datetime, str] | None = None,
) -> Sequence[RequestLog]:
    """Newest first; ``before`` (arrived_at, request_id) continues after a page."""
    conditions = await _where(session, filters)
    if before is not None:
        at, request_id = before
        conditions.append(
            or_(T.arrived_at < at, and_(T.arrived_at == at, T.request_id < request_id))
        )
    statement = (
        select(RequestLog)
        .where(*conditions)
        .order_by(T.arrived_at.desc(), T.request_id.desc())
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def logs_trail(
    session: AsyncSession,
    *,
    session_hash: str | None,
    request_id: str | None = None,
    until: datetime | None = None,
    limit: int,
) -> Sequence[RequestLog]:
    """One session's requests in time order (and one named request, e.g. a ballot's),
    those that arrived by ``until`` when given."""
    conditions = []
    if session_hash:
        conditions.append(T.session_hash == session_hash)
    if request_id:
        conditions.append(T.request_id == request_id)
    if not conditions:
        return []
    statement = select(RequestLog).where(or_(*conditions))
    if until is not None:
        statement = statement.where(T.arrived_at <= until)
    statement = statement.order_by(T.arrived_at, T.request_id).limit(limit)
    return (await session.execute(statement)).scalars().all()


# ---- statistics (aggregates only) ---------------------------------------------------


def _path(session: AsyncSession):
    if is_postgres(session):
        return func.split_part(T.url, "?", 1)
    cut = func.instr(T.url, "?")
    return case((cut > 0, func.substr(T.url, 1, cut - 1)), else_=T.url)


def _visitor():
    # a visitor is a session; a request without one (a bot without cookies) its address
    return func.coalesce(T.session_hash, T.ip, literal("-"))


def _period(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    return [T.arrived_at >= since, T.arrived_at < until]


def _page_views() -> list[ColumnElement[bool]]:
    return [
        T.method == "GET",
        T.status >= 200,
        T.status < 300,
        ~T.url.like("/static/%"),
        ~T.url.like("/staff%"),
        ~T.url.like("/healthz%"),
    ]


async def pages_count(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[str, int, int]]:
    path = _path(session).label("path")
    statement = (
        select(path, func.count(), func.count(func.distinct(_visitor())))
        .where(*_period(since, until), *_page_views())
        .group_by(path)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def user_agents_count(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[str | None, int, int]]:
    statement = (
        select(T.user_agent, func.count(), func.count(func.distinct(_visitor())))
        .where(*_period(since, until), *_page_views())
        .group_by(T.user_agent)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def errors_count(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[str, int, int, int]]:
    path = _path(session).label("path")
    statement = (
        select(path, T.status, func.count(), func.count(func.distinct(_visitor())))
        .where(*_period(since, until), or_(T.status == 404, T.status >= 500))
        .group_by(path, T.status)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def series_count(
    session: AsyncSession, since: datetime, until: datetime, *, unit: str
) -> list[tuple[object, int, int]]:
    """(bucket start, requests, distinct sessions) per hour, its start in UTC (an hour is
    the same in every zone, and the autumn's repeated one stays two), or per Polish day,
    its local midnight; either without its offset."""
    if is_postgres(session):
        zone = "UTC" if unit == "hour" else LOCAL_ZONE.key
        bucket = func.date_trunc(unit, func.timezone(zone, T.arrived_at))
    elif unit == "hour":
        bucket = func.strftime("%Y-%m-%d %H:00:00", T.arrived_at)
    else:
        await _sqlite_functions(session)
        bucket = func.urna_local_day(T.arrived_at)
    bucket = bucket.label("bucket")
    statement = (
        select(bucket, func.count(), func.count(func.distinct(T.session_hash)))
        .where(*_period(since, until))
        .group_by(bucket)
        .order_by(bucket)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


# ---- retention ----------------------------------------------------------------------


async def logs_delete_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(RequestLog).where(T.arrived_at < cutoff))
    return result.rowcount or 0


async def ips_truncate_before(session: AsyncSession, cutoff: datetime) -> int:
    """Cut addresses to their /24 or /48 and forget their host names (a name would say
    what the address was)."""
    if is_postgres(session):
        inet = cast(T.ip, INET)
        keep = case((func.family(inet) == 4, IPV4_KEEP), else_=IPV6_KEEP)
        truncated = func.host(func.network(func.set_masklen(inet, keep)))
    else:
        await _sqlite_functions(session)
        truncated = func.urna_ip_truncated(T.ip)
    statement = (
        update(RequestLog)
        .where(
            T.arrived_at < cutoff,
            T.ip.is_not(None),
            or_(T.ip != truncated, func.coalesce(T.host, "") != ""),
        )
        .values(ip=truncated, host="")
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount or 0


async def session_hashes_drop_before(session: AsyncSession, cutoff: datetime) -> int:
    statement = (
        update(RequestLog)
        .where(T.arrived_at < cutoff, T.session_hash.is_not(None))
        .values(session_hash=None)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount or 0


# ---- host names (filled in by the worker) -------------------------------------------


async def ips_without_host(
    session: AsyncSession, *, limit: int, skip: Sequence[str] = ()
) -> list[str]:
    """Addresses with rows not looked up yet (read through a partial index), but those
    in ``skip`` (the resolver's, waiting for their next try)."""
    query = select(T.ip).where(T.host.is_(None), T.ip.is_not(None))
    if skip:
        query = query.where(T.ip.not_in(list(skip)))
    return list((await session.execute(query.distinct().limit(limit))).scalars())


async def hosts_fill(session: AsyncSession, names: Mapping[str, str]) -> None:
    """Give every row of each address that has no host name yet the name found."""
    if not names:
        return
    statement = (
        update(RequestLog.__table__)
        .where(T.ip == bindparam("b_ip"), T.host.is_(None))
        .values(host=bindparam("b_host"))
    )
    await session.execute(statement, [{"b_ip": ip, "b_host": name} for ip, name in names.items()])
