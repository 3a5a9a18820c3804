"""Sentiment for the whole contact and for every customer turn, with the mood's start, end and shift.

The model gives P(negative), P(neutral), P(positive); the score is P(positive) - P(negative) in [-1, 1] and the
label comes from a neutral band on that score whose edges were fitted on held-out labelled customer turns
(stored in the model's model.json as `neutral_band`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .component import ModelComponent
from .registry import register
from .schema import Analysis

DEFAULT_BAND = (-0.2, 0.2)


def sentiment_scores(labels: list[str], proba: np.ndarray) -> np.ndarray:
    """P(positive) - P(negative) for each row."""
    positive = proba[:, labels.index("positive")]
    negative = proba[:, labels.index("negative")]
    return positive - negative


def band_labels(scores: np.ndarray, band: tuple[float, float]) -> list[str]:
    low, high = band
    return ["negative" if s < low else "positive" if s > high else "neutral" for s in scores]


@register("sentiment")
class SentimentScorer(ModelComponent):
    def __init__(self, model: Any, path: Path | None = None, neutral_band: list[float] | None = None):
        super().__init__(model, path)
        learned = getattr(model, "info", {}).get("neutral_band")
        self.band = tuple(neutral_band or learned or DEFAULT_BAND)

    def predict(self, docs: list[Analysis]) -> dict[str, Any]:
        turns, turn_proba = self.turn_proba(docs)
        return {
            "contact": sentiment_scores(self.labels, self.contact_proba(docs)),
            "turns": turns,
            "turn_scores": sentiment_scores(self.labels, turn_proba) if len(turns) else np.zeros(0),
        }

    def set_annotations(self, docs: list[Analysis], scores: dict[str, Any]) -> None:
        for doc, score, label in zip(docs, scores["contact"], band_labels(scores["contact"], self.band), strict=True):
            doc.sentiment_score = round(float(score), 4)
            doc.sentiment_label = label
        turn_labels = band_labels(scores["turn_scores"], self.band)
        for turn, score, label in zip(scores["turns"], scores["turn_scores"], turn_labels, strict=True):
            turn.sentiment_score = round(float(score), 4)
            turn.sentiment_label = label
        for doc in docs:
            scored = [t.sentiment_score for t in doc.customer_turns if t.sentiment_score is not None]
            if doc.is_transcript and scored:
                doc.sentiment_start, doc.sentiment_end = scored[0], scored[-1]
                doc.sentiment_shift = round(scored[-1] - scored[0], 4)
