"""The scan: signals from ballots, request logs and voter keys, grouped into cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.crypto import Crypto
from urna.editions.models import Edition
from urna.fraud.schemas import ScanResult


async def scan_run(
    *,
    session: AsyncSession,
    crypto: Crypto,
    edition: Edition,
    since: int | None,
    incremental: bool = False,
) -> ScanResult:
    raise NotImplementedError("the scan lands in the next commit")
