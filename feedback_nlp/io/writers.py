"""Output sinks for CSV, JSONL and Parquet, written atomically: a temporary file renamed into place at the end.

A run that is interrupted leaves no file at the output path (only a `.tmp` that is removed on error), so a file
that exists is always complete.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from .. import errors
from ..schema import utf8_safe
from .arrow import EncodedColumn, bool_column, float_column, string_column, to_arrow

OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
NESTED_TYPES = (list, dict, tuple)


# Characters that JSON allows raw but that many line-based tools treat as line breaks.
_LINE_BREAKERS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> str:
    """Compact JSON with UTF-8 text kept readable. orjson, because encoding the nested fields of every output row
    with the standard library was a fifth of a batch run's time. What orjson refuses (integers beyond 64 bits in
    pass-through metadata) goes through the standard library instead."""
    try:
        return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()
    except TypeError:  # also a lone surrogate, which orjson refuses and UTF-8 cannot hold
        return json.dumps(utf8_safe(value), ensure_ascii=False, default=str)


def json_line(row: dict[str, Any]) -> str:
    """One JSON Lines record: UTF-8 text kept readable, but never split by a Unicode line separator."""
    text = dumps(row)
    # str.translate looks up every character in a dict (~120 us for a typical row, a fifth of its analysis);
    # the separators are rare, and `in` finds out in well under a microsecond.
    if "\u2028" in text or "\u2029" in text or "\u0085" in text:
        text = text.translate(_LINE_BREAKERS)
    return text + "\n"


def json_lines(rows: list[dict[str, Any]]) -> str:
    return "".join(map(json_line, rows))


def output_format(path: Path) -> str:
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise errors.unsupported_output(path, sorted(OUTPUT_FORMATS))
    return fmt


class AtomicFile:
    """Write to `<path>.tmp-<pid>`, rename to `path` on `commit()`, delete the temporary file on `abort()`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.tmp.unlink(missing_ok=True)


def _cell(value: Any) -> Any:
    if isinstance(value, NESTED_TYPES):
        return dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _extra(row: dict[str, Any], known: frozenset[str]) -> str | None:
    """Keys first seen after the columns were fixed, as one JSON object (None when there are none)."""
    if not row.keys() - known:
        return None
    return dumps({k: v for k, v in row.items() if k not in known})


class RecordSink:
    """Base: fixes the column list on the first batch; keys first seen later go into an `extra` JSON column."""

    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        self.file = AtomicFile(Path(path))
        self.leading = list(leading_columns or [])
        self.columns: list[str] | None = None
        self.count = 0

    def _fix_columns(self, rows: list[dict[str, Any]]) -> list[str]:
        seen = dict.fromkeys(self.leading)
        for row in rows:
            seen.update(dict.fromkeys(row))
        return [*seen, "extra"]

    def encoder(self) -> Callable[[list[dict[str, Any]]], Any] | None:
        """A pure function from output rows to what `write_encoded` takes, picklable so that worker processes can
        run it (the parent then only writes), or None while the sink still needs rows (its columns are not fixed)."""
        return None

    def warm_up(self) -> None:
        """Import what writing needs. A run with workers calls it once each worker has a batch, so that it happens
        while they score their first batches instead of holding them back (a run with fewer batches than workers
        leaves the import to its first write)."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.columns is None:
            self._start(rows)
        encode = self.encoder()
        assert encode is not None
        self.write_encoded(encode(rows), len(rows))

    def _start(self, rows: list[dict[str, Any]]) -> None:
        """Fix the columns from the first batch and write whatever header the format has."""
        self.columns = self._fix_columns(rows)

    def write_encoded(self, encoded: Any, n_rows: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        self.file.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


class JsonlSink(RecordSink):
    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        super().__init__(path, leading_columns)
        self._handle = open(self.file.tmp, "w", encoding="utf-8")

    def encoder(self) -> Callable[[list[dict[str, Any]]], str]:
        return json_lines

    def _start(self, rows: list[dict[str, Any]]) -> None:
        self.columns = []  # JSON Lines has no fixed columns

    def write_encoded(self, encoded: str, n_rows: int) -> None:
        self._handle.write(encoded)
        self.count += n_rows

    def close(self) -> None:
        self._handle.close()
        self.file.commit()

    def abort(self) -> None:
        self._handle.close()
        super().abort()


def _csv_cells(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> list[list[Any]]:
    known = frozenset(columns[:-1])
    return [[*(_cell(row.get(c)) for c in columns[:-1]), _extra(row, known)] for row in rows]


class CsvSink(RecordSink):
    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        super().__init__(path, leading_columns)
        # utf-8-sig so that Excel, which many quality teams open results in, shows the Chinese correctly.
        self._handle = open(self.file.tmp, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)

    def _start(self, rows: list[dict[str, Any]]) -> None:
        super()._start(rows)
        self._writer.writerow(self.columns)

    def encoder(self) -> Callable[[list[dict[str, Any]]], list[list[Any]]] | None:
        return None if self.columns is None else partial(_csv_cells, tuple(self.columns))

    def write_encoded(self, encoded: list[list[Any]], n_rows: int) -> None:
        self._writer.writerows(encoded)
        self.count += n_rows

    def close(self) -> None:
        if self.columns is None:
            self._writer.writerow(self.leading or ["id"])
        self._handle.close()
        self.file.commit()

    def abort(self) -> None:
        self._handle.close()
        super().abort()


_NUMERIC = frozenset({
    "category_confidence", "sentiment_score", "sentiment_start", "sentiment_end", "sentiment_shift",
    "satisfaction", "resolution", "escalation_risk",
})


_DISTINCT_PER_ROW = frozenset({
    "id", "text", "text_masked", "tokens", "keywords", "category_scores", "category_explanation",
    "emotion_scores", "satisfaction_dist", "resolution_dist", "turns", "extra",
})


def _parquet_column(name: str, values: list[Any]) -> EncodedColumn:
    """One column's Arrow buffers, of the type the Parquet schema gives it."""
    if name in _NUMERIC:
        return float_column(values)
    if name == "truncated":
        return bool_column(values)
    return string_column([v if v is None or type(v) is str else dumps(v) if isinstance(v, NESTED_TYPES) else str(v)
                          for v in values])


def _parquet_columns(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> list[EncodedColumn]:
    known = frozenset(columns[:-1])
    encoded = [_parquet_column(name, [row.get(name) for row in rows]) for name in columns[:-1]]
    encoded.append(string_column([_extra(row, known) for row in rows]))
    return encoded


class ParquetSink(RecordSink):
    """Nested fields (scores, turns, keywords) are stored as JSON strings, other input columns as strings.

    Batches are gathered into row groups of at least `row_group_rows` rows or `row_group_bytes` of Arrow data,
    whichever comes first: a row group per 256-row batch made the file ~15% larger and cost the writing process
    ~0.3 s per 50,000 rows (the parent's, in a run with workers). The byte limit is about what 8,192 review rows
    hold; transcripts hold 2-3 KB a row, and 5,000 of them written as one row group at the end of a run kept the
    run going 0.09 s after its workers had finished."""

    row_group_rows = 8192
    row_group_bytes = 4 << 20

    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        super().__init__(path, leading_columns)
        self._writer = None
        self._schema = None
        self._pending: list[Any] = []  # Arrow tables not written yet
        self._pending_rows = self._pending_bytes = 0

    def _arrow_schema(self):
        import pyarrow as pa

        fields = []
        for name in self.columns or []:
            if name in _NUMERIC:
                fields.append(pa.field(name, pa.float64()))
            elif name == "truncated":
                fields.append(pa.field(name, pa.bool_()))
            else:
                fields.append(pa.field(name, pa.string()))
        return pa.schema(fields)

    def _start(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow.parquet as pq

        super()._start(rows)
        self._schema = self._arrow_schema()
        # Dictionary pages pay only for columns with few distinct values (labels, pass-through metadata such as
        # channel or agent); on per-row text and score columns Parquet builds the dictionary, finds it too big and
        # falls back, which cost a quarter of the writing time and made the file larger.
        dictionary_columns = [name for name in self._schema.names
                              if name not in _NUMERIC and name not in _DISTINCT_PER_ROW and name != "truncated"]
        self._writer = pq.ParquetWriter(self.file.tmp, self._schema, use_dictionary=dictionary_columns)

    def encoder(self) -> Callable[[list[dict[str, Any]]], list[EncodedColumn]] | None:
        return None if self.columns is None else partial(_parquet_columns, tuple(self.columns))

    def warm_up(self) -> None:
        import pyarrow.parquet  # noqa: F401

    def write_encoded(self, encoded: list[EncodedColumn], n_rows: int) -> None:
        import pyarrow as pa

        table = pa.Table.from_arrays([to_arrow(column) for column in encoded], schema=self._schema)
        self._pending.append(table)
        self._pending_rows += n_rows
        self._pending_bytes += table.nbytes
        self.count += n_rows
        if self._pending_rows >= self.row_group_rows or self._pending_bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending))
            self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self.columns = self.leading or ["id"]
            empty = pa.schema([pa.field(name, pa.string()) for name in self.columns]).empty_table()
            pq.write_table(empty, self.file.tmp)
        else:
            self._flush()
            self._writer.close()
        self.file.commit()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        super().abort()


def open_sink(path: str | Path, leading_columns: list[str] | None = None) -> RecordSink:
    path = Path(path)
    fmt = output_format(path)
    sink_class = {"csv": CsvSink, "jsonl": JsonlSink, "parquet": ParquetSink}[fmt]
    return sink_class(path, leading_columns)


def rejected_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".rejected.jsonl")
