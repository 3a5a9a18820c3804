"""Long transcript tables: one utterance per row, grouped into conversations by a conversation column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .. import errors
from .readers import Record, Rejected


def group_conversations(
    items: Iterable[Record | Rejected],
    conversation_col: str,
    speaker_col: str = "speaker",
    order_col: str | None = None,
) -> Iterator[Record | Rejected]:
    """Collect utterance rows into one transcript record per conversation, ordered by `order_col` (or file order).

    Conversations are held in memory until the end of the file, so the rows of one conversation need not be
    adjacent; this is the one reader mode whose memory grows with the input.
    """
    conversations: dict[str, list[tuple[Any, int, dict[str, Any]]]] = {}
    first_line: dict[str, int] = {}
    position = 0
    for item in items:
        if isinstance(item, Rejected):
            yield item
            continue
        row = item.data
        conversation = row.get(conversation_col)
        if conversation in (None, ""):
            yield Rejected(item.line, "missing_conversation", f"the row has no {conversation_col!r} value")
            continue
        if row.get(speaker_col) in (None, ""):
            yield Rejected(item.line, "invalid_turns", f"the row has no {speaker_col!r} value")
            continue
        position += 1
        key = str(conversation)
        conversations.setdefault(key, []).append((row.get(order_col) if order_col else None, position, row))
        first_line.setdefault(key, item.line)

    for key, rows in conversations.items():
        rows.sort(key=_order_key)
        turns, meta = [], {}
        for _, _, row in rows:
            turn = {"speaker": row[speaker_col], "text": row.get("text", "")}
            for time_field in ("start", "end"):
                if row.get(time_field) not in (None, ""):
                    turn[time_field] = row[time_field]
            turns.append(turn)
            for name, value in row.items():
                if name not in (speaker_col, "text", "id", order_col, conversation_col, "start", "end"):
                    meta.setdefault(name, value)
        yield Record(first_line[key], {**meta, "id": key, "turns": turns})


def _order_key(entry: tuple[Any, int, dict[str, Any]]) -> tuple:
    order, position, _ = entry
    if order in (None, ""):
        return (1, 0.0, "", position)
    try:
        return (0, float(order), "", position)
    except (TypeError, ValueError):
        return (0, 0.0, str(order), position)  # ISO timestamps sort as strings


def check_group_columns(columns: list[str], conversation_col: str, speaker_col: str) -> None:
    for column, option in ((conversation_col, "--conversation-col"), (speaker_col, "--speaker-col")):
        if column not in columns:
            raise errors.missing_column(column, option, columns)
