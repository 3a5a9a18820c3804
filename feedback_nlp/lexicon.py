"""Sentiment and emotion lexicons (HowNet, DUTIR, and the project's customer-service additions).

They serve twice: as features the linear models weigh (a domain-general signal that keeps working on products the
training reviews never mention) and as the transparent lexicon baseline for emotion.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .resources import lexicon_path

EMOTIONS = ("joy", "like", "anger", "sadness", "fear", "disgust", "surprise")
# How far back a negation word still flips a sentiment word: "不太满意", "没有觉得好".
NEGATION_WINDOW = 2


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in lexicon_path(name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@dataclass(frozen=True)
class Lexicon:
    polarity: dict[str, int]
    emotion: dict[str, str]
    negations: frozenset[str]
    degree: dict[str, float]

    def tags(self, tokens: list[str]) -> list[str]:
        """Lexicon pseudo-features for a token list, with negation flips and degree marks."""
        tags: list[str] = []
        for i, token in enumerate(tokens):
            polarity = self.polarity.get(token)
            emotion = self.emotion.get(token)
            if polarity is None and emotion is None:
                continue
            window = tokens[max(0, i - NEGATION_WINDOW) : i]
            negated = any(t in self.negations for t in window)
            strong = any(t in self.degree for t in window)
            if polarity:
                sign = -polarity if negated else polarity
                tags.append("lex:pos" if sign > 0 else "lex:neg")
                if strong:
                    tags.append("lex:strong_pos" if sign > 0 else "lex:strong_neg")
            if emotion:
                tags.append(f"lex:negated_{emotion}" if negated else f"lex:{emotion}")
        return tags

    def emotion_counts(self, tokens: list[str]) -> dict[str, float]:
        """DUTIR-style counts per emotion, negated words left out and degree adverbs weighting (the baseline)."""
        counts = dict.fromkeys(EMOTIONS, 0.0)
        for i, token in enumerate(tokens):
            emotion = self.emotion.get(token)
            if emotion is None:
                continue
            window = tokens[max(0, i - NEGATION_WINDOW) : i]
            if any(t in self.negations for t in window):
                continue
            weight = max((self.degree[t] for t in window if t in self.degree), default=1.0)
            counts[emotion] += weight
        return counts


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    polarity: dict[str, int] = {}
    emotion: dict[str, str] = {}
    for word, label in _rows("hownet_sentiment.tsv"):
        polarity[word] = 1 if label == "positive" else -1
    for word, label in _rows("dutir_emotion.tsv"):
        emotion.setdefault(word, label)
    for word, label, emo in _rows("service_sentiment.tsv"):  # the project's words win over the general lists
        if label != "neutral":
            polarity[word] = 1 if label == "positive" else -1
        if emo != "-":
            emotion[word] = emo
    negations = frozenset(row[0] for row in _rows("negations.txt"))
    degree = {row[0]: float(row[1]) for row in _rows("degree_adverbs.tsv")}
    for word in negations:
        polarity.pop(word, None)
    return Lexicon(polarity, emotion, negations, degree)
