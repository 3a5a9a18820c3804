"""The analysis record: what flows through the pipeline and what every interface returns.

`Analysis` plays the role of spaCy's `Doc`: the transcript parser fills `turns`, later components add their
annotations, and `to_dict()` produces the documented output schema. A field whose component is not in the
pipeline stays `None` and is left out of the output, so nothing pretends to have been scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CUSTOMER = "customer"
AGENT = "agent"

SCHEMA_VERSION = 1

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(value: Any) -> Any:
    """`value` with lone surrogates replaced by U+FFFD, in strings nested in lists and dicts too. JSON can escape
    half of a UTF-16 pair (`"\\ud800"`), and Python strings can hold it, but UTF-8 cannot: an id or a metadata
    field holding one made every output (files, the store, the service's answer) fail."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {utf8_safe(k): utf8_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [utf8_safe(v) for v in value]
    return value


# Output fields in their documented order (README "Output schema").
OUTPUT_FIELDS = (
    "id",
    "text_masked",
    "tokens",
    "category",
    "category_confidence",
    "category_scores",
    "category_rule",
    "category_explanation",
    "sentiment_score",
    "sentiment_label",
    "sentiment_start",
    "sentiment_end",
    "sentiment_shift",
    "emotion",
    "emotion_scores",
    "satisfaction",
    "satisfaction_dist",
    "resolution",
    "resolution_dist",
    "escalation_risk",
    "escalation_cues",
    "keywords",
    "turns",
    "truncated",
    "error",
)
TURN_FIELDS = ("speaker", "text_masked", "start", "end", "sentiment_score", "sentiment_label", "emotion")


@dataclass
class Turn:
    speaker: str  # "customer" or "agent"
    text: str  # as received
    start: float | None = None
    end: float | None = None
    text_norm: str = ""  # normalised, PII masked: what the models read
    tokens: list[str] | None = None
    sentiment_score: float | None = None
    sentiment_label: str | None = None
    emotion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"speaker": self.speaker, "text_masked": self.text_norm}
        for name in ("start", "end", "sentiment_score", "sentiment_label", "emotion"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass
class Analysis:
    """One contact: a plain text (a single customer turn) or a transcript."""

    id: str
    turns: list[Turn] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # every other input column, passed through
    is_transcript: bool = False
    truncated: bool = False
    error: str | None = None
    error_code: str | None = None

    tokens: list[str] | None = None
    category: str | None = None
    category_confidence: float | None = None
    category_scores: dict[str, float] | None = None
    category_rule: str | None = None
    category_explanation: list[dict[str, Any]] | None = None
    sentiment_score: float | None = None
    sentiment_label: str | None = None
    sentiment_start: float | None = None
    sentiment_end: float | None = None
    sentiment_shift: float | None = None
    emotion: str | None = None
    emotion_scores: dict[str, float] | None = None
    satisfaction: float | None = None
    satisfaction_dist: list[float] | None = None
    resolution: float | None = None
    resolution_dist: list[float] | None = None
    escalation_risk: float | None = None
    escalation_cues: list[str] | None = None
    keywords: list[str] | None = None

    # --- views the components share -------------------------------------------------------------------------
    # A plain text is one customer turn, so its views are that turn's own values (no copies: read-only).
    @property
    def customer_turns(self) -> list[Turn]:
        if not self.is_transcript:
            return self.turns
        return [t for t in self.turns if t.speaker == CUSTOMER]

    @property
    def text_masked(self) -> str:
        if not self.is_transcript:
            return self.turns[0].text_norm if self.turns else ""
        return "\n".join(f"{t.speaker}: {t.text_norm}" for t in self.turns)

    @property
    def customer_text(self) -> str:
        """The customer's side, which the category and sentiment of a contact are judged from."""
        if not self.is_transcript:
            return self.turns[0].text_norm if self.turns else ""
        parts = [t.text_norm for t in self.customer_turns if t.text_norm]
        return "\n".join(parts) if parts else "\n".join(t.text_norm for t in self.turns)

    @property
    def customer_tokens(self) -> list[str]:
        if not self.is_transcript:
            return (self.turns[0].tokens or []) if self.turns else []
        turns = self.customer_turns or self.turns
        return [tok for t in turns for tok in (t.tokens or [])]

    def to_dict(self, include_tokens: bool = False) -> dict[str, Any]:
        # An input column that shares a name with an output field (say a gold `category`) is kept as `input_<name>`.
        out: dict[str, Any] = {"id": self.id}
        if self.meta:
            out.update((f"input_{key}" if key in _OUTPUT_NAMES else key, value) for key, value in self.meta.items())
        out["text_masked"] = self.text_masked
        attrs = self.__dict__
        if include_tokens and self.tokens is not None:
            out["tokens"] = self.tokens
        out.update((name, attrs[name]) for name in _ANNOTATIONS if attrs[name] is not None)
        if self.is_transcript:
            out["turns"] = [t.to_dict() for t in self.turns]
        out["truncated"] = self.truncated
        out["error"] = self.error
        return out


_OUTPUT_NAMES = frozenset(OUTPUT_FIELDS)
# The annotation fields between `tokens` and `turns`, in output order.
_ANNOTATIONS = OUTPUT_FIELDS[OUTPUT_FIELDS.index("tokens") + 1 : OUTPUT_FIELDS.index("turns")]
