"""Output sinks for CSV, JSONL and Parquet, written atomically: a temporary file renamed into place at the end.

A run that is interrupted leaves no file at the output path (only a `.tmp` that is removed on error), so a file
that exists is always complete.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import orjson

from .. import errors

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
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


def json_line(row: dict[str, Any]) -> str:
    """One JSON Lines record: UTF-8 text kept readable, but never split by a Unicode line separator."""
    return dumps(row).translate(_LINE_BREAKERS) + "\n"


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

    @property
    def _known(self) -> frozenset[str]:
        assert self.columns is not None
        return frozenset(self.columns[:-1])

    def _split(self, row: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
        cells = {k: row.get(k) for k in self.columns[:-1]}
        cells["extra"] = self._extra(row, known)
        return cells

    @staticmethod
    def _extra(row: dict[str, Any], known: frozenset[str]) -> str | None:
        """Keys first seen after the columns were fixed, as one JSON object (None when there are none)."""
        if not row.keys() - known:
            return None
        return dumps({k: v for k, v in row.items() if k not in known})

    def write(self, rows: list[dict[str, Any]]) -> None:
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

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._handle.write("".join(map(json_line, rows)))
        self.count += len(rows)

    def close(self) -> None:
        self._handle.close()
        self.file.commit()

    def abort(self) -> None:
        self._handle.close()
        super().abort()


class CsvSink(RecordSink):
    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        super().__init__(path, leading_columns)
        # utf-8-sig so that Excel, which many quality teams open results in, shows the Chinese correctly.
        self._handle = open(self.file.tmp, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.columns is None:
            self.columns = self._fix_columns(rows)
            self._writer.writerow(self.columns)
        known = self._known
        for row in rows:
            cells = self._split(row, known)
            self._writer.writerow([_cell(cells[c]) for c in self.columns])
        self.count += len(rows)

    def close(self) -> None:
        if self.columns is None:
            self._writer.writerow(self.leading or ["id"])
        self._handle.close()
        self.file.commit()

    def abort(self) -> None:
        self._handle.close()
        super().abort()


class ParquetSink(RecordSink):
    """Nested fields (scores, turns, keywords) are stored as JSON strings, other input columns as strings."""

    NUMERIC = {
        "category_confidence", "sentiment_score", "sentiment_start", "sentiment_end", "sentiment_shift",
        "satisfaction", "resolution", "escalation_risk",
    }

    def __init__(self, path: str | Path, leading_columns: list[str] | None = None):
        super().__init__(path, leading_columns)
        self._writer = None
        self._schema = None

    def _arrow_schema(self):
        import pyarrow as pa

        fields = []
        for name in self.columns or []:
            if name in self.NUMERIC:
                fields.append(pa.field(name, pa.float64()))
            elif name == "truncated":
                fields.append(pa.field(name, pa.bool_()))
            else:
                fields.append(pa.field(name, pa.string()))
        return pa.schema(fields)

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not rows:
            return
        if self.columns is None:
            self.columns = self._fix_columns(rows)
            self._schema = self._arrow_schema()
            self._writer = pq.ParquetWriter(self.file.tmp, self._schema)
        known = self._known
        columns = {name: self._typed(name, [row.get(name) for row in rows]) for name in self.columns[:-1]}
        columns["extra"] = [self._extra(row, known) for row in rows]
        self._writer.write_table(pa.Table.from_pydict(columns, schema=self._schema))
        self.count += len(rows)

    def _typed(self, name: str, values: list[Any]) -> list[Any]:
        """One column, converted in a single pass to what its Arrow type takes."""
        if name in self.NUMERIC:
            return [None if v is None else float(v) for v in values]
        if name == "truncated":
            return [None if v is None else bool(v) for v in values]
        return [v if v is None or type(v) is str else dumps(v) if isinstance(v, NESTED_TYPES) else str(v)
                for v in values]

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self.columns = self.leading or ["id"]
            pq.write_table(pa.table({c: pa.array([], pa.string()) for c in self.columns}), self.file.tmp)
        else:
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
