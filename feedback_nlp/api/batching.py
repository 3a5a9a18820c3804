"""Opportunistic micro-batching for the service, on the event loop's own thread.

Requests that reach the event loop together are gathered and scored in one pipeline call on the loop's thread. A
lone client is answered at once; under load, the per-call overhead (feature matrices, matrix products, Python calls
per component) is paid once per batch instead of once per request.

Two details decide how well batches form. First, clients that have just been answered send their next request a
fraction of a millisecond later, while requests that arrived during the last batch are already waiting: scored at
once, those would split the clients into two groups that take turns, each batch paying the full overhead (measured
with 8 clients: batches of 1 and 7, or 4 and 4). So while a connection answered in the last batch has not sent its
next request (a keep-alive connection has one request in flight at a time), the batcher lingers until it has or
until `linger_s` has passed since those answers went out; a client that has left costs one linger, as the next batch
no longer expects it. Second, the pipeline runs on the loop's thread rather than a worker thread: a thread shares
the interpreter lock with the event loop, and with 8 clients the two fighting over it made a batch cost about 1.4x
its CPU time. The price: while a batch is scored the loop answers nothing else, so one call scores at most
`max_items` records and the loop gets a turn between calls.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Hashable, NamedTuple

Records = list[dict[str, Any]]


class Job(NamedTuple):
    records: Records
    future: asyncio.Future
    connection: Hashable | None


class LoopBatcher:
    def __init__(self, analyse: Callable[[Records], list[Any]], max_items: int = 256, linger_s: float = 0.003):
        self._analyse = analyse
        self._max_items = max_items
        self._linger_s = linger_s
        self._waiting: list[Job] = []
        self._call: asyncio.Handle | None = None  # the scheduled scoring, if any
        self._lingering = False
        self._last_answered = float("-inf")
        self._last_connections: set[Hashable] = set()  # the connections the last batch answered

    async def submit(self, records: Records, connection: Hashable | None = None) -> list[Any]:
        """The analyses of `records`, in order, scored together with the other requests waiting at the time.
        `connection` (the client's address and port) tells the batcher which clients to expect back."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append(Job(records, future, connection))
        if self._call is None:
            # call_soon runs after the other requests already read in this loop turn have submitted theirs.
            self._call = loop.call_soon(self._score_waiting)
        elif self._lingering and not self._still_expected():
            self._call.cancel()
            self._call, self._lingering = loop.call_soon(self._score_waiting), False
        return await future

    def _still_expected(self) -> bool:
        """Some connection answered in the last batch has not sent its next request yet."""
        return bool(self._last_connections - {job.connection for job in self._waiting})

    def _score_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        self._call, self._lingering = None, False
        deadline = self._last_answered + self._linger_s
        if loop.time() < deadline and self._still_expected():
            self._call, self._lingering = loop.call_at(deadline, self._score_waiting), True
            return
        jobs = self._take_waiting()
        if self._waiting:
            self._call = loop.call_soon(self._score_waiting)
        self._last_connections = {job.connection for job in jobs} - {None}
        self._score([job for job in jobs if not job.future.cancelled()])  # cancelled: the client went away
        # The answers go out when the awaiting requests resume, in the next turn: the linger counts from then.
        loop.call_soon(self._answered, loop)

    def _answered(self, loop: asyncio.AbstractEventLoop) -> None:
        self._last_answered = loop.time()

    def _take_waiting(self) -> list[Job]:
        jobs, size = [], 0
        while self._waiting and (not jobs or size + len(self._waiting[0].records) <= self._max_items):
            jobs.append(self._waiting.pop(0))
            size += len(jobs[-1].records)
        return jobs

    def _score(self, jobs: list[Job]) -> None:
        try:
            results = self._analyse([record for job in jobs for record in job.records])
        except Exception as exc:  # noqa: BLE001 - handed to every waiting request; the next batch goes on
            for job in jobs:
                job.future.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.future.set_result(results[start : start + len(job.records)])
            start += len(job.records)
