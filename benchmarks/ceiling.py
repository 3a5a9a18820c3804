"""How much a second process can give on this machine, as a yardstick for `analyze -w 2`.

Two measurements, each as the time of one process doing all the work over the wall time of two forked processes
doing half each (no queue, no reading or writing, nothing shared but the machine):
- a pure-Python loop, which needs no memory: what the two cores give at best;
- the loaded pipeline scoring conversations (output rows built), forked after loading as `analyze`'s workers are:
  what the cores give to this work, whose tables both processes read through one shared cache.

    python benchmarks/ceiling.py [DIALOGUES.jsonl]    # default: the bench's benchmarks/work/dialogues.jsonl
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent / "work"


def _loop() -> None:
    total = 0
    for i in range(6_000_000):
        total += i * i % 7


def in_two_halves(work: Callable[[int], None]) -> float:
    """Wall time of `work(0)` and `work(1)` in two processes forked now."""
    started = time.perf_counter()
    children = []
    for half in (0, 1):
        pid = os.fork()
        if pid == 0:
            try:
                work(half)
            finally:
                os._exit(0)  # the child must not run the parent's cleanup
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return time.perf_counter() - started


def scaling(whole: Callable[[], None], half: Callable[[int], None], rounds: int) -> list[float]:
    """Per round: the time of `whole()` in this process over the wall time of both halves in two processes."""
    ratios = []
    for _ in range(rounds):
        started = time.perf_counter()
        whole()
        alone = time.perf_counter() - started
        ratios.append(round(alone / in_two_halves(half), 2))
    return ratios


def measure(dialogues: Path, rounds: int = 3) -> dict[str, Any]:
    import feedback_nlp
    from feedback_nlp.workers import collect_garbage_rarely, single_threaded_math

    nlp = feedback_nlp.load()
    single_threaded_math()
    items = [json.loads(line) for line in dialogues.read_text(encoding="utf-8").splitlines() if line.strip()]
    collect_garbage_rarely()  # as in `analyze` and its workers

    def score(part: list) -> None:
        for start in range(0, len(part), 256):
            for doc in nlp.analyze_batch(part[start : start + 256]):
                doc.to_dict()

    score(items)  # the word cache filled first, so that neither side of the first round starts without it
    return {
        "python_loop": scaling(lambda: [_loop() for _ in range(2)], lambda h: _loop(), rounds),
        "pipeline_conversations": scaling(lambda: score(items), lambda h: score(items[h::2]), rounds),
        "conversations": len(items),
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else WORK / "dialogues.jsonl"
    results = measure(path)
    for name in ("python_loop", "pipeline_conversations"):
        print(f"{name}: {', '.join(f'{x:.2f}x' for x in results[name])}, median {statistics.median(results[name]):.2f}x")


if __name__ == "__main__":
    main()
