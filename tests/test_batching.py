"""The service's micro-batcher: concurrent requests share pipeline calls, and each gets its own answers back."""

from __future__ import annotations

import threading
import time

import pytest

from feedback_nlp.api.batching import MicroBatcher


def test_concurrent_requests_are_batched_and_answered_in_order():
    calls: list[int] = []

    def analyse(records):
        calls.append(len(records))
        time.sleep(0.02)  # slow enough that other requests queue up meanwhile
        return [r["n"] * 10 for r in records]

    batcher = MicroBatcher(analyse)
    answers: dict[int, list[int]] = {}

    def client(n: int) -> None:
        answers[n] = batcher.submit([{"n": n}, {"n": n + 1000}]).result(timeout=10)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.close()
    assert answers == {n: [n * 10, (n + 1000) * 10] for n in range(16)}
    assert sum(calls) == 32
    assert max(calls) > 2, "requests that waited together must be scored in one call"


def test_batch_size_is_capped():
    calls: list[int] = []
    gate = threading.Event()

    def analyse(records):
        gate.wait(5)
        calls.append(len(records))
        return list(records)

    batcher = MicroBatcher(analyse, max_items=3)
    futures = [batcher.submit([{"n": n}]) for n in range(7)]
    gate.set()
    assert [f.result(timeout=10) for f in futures] == [[{"n": n}] for n in range(7)]
    batcher.close()
    assert max(calls) <= 3


def test_a_failing_batch_fails_its_requests_and_the_batcher_goes_on():
    def analyse(records):
        if any(r.get("boom") for r in records):
            raise RuntimeError("model exploded")
        return ["ok" for _ in records]

    batcher = MicroBatcher(analyse)
    with pytest.raises(RuntimeError, match="model exploded"):
        batcher.submit([{"boom": True}]).result(timeout=10)
    assert batcher.submit([{}]).result(timeout=10) == ["ok"]
    batcher.close()
