"""Transcript parsing: every accepted input shape becomes an `Analysis` with speaker-normalised turns.

Accepted shapes:
- a plain string, or a record with a text field: one customer turn, unless the text is written one turn per line
  as `角色：内容` (客户/用户/… → customer, 坐席/客服/… → agent), in which case it is a transcript;
- a record with `turns`: `[{"speaker": ..., "text": ..., "start": s?, "end": s?}]` (also `role`/`sender` for the
  speaker and `content`/`utterances` for the text, as in the STC-3 export).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import errors
from .schema import AGENT, CUSTOMER, Analysis, Turn, utf8_safe

DEFAULT_SPEAKERS: dict[str, str] = {
    **dict.fromkeys(
        ["customer", "user", "client", "caller", "客户", "用户", "顾客", "来电人", "来电者", "客人", "买家", "消费者",
         "持卡人", "c", "cust"],
        CUSTOMER,
    ),
    **dict.fromkeys(
        ["agent", "helpdesk", "service", "staff", "operator", "csr", "bot", "坐席", "客服", "员工", "专员", "话务员",
         "工作人员", "机器人", "小助手", "a", "h"],
        AGENT,
    ),
}

_SPEAKER_KEYS = ("speaker", "role", "sender", "who")
_TEXT_KEYS = ("text", "content", "utterance", "utterances")


class TranscriptParser:
    """Turns a raw record into an `Analysis` (the pipeline's first step, like spaCy's tokenizer)."""

    def __init__(
        self,
        text_field: str = "text",
        id_field: str = "id",
        max_chars: int = 20_000,
        speaker_map: Mapping[str, str] | None = None,
    ):
        self.text_field = text_field
        self.id_field = id_field
        self.max_chars = max_chars
        self.speakers = {**DEFAULT_SPEAKERS, **{k.lower(): v for k, v in (speaker_map or {}).items()}}
        names = sorted(self.speakers, key=len, reverse=True)
        alternatives = "|".join(re.escape(n) for n in names if not n.isascii() or len(n) > 1)
        self._line_role = re.compile(rf"^\s*(?:\[[^\]]*\]\s*)?({alternatives})\s*[:：]\s*(.*)$", re.IGNORECASE)

    # --- public ---------------------------------------------------------------------------------------------
    def __call__(self, record: Any, default_id: str = "") -> Analysis:
        if isinstance(record, str):
            record = {self.text_field: record}
        if not isinstance(record, Mapping):
            raise errors.not_a_record(type(record).__name__)
        record_id = record.get(self.id_field)
        doc_id = default_id if record_id is None or record_id == "" else utf8_safe(str(record_id))
        # Passed through to the output as they are, so made writable here (the text is normalised later).
        meta = {k: utf8_safe(v) for k, v in record.items() if k not in (self.id_field, self.text_field, "turns")}

        if record.get("turns") is not None:
            turns = self._parse_turn_list(record["turns"])
            doc = Analysis(id=doc_id, turns=turns, meta=meta, is_transcript=True)
        else:
            text = record.get(self.text_field)
            if text is None:
                raise errors.missing_text(self.text_field)
            text = text if isinstance(text, str) else str(text)
            turns = self._parse_turn_lines(text)
            if turns is not None:
                doc = Analysis(id=doc_id, turns=turns, meta=meta, is_transcript=True)
            else:
                doc = Analysis(id=doc_id, turns=[Turn(CUSTOMER, text)], meta=meta)
        if not any(t.text.strip() for t in doc.turns):
            raise errors.empty_text()
        self._truncate(doc)
        return doc

    def speaker(self, name: Any) -> str:
        key = str(name).strip().lower()
        if key not in self.speakers:
            raise errors.bad_turns(
                f"unknown speaker {name!r}; use customer/agent or a name in the pipeline's speaker_map"
            )
        return self.speakers[key]

    # --- shapes ---------------------------------------------------------------------------------------------
    def _parse_turn_list(self, raw_turns: Any) -> list[Turn]:
        if not isinstance(raw_turns, list) or not raw_turns:
            raise errors.bad_turns("'turns' must be a non-empty list")
        turns = []
        for i, raw in enumerate(raw_turns):
            if not isinstance(raw, Mapping):
                raise errors.bad_turns(f"turn {i} is not an object")
            speaker = next((raw[k] for k in _SPEAKER_KEYS if raw.get(k) is not None), None)
            if speaker is None:
                raise errors.bad_turns(f"turn {i} has no speaker")
            text = next((raw[k] for k in _TEXT_KEYS if raw.get(k) is not None), "")
            if isinstance(text, list):  # STC-3: several utterances in one turn
                text = " ".join(str(u) for u in text if u)
            turns.append(
                Turn(self.speaker(speaker), str(text), _seconds(raw.get("start")), _seconds(raw.get("end")))
            )
        return turns

    def _parse_turn_lines(self, text: str) -> list[Turn] | None:
        """`客户：…` lines; None when the text is not written that way (then it is one customer turn)."""
        if "\n" not in text:
            return None
        turns: list[Turn] = []
        for line in text.splitlines():
            match = self._line_role.match(line)
            if match:
                turns.append(Turn(self.speakers[match.group(1).lower()], match.group(2)))
            elif turns and line.strip():
                turns[-1].text += " " + line.strip()
            elif line.strip():
                return None  # text before any speaker label: a plain multi-line text
        return turns if len(turns) >= 2 else None

    def _truncate(self, doc: Analysis) -> None:
        budget = self.max_chars
        kept = []
        for turn in doc.turns:
            if budget <= 0:
                doc.truncated = True
                break
            if len(turn.text) > budget:
                turn.text = turn.text[:budget]
                doc.truncated = True
            budget -= len(turn.text)
            kept.append(turn)
        doc.turns = kept

    def pipe(self, records: Iterable[Any]) -> list[Analysis]:
        return [self(r) for r in records]


def _seconds(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
