"""Rate limits answered one way everywhere: a 429 that says, in ``Retry-After``, when the
window lets the next attempt through (computed from the limiter's own window)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.aio.strategies import RateLimiter

from urna.core.errors import TooManyRequests


async def limit_wait(limiter: RateLimiter, item: RateLimitItem, *identifiers: str) -> int:
    """Whole seconds until ``item`` admits one more hit for ``identifiers`` (at least 1)."""
    stats = await limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


async def limit_hit(
    limiter: RateLimiter,
    item: RateLimitItem,
    *identifiers: str,
    error: TooManyRequests | None = None,
) -> None:
    """Count one hit; when the window is full raise ``error`` (default: the generic
    TooManyRequests) carrying the wait for Retry-After."""
    if await limiter.hit(item, *identifiers):
        return
    error = error or TooManyRequests()
    error.retry_after_seconds = await limit_wait(limiter, item, *identifiers)
    raise error
