"""Batch scoring of a file: read, analyse, write, with rejected rows accounted for and memory kept flat."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .io import InputReader, JsonlSink, Record, Rejected, group_conversations, open_sink, rejected_path
from .workers import WorkerPool, worker_pipeline

if TYPE_CHECKING:
    from .pipeline import Pipeline


@dataclass
class RunStats:
    rows_in: int = 0
    scored: int = 0
    rejected: int = 0
    truncated: int = 0
    conversations_grouped: bool = False
    elapsed: float = 0.0
    categories: Counter = field(default_factory=Counter)
    sentiment_sum: float = 0.0
    sentiment_n: int = 0
    reject_reasons: Counter = field(default_factory=Counter)

    @property
    def mean_sentiment(self) -> float | None:
        return self.sentiment_sum / self.sentiment_n if self.sentiment_n else None

    @property
    def docs_per_second(self) -> float:
        return self.scored / self.elapsed if self.elapsed else 0.0

    def observe(self, rows: list[dict[str, Any]]) -> None:
        """Count a batch of output rows."""
        self.scored += len(rows)
        for row in rows:
            self.truncated += bool(row["truncated"])
            if category := row.get("category"):
                self.categories[category] += 1
            if (score := row.get("sentiment_score")) is not None:
                self.sentiment_sum += score
                self.sentiment_n += 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON types, for `analyze --summary-json`."""
        return {
            "rows_in": self.rows_in, "scored": self.scored, "rejected": self.rejected,
            "reject_reasons": dict(self.reject_reasons.most_common()), "truncated": self.truncated,
            "conversations_grouped": self.conversations_grouped, "elapsed_s": round(self.elapsed, 3),
            "records_per_s": round(self.docs_per_second, 1), "categories": dict(self.categories.most_common()),
            "mean_sentiment": None if self.mean_sentiment is None else round(self.mean_sentiment, 4),
        }

    def merge(self, other: RunStats) -> None:
        """Add the counts of a batch observed elsewhere (in a worker process)."""
        self.scored += other.scored
        self.truncated += other.truncated
        self.categories.update(other.categories)
        self.sentiment_sum += other.sentiment_sum
        self.sentiment_n += other.sentiment_n


@dataclass
class BatchOptions:
    batch_size: int = 256
    workers: int = 1
    include_tokens: bool = False
    conversation_col: str | None = None
    speaker_col: str = "speaker"
    order_col: str | None = None


def _batches(items: Iterable[Record | Rejected], size: int) -> Iterator[tuple[list[Record], list[Rejected]]]:
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in items:
        (records if isinstance(item, Record) else rejected).append(item)
        if len(records) >= size:
            yield records, rejected
            records, rejected = [], []
    if records or rejected:
        yield records, rejected


@dataclass
class ScoredBatch:
    """A batch's output: its rows, or the sink's encoding of them; its counts; and for each record that could not
    be scored its position, code, reason and id."""

    rows: list[dict[str, Any]] | None
    encoded: Any
    stats: RunStats
    failures: list[tuple[int, str, str, str]]


Encoder = Callable[[list[dict[str, Any]]], Any]


def score_batch(nlp: Pipeline, items: list[Any], include_tokens: bool = False,
                encode: Encoder | None = None) -> ScoredBatch:
    """Analyse, turn into output rows and, given the sink's `encode`, into what the sink writes: the part of a run
    that worker processes do, so that the parent only reads and writes (with two workers it was the bottleneck
    while it also built and encoded the rows)."""
    rows, failures = [], []
    for position, doc in enumerate(nlp.analyze_batch(items)):
        if doc.error is not None:
            failures.append((position, doc.error_code or "error", doc.error, doc.id))
        else:
            rows.append(doc.to_dict(include_tokens=include_tokens))
    stats = RunStats()
    stats.observe(rows)
    if encode is None:
        return ScoredBatch(rows, None, stats, failures)
    return ScoredBatch(None, encode(rows) if rows else None, stats, failures)


def _score_in_worker(task: tuple[list[Any], bool, Encoder | None]) -> ScoredBatch:
    return score_batch(worker_pipeline(), *task)


def _analyze_serial(nlp: Pipeline, batches, include_tokens: bool, encoder: Callable[[], Encoder | None]):
    for records, rejected in batches:
        yield records, rejected, score_batch(nlp, [r.data for r in records], include_tokens, encoder())


def _analyze_parallel(nlp: Pipeline, batches, workers: int, include_tokens: bool,
                      encoder: Callable[[], Encoder | None], while_workers_start: Callable[[], None]):
    with WorkerPool(nlp, workers) as pool:
        sent: deque = deque()  # the batches the workers have, in order: their answers come back in this order

        def tasks():
            for number, (records, rejected) in enumerate(batches):
                if number == workers:
                    # Once every worker has a batch: done before the first one, it kept them waiting 0.06 s.
                    while_workers_start()
                sent.append((records, rejected))
                yield [r.data for r in records], include_tokens, encoder()

        for scored in pool.imap(_score_in_worker, tasks()):
            records, rejected = sent.popleft()
            yield records, rejected, scored


def analyze_file(
    nlp: Pipeline,
    reader: InputReader,
    output: str | Path,
    options: BatchOptions | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_batch: Callable[[list[dict[str, Any]]], None] | None = None,
) -> RunStats:
    """Score every record of `reader` into `output`; rows that cannot be scored go to `<output>.rejected.jsonl`."""
    options = options or BatchOptions()
    stats = RunStats(conversations_grouped=options.conversation_col is not None)
    started = time.perf_counter()
    items: Iterable[Record | Rejected] = reader
    if options.conversation_col:
        items = group_conversations(reader, options.conversation_col, options.speaker_col, options.order_col)

    def counted(source):
        for item in source:
            if isinstance(item, Rejected) or not stats.conversations_grouped:
                stats.rows_in += 1
            else:
                stats.rows_in += len(item.data.get("turns", []))
            yield item

    batches = _batches(counted(items), options.batch_size)
    with open_sink(output, leading_columns=["id"]) as sink, JsonlSink(rejected_path(output)) as rejects:

        def encoder() -> Encoder | None:
            # Rows for the first batches (they fix the sink's columns) and whenever a callback wants them.
            return None if on_batch is not None else sink.encoder()

        runner = (
            _analyze_parallel(nlp, batches, options.workers, options.include_tokens, encoder, sink.warm_up)
            if options.workers > 1
            else _analyze_serial(nlp, batches, options.include_tokens, encoder)
        )
        last_bytes = 0
        for records, rejected, scored in runner:
            reject_rows = [r.to_dict() for r in rejected]
            reject_rows += [Rejected(records[position].line, code, reason, doc_id).to_dict()
                            for position, code, reason, doc_id in scored.failures]
            stats.merge(scored.stats)
            for row in reject_rows:
                stats.reject_reasons[row["code"]] += 1
            stats.rejected += len(reject_rows)
            rejects.write(reject_rows)
            if scored.rows is not None:
                sink.write(scored.rows)
                if on_batch is not None and scored.rows:
                    on_batch(scored.rows)
            elif scored.encoded is not None:
                sink.write_encoded(scored.encoded, scored.stats.scored)
            if on_progress is not None:
                on_progress(reader.bytes_read - last_bytes)
                last_bytes = reader.bytes_read
    stats.elapsed = time.perf_counter() - started
    return stats
