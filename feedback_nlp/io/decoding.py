"""Byte lines to text: per-line encoding detection, so one file can mix UTF-8 and GBK lines, and junk is refused."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .. import errors

AUTO_ENCODINGS = ("utf-8", "gb18030")
# C0 controls other than tab/newline/carriage return, and DEL: text never has them, binary junk always does.
# (In UTF-8 and GB18030 these bytes never occur inside a multi-byte character, so they can be checked on the bytes.)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOM = codecs.BOM_UTF8
_ASCII_COMPATIBLE = {"utf-8", "gb18030", "gbk", "gb2312", "big5", "ascii", "latin-1", "iso8859-1", "cp1252", "big5hkscs"}


def check_encoding(name: str | None) -> str | None:
    if name is None or name.lower() == "auto":
        return None
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise errors.unknown_encoding(name) from exc


def _looks_binary(raw: bytes) -> bool:
    """NUL bytes, or control bytes making up more than 5% of the line: a stray control character inside real text
    (seen in scraped reviews) is cleaned by normalisation instead of costing the row."""
    if b"\x00" in raw:
        return True
    if not _CONTROL.search(raw):  # the usual case, without counting
        return False
    controls = len(_CONTROL.findall(raw))
    return controls > max(2, len(raw) // 20)


def decode_line(raw: bytes, encoding: str | None = None) -> str:
    """Decode one line; with no encoding, try UTF-8 (BOM or not) then GB18030, which covers GBK and GB2312."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    candidates = (encoding,) if encoding else AUTO_ENCODINGS
    if (encoding is None or codecs.lookup(encoding).name in _ASCII_COMPATIBLE) and _looks_binary(raw):
        raise errors.binary_junk()
    for name in candidates:
        try:
            return raw.decode(name).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
    raise errors.undecodable(list(candidates))


@dataclass
class Line:
    number: int  # 1-based physical line number
    text: str | None  # None when the line could not be read, then `error` says why
    error: errors.RecordError | None = None
    raw_preview: str = ""


def read_lines(stream: BinaryIO, encoding: str | None, max_line_bytes: int, progress=None) -> Iterator[Line]:
    """Yield decoded lines with their numbers. A line longer than `max_line_bytes` is refused, never buffered whole."""
    number = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if progress is not None:
            progress(len(raw))
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            skipped = len(raw)
            while raw and not raw.endswith(b"\n"):  # drain the rest of the oversized line
                raw = stream.readline(max_line_bytes)
                skipped += len(raw)
                if progress is not None:
                    progress(len(raw))
            yield Line(number, None, errors.RecordError(
                "line_too_long", f"the line is {skipped:,} bytes, over the {max_line_bytes:,}-byte limit"))
            continue
        raw = raw.rstrip(b"\r\n")
        try:
            yield Line(number, decode_line(raw, encoding))
        except errors.RecordError as exc:
            yield Line(number, None, exc, raw[:80].decode("utf-8", "replace"))


def decode_document(data: bytes, encoding: str | None) -> str:
    """Decode a whole document (a JSON file) with the same rules as a line."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16")
    candidates = (encoding,) if encoding else AUTO_ENCODINGS
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    for name in candidates:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    raise errors.InputError(f"The file is not valid text in any of: {', '.join(candidates)}. Set --encoding.")
