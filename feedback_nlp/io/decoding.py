"""Byte lines to text: per-line encoding detection, so one file can mix UTF-8 and GBK lines, and junk is refused."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .. import errors

AUTO_ENCODINGS = ("utf-8", "gb18030")
# C0 controls other than tab/newline/carriage return, and DEL: text never has them, binary junk always does.
# (In UTF-8 and GB18030 these bytes never occur inside a multi-byte character, so they can be checked on the bytes.)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # the same characters in decoded UTF-8
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


_BLOCK_BYTES = 1 << 20


def read_lines(stream: BinaryIO, encoding: str | None, max_line_bytes: int, progress=None,
               block_bytes: int = _BLOCK_BYTES) -> Iterator[Line]:
    """Yield decoded lines with their numbers. A line longer than `max_line_bytes` is refused, never buffered whole.

    The file is read in blocks of whole lines. A block that is valid UTF-8 with no overlong line, the usual case,
    is decoded in one call, and only its lines with control characters go through `decode_line`'s binary check;
    any other block goes line by line, so one file can still mix UTF-8 and GBK lines."""
    number = 0
    for block in _line_blocks(stream, max_line_bytes, block_bytes):
        if progress is not None:
            progress(block if isinstance(block, int) else len(block))
        if isinstance(block, int):  # one overlong line, already drained
            number += 1
            yield _too_long(number, block, max_line_bytes)
            continue
        texts = _utf8_lines(block, encoding, max_line_bytes)
        if texts is not None:
            checked = _CONTROL.search(block) is not None
            for text in texts:
                number += 1
                if checked and _CONTROL_TEXT.search(text):
                    yield _decoded(number, text.rstrip("\r").encode("utf-8"), encoding)
                else:
                    yield Line(number, text.rstrip("\r").lstrip("\ufeff"))
            continue
        for raw in io.BytesIO(block):  # each line with its newline (the file's last may have none)
            number += 1
            line = raw.rstrip(b"\n")
            if len(line) > max_line_bytes:
                yield _too_long(number, len(raw), max_line_bytes)
            else:
                yield _decoded(number, line.rstrip(b"\r"), encoding)


def _decoded(number: int, raw: bytes, encoding: str | None) -> Line:
    try:
        return Line(number, decode_line(raw, encoding))
    except errors.RecordError as exc:
        return Line(number, None, exc, raw[:80].decode("utf-8", "replace"))


def _utf8_lines(block: bytes, encoding: str | None, max_line_bytes: int) -> list[str] | None:
    """The block's lines decoded in one call, or None when it is not UTF-8 or has a line over the limit."""
    if encoding not in (None, "utf-8"):
        return None
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(block) > max_line_bytes and max(len(line.encode("utf-8")) for line in lines) > max_line_bytes:
        return None
    return lines


def _too_long(number: int, size: int, max_line_bytes: int) -> Line:
    return Line(number, None, errors.RecordError(
        "line_too_long", f"the line is {size:,} bytes, over the {max_line_bytes:,}-byte limit"))


def _line_blocks(stream: BinaryIO, max_line_bytes: int, block_bytes: int) -> Iterator[bytes | int]:
    """The stream in blocks of whole lines (the last may lack its newline). A line that is still going after
    `max_line_bytes` comes as its size in bytes, read through without being kept."""
    tail = b""
    while chunk := stream.read(block_bytes):
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
            data = data[cut:]
        if len(data) > max_line_bytes:  # a line without its end in sight: drain it
            size = len(data)
            while chunk := stream.read(block_bytes):
                end = chunk.find(b"\n")
                if end >= 0:
                    size += end + 1
                    data = chunk[end + 1:]
                    break
                size += len(chunk)
            else:
                data = b""
            yield size
        tail = data
    if tail:
        yield tail


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
