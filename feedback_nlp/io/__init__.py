"""Reading inputs and writing results: streaming, encoding-tolerant, atomic."""

from .grouping import group_conversations
from .readers import InputReader, ReaderOptions, Record, Rejected, detect_format
from .writers import JsonlSink, open_sink, rejected_path

__all__ = [
    "InputReader", "JsonlSink", "ReaderOptions", "Record", "Rejected", "detect_format", "group_conversations",
    "open_sink", "rejected_path",
]
