"""The batched writer: a bounded in-process buffer, written by one background task.

Requests only append a tuple to the buffer (no I/O on the request path). Every
``interval`` seconds, or as soon as ``batch_size`` records are pending, the task writes
what is pending then (records that arrive during the write wait for the next round, so a
busy worker writes a few large batches a second, not a small one after every request):
PostgreSQL by COPY, SQLite by executemany. If the database is down the records
stay in the buffer and the write is retried with backoff; the buffer keeps the newest
``capacity`` records and counts what it had to drop. Rows are written without a host
name: the worker's reverse-DNS job fills it in (``service.hosts_resolve``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from urna.requestlog.models import COLUMNS, RequestLog

log = logging.getLogger("urna.requestlog")

Record = tuple
TABLE = RequestLog.__table__


def _poison(error: BaseException) -> bool:
    """A batch the database refuses for its content (not for being down)."""
    if isinstance(error, IntegrityError | DataError):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(error, asyncpg.DataError | asyncpg.IntegrityConstraintViolationError)


class LogWriter:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        capacity: int = 100_000,
        batch_size: int = 1000,
        interval: float = 0.25,
        max_backoff: float = 5.0,
    ) -> None:
        self.engine = engine
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.max_backoff = max_backoff
        self._buffer: deque[Record] = deque(maxlen=capacity)
        self.dropped = 0  # records lost because the buffer was full
        self.rejected = 0  # records the database refused for their content
        self.written = 0
        self.failures = 0  # failed write attempts (database unreachable, ...)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._dropped_reported = 0
        self._reported_at = 0.0

    # ---- the request path -------------------------------------------------------------

    def submit(self, record: Record) -> None:
        """Queue one record; never blocks, never fails. A full buffer drops the oldest."""
        if len(self._buffer) == self.capacity:
            self.dropped += 1
        self._buffer.append(record)
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def status(self) -> dict[str, int]:
        return {
            "pending": self.pending,
            "written": self.written,
            "dropped": self.dropped,
            "rejected": self.rejected,
            "failures": self.failures,
        }

    # ---- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="urna-requestlog-writer")

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Stop the background task and write what is pending (at shutdown), within
        ``grace_seconds``; what is still pending then is counted in the log."""
        try:
            await asyncio.wait_for(self._stop_then_drain(), grace_seconds)
        except Exception:  # noqa: BLE001 - shutting down: say what is lost, don't raise
            log.exception("request log: final flush failed")
        if self._task is not None:  # the grace ran out during the task's own write
            self._task.cancel()
            await asyncio.wait({self._task})
            self._task = None
        if self._buffer:
            log.error("request log: %d records not written at shutdown", len(self._buffer))

    async def _stop_then_drain(self) -> None:
        if self._task is not None:
            # A write in progress ends first: cancelled, its batch was lost, and on SQLite
            # its statement ran on in the driver's thread, holding the lock the final
            # flush then waited for. Holding the lock, the task is between writes.
            async with self._lock:
                self._task.cancel()
            await asyncio.wait({self._task})  # its cancellation, not ours, stays in it
            self._task = None
        await self._drain()

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval + backoff)
            self._wake.clear()
            try:
                written_all = await self.flush()
            except Exception:  # noqa: BLE001 - the writer never dies
                log.exception("request log: unexpected error in the writer")
                written_all = False
            backoff = 0.0 if written_all else min(self.max_backoff, backoff * 2 or self.interval)
            self._report_drops()

    # ---- writing ----------------------------------------------------------------------

    async def _drain(self) -> None:
        """Write until nothing is pending or the database cannot be reached."""
        while self._buffer and await self.flush():
            pass

    async def flush(self) -> bool:
        """Write the records pending now (not those submitted meanwhile); False if the
        database could not be reached."""
        async with self._lock:
            left = len(self._buffer)
            while left and self._buffer:
                count = min(self.batch_size, left, len(self._buffer))
                left -= count
                batch = [self._buffer.popleft() for _ in range(count)]
                try:
                    await self._write(batch)
                except asyncio.CancelledError:
                    self._requeue(batch)  # cut off (the grace at shutdown ran out): counted
                    raise
                except Exception as error:  # noqa: BLE001 - kept for a retry, counted
                    if _poison(error):
                        await self._write_one_by_one(batch)
                    else:
                        self._requeue(batch)
                        self.failures += 1
                        log.warning(
                            "request log: write failed (%s); %d records kept for a retry",
                            type(error).__name__,
                            len(self._buffer),
                        )
                        return False
                else:
                    self.written += len(batch)
            return True

    def _requeue(self, batch: list[Record]) -> None:
        """Put a failed batch back in front, keeping the newest ``capacity`` records."""
        overflow = len(batch) + len(self._buffer) - self.capacity
        if overflow > 0:
            self.dropped += overflow
            batch = batch[overflow:]
        self._buffer.extendleft(reversed(batch))

    async def _write(self, batch: Sequence[Record]) -> None:
        if self.engine.dialect.name == "postgresql":
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.copy_records_to_table(
                    TABLE.name, records=batch, columns=COLUMNS
                )
            return
        rows = [dict(zip(COLUMNS, record, strict=True)) for record in batch]
        async with self.engine.begin() as conn:
            await conn.execute(insert(TABLE), rows)

    async def _write_one_by_one(self, batch: Sequence[Record]) -> None:
        """A batch with a record the database refuses (or already has, after a lost
        acknowledgement): write the rest one by one, count the refused."""
        for record in batch:
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(insert(TABLE), [dict(zip(COLUMNS, record, strict=True))])
            except Exception as error:  # noqa: BLE001
                if not _poison(error):
                    raise
                self.rejected += 1
            else:
                self.written += 1

    def _report_drops(self) -> None:
        if self.dropped != self._dropped_reported and time.monotonic() - self._reported_at > 10:
            log.warning(
                "request log: %d records dropped so far (buffer of %d full), %d pending",
                self.dropped,
                self.capacity,
                self.pending,
            )
            self._dropped_reported = self.dropped
            self._reported_at = time.monotonic()


def writer_for(settings, engine: AsyncEngine) -> LogWriter | None:
    """The app's writer as the settings say (None when request logging is off)."""
    if not settings.request_log:
        return None
    return LogWriter(
        engine=engine,
        capacity=settings.request_log_buffer,
        batch_size=settings.request_log_batch,
        interval=settings.request_log_interval_seconds,
    )
