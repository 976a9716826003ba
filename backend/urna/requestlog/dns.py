"""Reverse DNS for the client host name, never on the request path.

The app writes its rows without a host name (NULL); the worker's job
(``service.hosts_resolve``) looks the addresses up and fills the names in with an UPDATE.
Lookups run in a small thread pool of their own (a slow resolver cannot starve the
worker's other threads), each with a timeout, and answers are cached (LRU, with a shorter
life for "no name").

Two outcomes are kept apart. The resolver *answered* that an address has no name: that is
final and stored as "" (as a name is). The resolver gave *no answer in time* (a timeout,
or "try again"): nothing is stored, the rows stay NULL and a later run asks again, so a
slow resolver never marks an address that has a name as nameless. Retries are bounded:
an address is asked at most ``attempts`` times, ``retry_after`` seconds apart and then
twice as far apart, after which it rests for ``rest`` seconds before a new round; the job
skips the addresses resting or waiting (``waiting()``), so they never take the place of
new ones in its batch, and each run looks up at most its batch of addresses. A row still
unanswered keeps NULL ("not looked up") until the retention cuts its address and sets
"" for good.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# A lookup returns the name, NO_NAME (the resolver answered: none) or None (no answer).
Lookup = Callable[[str], str | None]

NO_NAME = ""


def system_lookup(ip: str) -> str | None:
    """PTR name of ``ip``; blocking, so it only ever runs in the resolver's threads."""
    try:
        return socket.gethostbyaddr(ip)[0][:255]
    except socket.herror as error:
        return None if error.errno == 2 else NO_NAME  # 2: TRY_AGAIN, no answer yet
    except socket.gaierror as error:
        return None if error.errno == socket.EAI_AGAIN else NO_NAME
    except TimeoutError:
        return None
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
        attempts: int = 3,
        retry_after: float = 30.0,
        rest: float = 3600.0,
        waiting_size: int = 2000,
    ) -> None:
        self.lookup = lookup
        self.timeout = timeout
        self.cache_size = cache_size
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.attempts = attempts
        self.retry_after = retry_after
        self.rest = rest
        self.waiting_size = waiting_size
        self._cache: OrderedDict[str, tuple[str, float]] = OrderedDict()
        # Addresses without an answer yet: (attempts so far, not to be asked before).
        self._unanswered: OrderedDict[str, tuple[int, float]] = OrderedDict()
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

    def waiting(self) -> list[str]:
        """Addresses not to be asked now: unanswered lately, their next try not due."""
        now = time.monotonic()
        return [ip for ip, (_, not_before) in self._unanswered.items() if not_before > now]

    def _unanswered_again(self, ip: str) -> None:
        tries, _ = self._unanswered.pop(ip, (0, 0.0))
        tries += 1
        if tries >= self.attempts:  # this round is over: rest, then a new round
            pause, tries = self.rest, 0
        else:
            pause = self.retry_after * 2 ** (tries - 1)
        self._unanswered[ip] = (tries, time.monotonic() + pause)
        while len(self._unanswered) > self.waiting_size:
            self._unanswered.popitem(last=False)

    async def resolve(self, ip: str) -> str | None:
        """The host name of ``ip`` ("" when the resolver answered that it has none, or
        for a failed lookup), cached; None when no answer came in time, or ``ip`` waits
        for its next try (see the module's docstring)."""
        name = self.cached(ip)
        if name is not None:
            return name
        waiting = self._unanswered.get(ip)
        if waiting is not None and waiting[1] > time.monotonic():
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="urna-dns")
        loop = asyncio.get_running_loop()
        async with self._limit:
            try:
                answer = await asyncio.wait_for(
                    loop.run_in_executor(self._executor, self.lookup, ip), self.timeout
                )
            except TimeoutError:
                answer = None
            except OSError:
                answer = NO_NAME
        if answer is None:
            self._unanswered_again(ip)
            return None
        self._unanswered.pop(ip, None)
        name = answer[:255]
        self.remember(ip, name)
        return name

    def close(self) -> None:
        if self._executor is not None:
            # Do not wait for a lookup stuck in the resolver: it ends on its own.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
