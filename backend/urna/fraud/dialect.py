"""The few SQL fragments the scan writes differently on PostgreSQL and SQLite.

PostgreSQL does networks natively (``inet``, ``<<=``); on SQLite (the embedded default)
the same questions are answered by small Python functions registered on the connection,
so the scan's statements are the same on both apart from these fragments."""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.core.i18n import LOCAL_ZONE

V4_PREFIX, V6_PREFIX = 24, 48
# An IPv6 /64 is one line (a home, a phone): its device picks a new privacy address in it
# every day or every connection, so the kinds about "one IP address" read the /64 as one.
V6_HOST = 64


def host_of(ip: str | None) -> str | None:
    """What the kinds call one IP address: an IPv4 address itself, an IPv6 one's /64."""
    if not ip:
        return None
    if ipaddress.ip_address(ip).version == 4:
        return ip
    return str(ipaddress.ip_network(f"{ip}/{V6_HOST}", strict=False))


def network_of(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to, as ``198.51.100.0/24``."""
    if not ip:
        return None
    address = ipaddress.ip_address(ip)
    prefix = V4_PREFIX if address.version == 4 else V6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=64)
def _networks(listed: str) -> tuple:
    return tuple(ipaddress.ip_network(item) for item in listed.split(",") if item)


def network_match(ip: str | None, listed: str) -> str | None:
    """The first of the comma-separated networks ``listed`` that holds ``ip`` (an
    address, or an IPv6 /64 from ``host_of``)."""
    if not ip or not listed:
        return None
    within = ipaddress.ip_network(ip, strict=False)
    for network in _networks(listed):
        if within.version == network.version and within.subnet_of(network):
            return str(network)
    return None


# A day of the counters a burst is measured against: a calendar day in Polish time (a
# burst at 00:30 belongs to the day it happened on, not the UTC day before), numbered
# from 1 January 1970. Poland's offsets are whole hours: a UTC hour lies in one such day.
EPOCH_DAY = date(1970, 1, 1)
HOUR = 3600


@lru_cache(maxsize=100_000)
def _hour_day(hour: int) -> int:
    moment = datetime.fromtimestamp(hour * HOUR, UTC).astimezone(LOCAL_ZONE)
    return (moment.date() - EPOCH_DAY).days


def local_day(ts: float | None) -> int | None:
    """The Polish calendar day (its number) of a moment in seconds since the epoch."""
    return None if ts is None else _hour_day(math.floor(ts / HOUR))


def day_date(day: int) -> date:
    return EPOCH_DAY + timedelta(days=int(day))


def day_bounds(day: int) -> tuple[float, float]:
    """The moments (seconds since the epoch) a Polish day starts and the next one does:
    23 or 25 hours apart on the nights the clocks change."""
    start = datetime.combine(day_date(day), time(), LOCAL_ZONE)
    end = datetime.combine(day_date(day + 1), time(), LOCAL_ZONE)
    return start.timestamp(), end.timestamp()


def _md5(text: str | None) -> str | None:
    return None if text is None else hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _pg_network(ip: str, v4: int, v6: int) -> str:
    """PostgreSQL: the /``v4`` (IPv4) or /``v6`` (IPv6) network holding ``ip``, as text."""
    inet = f"CAST({ip} AS inet)"
    mask = f"CASE WHEN family({inet}) = 4 THEN {v4} ELSE {v6} END"
    return f"CAST(network(set_masklen({inet}, {mask})) AS text)"


@dataclass(frozen=True)
class Dialect:
    postgres: bool

    def epoch(self, column: str) -> str:
        """A timestamp as seconds since the epoch (a float)."""
        if self.postgres:
            return f"CAST(extract(epoch from {column}) AS double precision)"
        return f"((julianday({column}) - 2440587.5) * 86400.0)"

    def network(self, ip: str) -> str:
        if self.postgres:
            return _pg_network(ip, V4_PREFIX, V6_PREFIX)
        return f"fraud_network({ip})"

    def host(self, ip: str) -> str:
        """``host_of``: the address, or an IPv6 address's /64."""
        if self.postgres:
            line = _pg_network(ip, 32, V6_HOST)  # the mask for IPv4 is never used
            return f"CASE WHEN family(CAST({ip} AS inet)) = 4 THEN {ip} ELSE {line} END"
        return f"fraud_host({ip})"

    def local_day(self, ts: str) -> str:
        """``local_day`` of seconds since the epoch, an integer."""
        if self.postgres:
            wall = f"timezone('{LOCAL_ZONE.key}', to_timestamp({ts}))"
            return f"CAST(floor(extract(epoch from {wall}) / 86400) AS integer)"
        return f"fraud_day({ts})"

    def match(self, ip: str, param: str) -> str:
        """The listed network (bound parameter ``param``) that holds ``ip``, or NULL."""
        if self.postgres:
            return (
                f"(SELECT CAST(n AS text) FROM unnest(CAST(:{param} AS cidr[])) AS n "
                f"WHERE CAST({ip} AS inet) <<= n LIMIT 1)"
            )
        return f"fraud_match({ip}, :{param})"

    def address_of(self, ipua: str) -> str:
        """The IP address (``host``) of an ``ipua`` (``host|browser hash``)."""
        if self.postgres:
            return f"split_part({ipua}, '|', 1)"
        return f"substr({ipua}, 1, instr({ipua}, '|') - 1)"

    def networks_param(self, networks: Sequence[str]) -> list[str] | str:
        return list(networks) if self.postgres else ",".join(networks)

    def listagg(self, expression: str, order: str) -> str:
        """Comma-joined values in ``order`` (SQLite: fed rows ``presorted``)."""
        if self.postgres:
            return f"string_agg({expression}, ',' ORDER BY {order})"
        return f"group_concat({expression}, ',')"

    def presorted(self, order: str) -> str:
        """The ORDER BY a subquery feeding ``listagg`` needs on SQLite (whose group_concat
        keeps the order rows come in); PostgreSQL orders inside the aggregate, cheaper
        than sorting every row of the subquery."""
        return "" if self.postgres else f"ORDER BY {order}"


async def dialect_for(session: AsyncSession) -> Dialect:
    """The session's dialect, with the scan's functions registered on SQLite."""
    if is_postgres(session):
        return Dialect(postgres=True)

    def register(sync_connection) -> None:
        raw = sync_connection.connection.dbapi_connection
        raw.create_function("fraud_network", 1, network_of, deterministic=True)
        raw.create_function("fraud_host", 1, host_of, deterministic=True)
        raw.create_function("fraud_match", 2, network_match, deterministic=True)
        raw.create_function("fraud_day", 1, local_day, deterministic=True)
        raw.create_function("md5", 1, _md5, deterministic=True)
        raw.create_function("floor", 1, math.floor, deterministic=True)  # if built without

    await (await session.connection()).run_sync(register)
    return Dialect(postgres=False)
