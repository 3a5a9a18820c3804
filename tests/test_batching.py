"""The service's micro-batcher: concurrent requests share pipeline calls, each gets its own answers back, and it
waits for clients it knows about only as long as it was told to."""

from __future__ import annotations

import asyncio
import time

import pytest

from feedback_nlp.api.batching import LoopBatcher


def recording(calls: list[int], fail_on: str | None = None):
    def analyse(records):
        calls.append(len(records))
        if fail_on and any(r.get(fail_on) for r in records):
            raise RuntimeError("model exploded")
        return [r["n"] * 10 for r in records]

    return analyse


def test_requests_that_arrive_together_are_scored_in_one_call_and_answered_in_order():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls))
        return await asyncio.gather(*(batcher.submit([{"n": n}, {"n": n + 1000}]) for n in range(16)))

    answers = asyncio.run(main())
    assert answers == [[n * 10, (n + 1000) * 10] for n in range(16)]
    assert calls == [32]


def test_batch_size_is_capped_and_every_request_is_answered():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls), max_items=3)
        return await asyncio.gather(*(batcher.submit([{"n": n}]) for n in range(7)))

    assert asyncio.run(main()) == [[n * 10] for n in range(7)]
    assert calls == [3, 3, 1]


def test_a_failing_batch_fails_its_requests_and_the_batcher_goes_on():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls, fail_on="boom"))
        with pytest.raises(RuntimeError, match="model exploded"):
            await batcher.submit([{"n": 1, "boom": True}])
        return await batcher.submit([{"n": 2}])

    assert asyncio.run(main()) == [20]


def test_clients_just_answered_are_waited_for_so_they_stay_in_one_batch():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls), linger_s=5.0)
        await asyncio.gather(*(batcher.submit([{"n": n}], connection=("client", n)) for n in range(3)))

        async def later(n: int):
            await asyncio.sleep(0.02)  # the others come back a little after client 0
            return await batcher.submit([{"n": n}], connection=("client", n))

        started = time.perf_counter()
        answers = await asyncio.gather(batcher.submit([{"n": 0}], connection=("client", 0)), later(1), later(2))
        return answers, time.perf_counter() - started

    answers, took = asyncio.run(main())
    assert answers == [[0], [10], [20]]
    assert calls == [3, 3], "the early request must wait for the two clients it knows are coming"
    assert took < 2.5, "the batch goes as soon as the known clients are back, not at the linger deadline"


def test_a_lone_client_is_never_held_back():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls), linger_s=5.0)
        started = time.perf_counter()
        for n in range(5):
            assert await batcher.submit([{"n": n}], connection=("client", 0)) == [n * 10]
        return time.perf_counter() - started

    assert asyncio.run(main()) < 2.5
    assert calls == [1, 1, 1, 1, 1]


def test_a_client_that_does_not_come_back_delays_the_others_by_at_most_the_linger():
    calls: list[int] = []

    async def main():
        batcher = LoopBatcher(recording(calls), linger_s=0.05)
        await asyncio.gather(*(batcher.submit([{"n": n}], connection=("client", n)) for n in range(2)))
        return await batcher.submit([{"n": 7}], connection=("client", 0))  # client 1 has gone quiet

    assert asyncio.run(main()) == [70]
    assert calls == [2, 1]
