"""Reverse DNS for the client host name, never on the request path.

Lookups run in a small thread pool of their own (a slow resolver cannot starve the app's
other threads), each with a timeout, and results are cached (LRU, with a shorter life
for "no name"). The writer asks for names after it has written a batch and fills them in
with an UPDATE; a name already cached goes straight into the row.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Lookup = Callable[[str], str]

NO_NAME = ""


def system_lookup(ip: str) -> str:
    """PTR name of ``ip``; blocking, so it only ever runs in the resolver's threads."""
    try:
        return socket.gethostbyaddr(ip)[0][:255]
    except (OSError, UnicodeError):
        return NO_NAME


class HostResolver:
    def __init__(
        self,
        *,
        lookup: Lookup = system_lookup,
        timeout: float = 1.0,
        cache_size: int = 10_000,
        ttl: float = 3600.0,
        negative_ttl: float = 600.0,
        threads: int = 4,
    ) -> None:
        self.lookup = lookup
        self.timeout = timeout
        self.cache_size = cache_size
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self._cache: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._limit = asyncio.Semaphore(threads)

    def cached(self, ip: str) -> str | None:
        item = self._cache.get(ip)
        if item is None:
            return None
        name, expires = item
        if expires < time.monotonic():
            del self._cache[ip]
            return None
        self._cache.move_to_end(ip)
        return name

    def remember(self, ip: str, name: str) -> None:
        life = self.ttl if name else self.negative_ttl
        self._cache[ip] = (name, time.monotonic() + life)
        self._cache.move_to_end(ip)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def resolve(self, ip: str) -> str:
        """The host name of ``ip`` ("" for none, a failure or a timeout), cached."""
        name = self.cached(ip)
        if name is not None:
            return name
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="urna-dns")
        loop = asyncio.get_running_loop()
        async with self._limit:
            try:
                name = await asyncio.wait_for(
                    loop.run_in_executor(self._executor, self.lookup, ip), self.timeout
                )
            except (TimeoutError, OSError):
                name = NO_NAME
        name = (name or NO_NAME)[:255]
        self.remember(ip, name)
        return name

    def close(self) -> None:
        if self._executor is not None:
            # Do not wait for a lookup stuck in the resolver: it ends on its own.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
