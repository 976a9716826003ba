"""Waiting on a condition instead of sleeping a guessed time: the test goes on as soon as
the condition holds, and fails with a clear message if it never does."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

POLL_SECONDS = 0.02
T = TypeVar("T")


async def wait_until(
    predicate: Callable[[], Any | Awaitable[Any]],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for polling, not a cancellation
    what: str = "the condition",
) -> Any:
    """Poll ``predicate`` (plain or async) until it returns a true value; return that
    value. Fails the test when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g} s")
        await asyncio.sleep(POLL_SECONDS)


async def at_once(calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """Make every call at the same moment (a race): each task waits on one event, set once
    all of them wait; their results in order."""
    start = asyncio.Event()
    waiting: list[int] = []

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        waiting.append(1)
        await start.wait()
        return await call()

    tasks = [asyncio.create_task(one(call)) for call in calls]
    await wait_until(lambda: len(waiting) == len(tasks), what="every call ready to go")
    start.set()
    return await asyncio.gather(*tasks)
