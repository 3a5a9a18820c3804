"""Emotion (the seven DUTIR classes plus none) for the whole contact and every customer turn.

The trained model reads the same features as the other components, including DUTIR lexicon tags with negation;
`LexiconEmotion` is the bare-lexicon baseline it is compared with.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .component import ModelComponent, as_scores
from .lexicon import EMOTIONS, load_lexicon
from .registry import register
from .schema import Analysis

# The Chinese names used by the DUTIR ontology, for reports.
EMOTION_NAMES_ZH = {"joy": "乐", "like": "好", "anger": "怒", "sadness": "哀", "fear": "惧", "disgust": "恶",
                    "surprise": "惊", "none": "无"}


@register("emotion")
class EmotionClassifier(ModelComponent):
    def predict(self, docs: list[Analysis]) -> dict[str, Any]:
        turns, turn_proba = self.turn_proba(docs)
        return {"contact": self.contact_proba(docs), "turns": turns, "turn_proba": turn_proba}

    def set_annotations(self, docs: list[Analysis], scores: dict[str, Any]) -> None:
        labels = self.labels
        for doc, row, rounded in zip(docs, scores["contact"], as_scores(labels, scores["contact"]), strict=True):
            doc.emotion = labels[int(row.argmax())]
            doc.emotion_scores = rounded
        for turn, row in zip(scores["turns"], scores["turn_proba"], strict=True):
            turn.emotion = labels[int(row.argmax())]


class LexiconEmotion:
    """Baseline: the dominant DUTIR emotion of the text (negated words skipped), or none when no word matches."""

    labels_ = [*EMOTIONS, "none"]

    def predict(self, tokens: list[list[str]]) -> list[str]:
        lexicon = load_lexicon()
        out = []
        for toks in tokens:
            counts = lexicon.emotion_counts(toks)
            best = max(counts, key=counts.get)
            out.append(best if counts[best] > 0 else "none")
        return out

    def predict_proba(self, tokens: list[list[str]]) -> np.ndarray:
        lexicon = load_lexicon()
        rows = []
        for toks in tokens:
            counts = lexicon.emotion_counts(toks)
            values = np.array([counts[e] for e in EMOTIONS] + [0.5], dtype=float)
            rows.append(values / values.sum())
        return np.array(rows)
