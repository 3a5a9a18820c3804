"""The worker pool behind `analyze --workers N` and `Pipeline.pipe(n_process=N)`: order, bounded read-ahead, and
failures that surface in the parent instead of hanging it."""

import gc
import os
import signal
import time

import pytest

from feedback_nlp import errors
from feedback_nlp.workers import WorkerPool


class _NoPipeline:
    """What the pool needs of a pipeline: something to warm up."""

    def warm_up(self) -> None:
        pass


class _BrokenPipeline:
    def warm_up(self) -> None:
        raise errors.dependency_missing("rjieba")


def _slower_for_early_tasks(task: int) -> tuple[int, int]:
    time.sleep(0.02 * (10 - task % 10))
    return task, os.getpid()


def _fail_on_three(task: int) -> int:
    if task == 3:
        raise ValueError("task three is bad")
    return task


def _die_on_two(task: int) -> int:
    if task == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return task


def test_answers_come_back_in_task_order_from_all_workers():
    with WorkerPool(_NoPipeline(), 2) as pool:
        answers = list(pool.imap(_slower_for_early_tasks, range(20)))
    assert [task for task, _ in answers] == list(range(20))
    assert len({pid for _, pid in answers}) == 2
    assert gc.get_freeze_count() == 0, "the parent's objects were frozen only while the workers ran"


def test_a_caller_that_froze_objects_keeps_them_frozen_after_the_pool():
    kept_alive = ["an object the caller froze"]
    gc.freeze()  # as `analyze` does for its whole run
    with WorkerPool(_NoPipeline(), 2) as pool:
        assert list(pool.imap(_fail_on_three, [0, 1])) == [0, 1]
    # The count alone cannot tell: frozen objects that die leave the permanent generation. An object
    # is frozen when the collector tracks it but none of the collected generations holds it.
    still_collected = any(obj is kept_alive for obj in gc.get_objects())
    gc.unfreeze()
    assert gc.is_tracked(kept_alive) and not still_collected


def test_the_pool_reads_only_a_few_tasks_ahead():
    pulled = []

    def tasks():
        for task in range(100):
            pulled.append(task)
            yield task

    with WorkerPool(_NoPipeline(), 2, depth=2) as pool:
        answers = pool.imap(_slower_for_early_tasks, tasks())
        next(answers)
        assert len(pulled) <= pool.capacity == 4
        assert len(list(answers)) == 99


def test_an_exception_in_a_worker_is_raised_in_the_parent_and_the_workers_stop():
    pool = WorkerPool(_NoPipeline(), 2)
    with pytest.raises(ValueError, match="task three is bad"), pool:
        list(pool.imap(_fail_on_three, range(8)))
    assert not any(process.is_alive() for process in pool._processes)


def test_a_killed_worker_is_reported_with_its_signal_instead_of_hanging():
    with pytest.raises(errors.FeedbackNLPError, match="killed by signal 9"), WorkerPool(_NoPipeline(), 2) as pool:
        list(pool.imap(_die_on_two, range(8)))


def test_a_worker_that_cannot_warm_up_answers_with_its_reason():
    with pytest.raises(errors.FeedbackNLPError, match="'rjieba'.*Reinstall"), WorkerPool(_BrokenPipeline(), 2) as pool:
        list(pool.imap(_fail_on_three, range(8)))


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_answer_pipes_hold_several_answers():
    # A batch's answer (~120 KB) does not fit in a default 64 KB pipe: the worker would wait in `send` until the
    # parent, busy writing, read it.
    import fcntl

    with WorkerPool(_NoPipeline(), 2) as pool:
        assert all(fcntl.fcntl(c.fileno(), fcntl.F_GETPIPE_SZ) >= 1 << 20 for c in pool._answers)
        assert list(pool.imap(_fail_on_three, [0, 1, 2])) == [0, 1, 2]


def test_the_writer_warms_up_once_every_worker_has_a_batch(monkeypatch):
    # Importing the Parquet writer before sending any batch kept both workers waiting for it.
    from feedback_nlp import batch

    events = []

    class RecordingPool:
        def __init__(self, pipeline, processes):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def imap(self, function, tasks):
            for _ in tasks:
                events.append("batch sent")
                yield None

    monkeypatch.setattr(batch, "WorkerPool", RecordingPool)
    runs = batch._analyze_parallel(None, [([], [])] * 3, 2, False, lambda: None, lambda: events.append("warm-up"))
    assert len(list(runs)) == 3
    assert events == ["batch sent", "batch sent", "warm-up", "batch sent"]
