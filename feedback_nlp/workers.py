"""Worker processes for batch runs: forked once with the loaded pipeline, fed batches from one shared queue, their
answers handed back in input order.

Not `multiprocessing.Pool`: its worker-handler thread also waits on the result pipe, so while a result sits there
unread it wakes up again and again (about a hundred times a batch: 0.25 s of the parent's CPU in a two-worker run of
50,000 reviews, taken from the two cores the workers need).
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .pipeline import Pipeline

# Each worker keeps the pipeline it was forked with in this global (models shared copy-on-write with the parent).
_WORKER_PIPELINE: Pipeline | None = None


def single_threaded_math() -> None:
    """One BLAS/OpenMP thread in this process. With several worker processes on a few cores, each process's own
    thread pool oversubscribes the machine (spinning threads), and a batch's matrix products are too small to
    gain from threads anyway."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def collect_garbage_rarely() -> None:
    """Collector settings for a process that scores batches until it ends. What exists now (the loaded models and
    tables) moves to the permanent generation, and a young collection waits for 10,000 new container objects
    instead of 700. A batch allocates tens of thousands of short-lived containers that reference counting frees
    anyway; with the defaults the collector ran ~1,100 times in a one-worker run of 50,000 reviews and walked
    the models in each full collection: 0.45-0.75 s of an 11-14 s run, 0.04-0.07 s with these settings."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def worker_pipeline() -> Pipeline:
    """The pipeline of this worker process."""
    assert _WORKER_PIPELINE is not None, "not in a WorkerPool process"
    return _WORKER_PIPELINE


def _widen(connection, size: int = 1 << 20) -> None:
    """Let a pipe hold `size` bytes (Linux; elsewhere a no-op). An answer (~120 KB for 256 reviews written to
    Parquet) does not fit in the default 64 KB, so a worker that finished a batch while the parent was busy
    writing stayed blocked in `send` until the parent read it: 0.25-0.35 s per worker in a two-worker run of
    50,000 reviews, 0.1 s with room for a few answers."""
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):  # not Linux, or a size above /proc/sys/fs/pipe-max-size
        pass


def _serve(pipeline: Pipeline, tasks, results) -> None:
    """A worker's life: warm up (if the pipeline was forked cold), then answer tasks until told to stop."""
    global _WORKER_PIPELINE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it then stops the workers
    broken: Exception | None = None
    try:
        single_threaded_math()
        pipeline.warm_up()  # a no-op if the parent warmed up before forking
        collect_garbage_rarely()
        _WORKER_PIPELINE = pipeline
    except Exception as exc:  # noqa: BLE001 - e.g. a dependency missing: tasks are answered with it, not a crash
        broken = exc
    while (task := tasks.get()) is not None:
        index, function, argument = task
        try:
            if broken is not None:
                raise broken
            answer = (index, True, function(argument))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            answer = (index, False, exc)
        try:
            results.send(answer)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be pickled
            results.send((index, False, RuntimeError(repr(exc))))


class WorkerPool:
    """`processes` forked workers running `function(task)`; at most `depth` tasks per worker are queued or held
    as answers not yet handed back, so that a huge input never piles up in memory."""

    def __init__(self, pipeline: Pipeline, processes: int, depth: int = 2):
        context = multiprocessing.get_context("fork")
        # A Queue, not a pipe per worker: its feeder thread sends while the parent waits for answers (a blocking
        # send of a large batch to a busy worker could otherwise meet that worker's blocking send of its answer),
        # and whichever worker is free takes the next batch.
        self._tasks = context.Queue()
        self._processes = []
        self._answers = []
        self.capacity = depth * processes
        # Objects that exist at the fork go to the collector's permanent generation: otherwise each worker's full
        # collections walk (and so copy, page by page) the models it shares with the parent; 0.2-0.3 s of worker
        # CPU in a two-worker run of 50,000 reviews. A caller that froze objects itself (`analyze` does, for the
        # whole run) keeps them frozen after the pool: the pool unfreezes only what it froze.
        self._unfreeze_at_end = gc.get_freeze_count() == 0
        gc.freeze()
        for _ in range(processes):
            receiver, sender = context.Pipe(duplex=False)
            _widen(receiver)
            process = context.Process(target=_serve, args=(pipeline, self._tasks, sender), daemon=True)
            process.start()
            sender.close()
            self._processes.append(process)
            self._answers.append(receiver)

    def imap(self, function: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """`function(task)` for every task, in the tasks' order; `function` must be picklable (module-level)."""
        tasks = iter(tasks)
        sent = handed_back = 0
        arrived: dict[int, tuple[bool, Any]] = {}
        exhausted = False
        while True:
            while not exhausted and sent - handed_back < self.capacity:
                task = next(tasks, _END)
                if task is _END:
                    exhausted = True
                else:
                    self._tasks.put((sent, function, task))
                    sent += 1
            if handed_back == sent:
                return
            while handed_back not in arrived:
                self._receive(arrived)
            ok, value = arrived.pop(handed_back)
            handed_back += 1
            if not ok:
                raise value
            yield value

    def _receive(self, arrived: dict[int, tuple[bool, Any]]) -> None:
        """Wait for answers; a worker that ended (its pipe closed, or its process gone) can only have died, as
        workers end only when told to, after every answer has been handed back."""
        sentinels = {process.sentinel: process for process in self._processes}
        ready_now = wait([*self._answers, *sentinels])
        for ready in sorted(ready_now, key=lambda r: r in sentinels):  # answers first, then deaths
            if ready in sentinels:
                process = sentinels[ready]
            else:
                try:
                    index, ok, value = ready.recv()
                except EOFError:
                    process = self._processes[self._answers.index(ready)]
                else:
                    arrived[index] = (ok, value)
                    continue
            process.join()
            raise errors.worker_died(process.exitcode)

    def close(self) -> None:
        """Let the workers finish and exit."""
        for _ in self._processes:
            self._tasks.put(None)
        for process in self._processes:
            process.join(timeout=10)
        self.terminate()

    def terminate(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join()
        self._tasks.cancel_join_thread()  # tasks nobody will read must not hold up the exit
        self._tasks.close()
        for connection in self._answers:
            connection.close()
        if self._unfreeze_at_end:
            gc.unfreeze()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.terminate()


_END = object()
