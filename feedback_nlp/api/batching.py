"""Opportunistic micro-batching for the service.

Concurrent requests are gathered into one pipeline call: a single worker thread takes whatever requests arrived
while the previous batch was being scored and scores them together. Nothing waits for a batch to fill, so a lone
request is answered at once; under load, the per-call overhead (feature matrices, matrix products, Python calls per
component) is paid once per batch instead of once per request, which is what keeps latency flat as clients are added.
It also means only one thread ever runs the pipeline, so components need no locks of their own.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

Records = list[dict[str, Any]]


class MicroBatcher:
    def __init__(self, analyse: Callable[[Records], list[Any]], max_items: int = 256):
        self._analyse = analyse
        self._max_items = max_items
        self._queue: queue.Queue[tuple[Records, Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="feedback-nlp-batcher", daemon=True)
        self._thread.start()

    def submit(self, records: Records) -> Future:
        future: Future = Future()
        self._queue.put((records, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _take_waiting(self, first: tuple[Records, Future]) -> tuple[list[tuple[Records, Future]], bool]:
        jobs, size = [first], len(first[0])
        while size < self._max_items:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
            size += len(job[0])
        return jobs, False

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            jobs, stopping = self._take_waiting(first)
            records = [record for job_records, _ in jobs for record in job_records]
            try:
                results = self._analyse(records)
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting request, never kills the thread
                for _, future in jobs:
                    future.set_exception(exc)
                continue
            start = 0
            for job_records, future in jobs:
                future.set_result(results[start : start + len(job_records)])
                start += len(job_records)
