"""Arrow columns assembled from buffers that numpy fills, for the Parquet sink.

Not `pyarrow.array(values)`: its first conversion from Python values imports pandas (0.25 s of every run's
start-up; pyarrow has no switch to skip it). Filling the buffers needs only numpy, so worker processes encode their
batches without importing pyarrow at all, and the parent wraps the buffers into arrays without copying them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class EncodedColumn:
    """One column's Arrow buffers. `validity` holds a bit per value, least significant bit first, 1 where the
    value is present; it is None when no value is missing. `data` is the float64 values, the bit-packed booleans, or
    for strings the UTF-8 bytes of all values one after the other, which `offsets` (n + 1 of them) delimit."""

    kind: str
    length: int
    null_count: int
    validity: np.ndarray | None
    data: np.ndarray | bytes
    offsets: np.ndarray | None = None


def _validity(values: Sequence[Any]) -> tuple[np.ndarray | None, int]:
    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    null_count = len(values) - int(np.count_nonzero(present))
    if null_count == 0:
        return None, 0
    return np.packbits(present, bitorder="little"), null_count


def float_column(values: Sequence[Any]) -> EncodedColumn:
    validity, null_count = _validity(values)
    data = np.fromiter((0.0 if v is None else v for v in values), dtype=np.float64, count=len(values))
    return EncodedColumn("float64", len(values), null_count, validity, data)


def bool_column(values: Sequence[Any]) -> EncodedColumn:
    validity, null_count = _validity(values)
    bits = np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))
    return EncodedColumn("bool", len(values), null_count, validity, np.packbits(bits, bitorder="little"))


def string_column(values: Sequence[str | None]) -> EncodedColumn:
    validity, null_count = _validity(values)
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    if offsets[-1] >= 2**31:  # Arrow's `string` type has 32-bit offsets; a batch never comes near 2 GB of text
        raise ValueError("a batch's text column exceeds 2 GB")
    return EncodedColumn("string", len(values), null_count, validity, b"".join(encoded), offsets.astype(np.int32))


def to_arrow(column: EncodedColumn):
    """The `pyarrow.Array` over the column's buffers (no copy)."""
    import pyarrow as pa

    validity = None if column.validity is None else pa.py_buffer(column.validity)
    arrow_type = {"float64": pa.float64(), "bool": pa.bool_(), "string": pa.string()}[column.kind]
    buffers = [validity, pa.py_buffer(column.data)]
    if column.offsets is not None:
        buffers.insert(1, pa.py_buffer(column.offsets))
    return pa.Array.from_buffers(arrow_type, column.length, buffers, null_count=column.null_count)
