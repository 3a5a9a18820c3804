"""Streaming input readers: CSV/TSV, JSON, JSONL, Parquet and plain text, one record at a time.

Every input record comes out either as a `Record` (to analyse) or as a `Rejected` entry with its line number and
reason, so `records + rejected == rows read` always holds and memory stays flat however large the file is.
"""

from __future__ import annotations

import csv
import json
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import errors
from .decoding import Line, check_encoding, decode_document, read_lines

# Lines are already bounded by ReaderOptions.max_line_bytes; the csv module's own 128 KiB cap would refuse a
# legitimate long transcript.
csv.field_size_limit(1 << 30)

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "txt",
    ".text": "txt",
}


@dataclass
class Record:
    line: int
    data: dict[str, Any]


@dataclass
class Rejected:
    line: int
    code: str
    reason: str
    id: str | None = None
    preview: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.id, "code": self.code, "reason": self.reason, "preview": self.preview}


@dataclass
class ReaderOptions:
    format: str | None = None
    encoding: str | None = None
    text_col: str = "text"
    id_col: str = "id"
    max_line_bytes: int = 16 * 1024 * 1024
    max_record_lines: int = 200  # a quoted CSV field may span lines, but not more than this
    txt_records: str = "lines"  # "lines": one text per line; "blocks": blank-line separated (transcripts)
    extra: dict[str, Any] = field(default_factory=dict)


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in set(FORMATS.values()):
            raise errors.unknown_format(path, explicit, sorted(set(FORMATS.values())))
        return explicit
    suffix = path.suffix.lower()
    if suffix == ".gz":
        raise errors.unknown_format(path, suffix, sorted(FORMATS))
    if suffix not in FORMATS:
        raise errors.unknown_format(path, suffix, sorted(FORMATS))
    return FORMATS[suffix]


class InputReader:
    """Iterate over `Record`/`Rejected` items of one input file. `bytes_read` feeds the progress bar."""

    def __init__(self, path: str | Path, options: ReaderOptions | None = None):
        self.path = Path(path)
        self.options = options or ReaderOptions()
        if not self.path.exists():
            raise errors.file_not_found(self.path)
        if not self.path.is_file():
            raise errors.file_unreadable(self.path, "not a regular file")
        self.format = detect_format(self.path, self.options.format)
        self.encoding = check_encoding(self.options.encoding)
        self.total_bytes = os.path.getsize(self.path)
        self.bytes_read = 0

    def _advance(self, n: int) -> None:
        self.bytes_read += n

    def __iter__(self) -> Iterator[Record | Rejected]:
        try:
            if self.format in ("csv", "tsv"):
                yield from self._delimited("," if self.format == "csv" else "\t")
            elif self.format == "jsonl":
                yield from self._jsonl()
            elif self.format == "json":
                yield from self._json()
            elif self.format == "parquet":
                yield from self._parquet()
            else:
                yield from self._txt()
        except OSError as exc:
            raise errors.file_unreadable(self.path, exc) from exc

    # --- records --------------------------------------------------------------------------------------------
    def _record(self, line: int, row: dict[str, Any], index: int) -> Record | Rejected:
        """Map the chosen id/text columns to `id`/`text`; every other column passes through."""
        opts = self.options
        data = {k: v for k, v in row.items() if k not in (opts.id_col, opts.text_col)}
        for reserved in ("id", "text"):
            if reserved in data and reserved not in (opts.id_col, opts.text_col):
                data[f"input_{reserved}"] = data.pop(reserved)
        record_id = row.get(opts.id_col)
        data["id"] = str(record_id) if record_id not in (None, "") else str(index)
        if "turns" in row and row["turns"] is not None:
            data["turns"] = row["turns"]
        elif opts.text_col in row:
            data["text"] = row[opts.text_col]
        else:
            return Rejected(line, "missing_text", errors.missing_text(opts.text_col).message, data["id"])
        return Record(line, data)

    # --- formats --------------------------------------------------------------------------------------------
    def _lines(self, stream) -> Iterator[Line]:
        return read_lines(stream, self.encoding, self.options.max_line_bytes, self._advance)

    def _delimited(self, delimiter: str) -> Iterator[Record | Rejected]:
        with open(self.path, "rb") as stream:
            lines = self._lines(stream)
            pending: deque[Line] = deque()

            def next_line() -> Line | None:
                if pending:
                    return pending.popleft()
                return next(lines, None)

            header = self._read_header(next_line, delimiter)
            index = 0
            while (first := next_line()) is not None:
                if first.text is None:
                    index += 1
                    yield Rejected(first.number, first.error.code, first.error.message, preview=first.raw_preview)
                    continue
                if not first.text.strip():
                    continue  # blank lines are not rows
                index += 1
                group = [first]
                quotes = first.text.count('"')  # odd: a quoted field goes on to the next line
                while quotes % 2 and len(group) < self.options.max_record_lines:
                    following = next_line()
                    if following is None:
                        break
                    if following.text is None:  # an unreadable line ends the record
                        pending.appendleft(following)
                        break
                    group.append(following)
                    quotes += following.text.count('"')
                if quotes % 2:
                    pending.extendleft(reversed(group[1:]))
                    err = errors.unterminated_quote(self.options.max_record_lines)
                    yield Rejected(first.number, err.code, err.message, preview=first.text[:80])
                    continue
                try:
                    row = _parse_row("\n".join(line.text for line in group) if len(group) > 1 else first.text, delimiter)
                except csv.Error as exc:
                    yield Rejected(first.number, "malformed_row", f"CSV error: {exc}", preview=first.text[:80])
                    continue
                if len(row) != len(header):
                    if len(group) > 1:  # a stray quote glued lines together: refuse the first, retry the rest
                        pending.extendleft(reversed(group[1:]))
                        row = _parse_row(first.text, delimiter)
                    err = errors.malformed_csv_row(len(header), len(row))
                    yield Rejected(first.number, err.code, err.message, preview=first.text[:80])
                    continue
                yield self._record(first.number, dict(zip(header, row, strict=True)), index)

    def _read_header(self, next_line, delimiter: str) -> list[str]:
        while (line := next_line()) is not None:
            if line.text is None:
                raise errors.InputError(f"The header line of {self.path} is not readable: {line.error.message}")
            if line.text.strip():
                header = [h.strip() for h in next(csv.reader([line.text], delimiter=delimiter))]
                self._check_columns(header)
                return header
        raise errors.InputError(f"{self.path} is empty: no header line.")

    def _check_columns(self, columns: list[str]) -> None:
        if self.options.text_col not in columns and "turns" not in columns:
            raise errors.missing_column(self.options.text_col, "--text-col", columns)

    def _jsonl(self) -> Iterator[Record | Rejected]:
        with open(self.path, "rb") as stream:
            index = 0
            for line in self._lines(stream):
                if line.text is not None and not line.text.strip():
                    continue
                index += 1
                if line.text is None:
                    yield Rejected(line.number, line.error.code, line.error.message, preview=line.raw_preview)
                    continue
                try:
                    value = json.loads(line.text)
                except json.JSONDecodeError as exc:
                    err = errors.invalid_json_line(exc.msg)
                    yield Rejected(line.number, err.code, err.message, preview=line.text[:80])
                    continue
                yield self._from_value(value, line.number, index)

    def _from_value(self, value: Any, line: int, index: int) -> Record | Rejected:
        if isinstance(value, str):
            value = {self.options.text_col: value}
        if not isinstance(value, dict):
            err = errors.not_a_record(type(value).__name__)
            return Rejected(line, err.code, err.message, preview=str(value)[:80])
        return self._record(line, value, index)

    def _json(self) -> Iterator[Record | Rejected]:
        data = self.path.read_bytes()
        self._advance(len(data))
        try:
            value = json.loads(decode_document(data, self.encoding))
        except json.JSONDecodeError as exc:
            raise errors.bad_json_document(self.path, exc) from exc
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items, start=1):
            yield self._from_value(item, index, index)

    def _parquet(self) -> Iterator[Record | Rejected]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
            raise errors.file_unreadable(self.path, exc) from exc
        self._check_columns(parquet.schema_arrow.names)
        index = 0
        per_row = self.total_bytes / max(parquet.metadata.num_rows, 1)
        for batch in parquet.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                index += 1
                self._advance(int(per_row))
                yield self._record(index, row, index)

    def _txt(self) -> Iterator[Record | Rejected]:
        with open(self.path, "rb") as stream:
            if self.options.txt_records == "blocks":
                yield from self._txt_blocks(stream)
                return
            for index, line in enumerate(self._lines(stream), start=1):
                if line.text is None:
                    yield Rejected(line.number, line.error.code, line.error.message, preview=line.raw_preview)
                else:
                    yield self._record(line.number, {self.options.text_col: line.text}, index)

    def _txt_blocks(self, stream) -> Iterator[Record | Rejected]:
        """Blank-line separated blocks, each one contact (a transcript written `角色：内容` per line)."""
        block: list[Line] = []
        index = 0
        for line in [*self._lines(stream), Line(-1, "")]:
            if line.text is None:
                index += 1
                yield Rejected(line.number, line.error.code, line.error.message, preview=line.raw_preview)
            elif line.text.strip():
                block.append(line)
            elif block:
                index += 1
                text = "\n".join(b.text for b in block)
                yield self._record(block[0].number, {self.options.text_col: text}, index)
                block = []


def _parse_row(text: str, delimiter: str) -> list[str]:
    if text and '"' not in text and "\r" not in text:  # nothing for the csv module to interpret
        return text.split(delimiter)
    return next(csv.reader([text], delimiter=delimiter), [])
