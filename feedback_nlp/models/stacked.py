"""Sentiment that generalises like a review model and reads customer-service talk: two stacked linear models.

Review corpora (80,000+ texts, positive/negative) teach polarity across products the service data never mentions.
Labelled customer turns and the project's own corpus (negative/neutral/positive) teach contact-centre language,
where a third of turns are neutral fault reports and negativity is mostly cool blame. One model trained on both
was clearly worse on customer turns than a service model alone (the reviews drown the neutral class; see
`scripts/tune_sentiment.py`), so the review model's polarity r = P(pos) - P(neg) enters the service model as two
stacked features, r and |r|, which it weighs against its own n-grams. The review model never sees the service
data, so its scores on those texts are honest out-of-sample inputs for the second level.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import errors
from .bank import LinearBank
from .linear import LinearTextClassifier, read_meta_of_kind, write_model_meta

FORMAT_VERSION = 1


class StackedSentimentModel:
    """fit / predict / predict_proba / save / load, like LinearTextClassifier; labels come from the service data."""

    kind = "sentiment-stack"

    def __init__(self, reviews_C: float = 4.0, service_C: float = 4.0, stack_scale: float = 1.0):
        self.reviews_C, self.service_C, self.stack_scale = reviews_C, service_C, stack_scale
        self.reviews = LinearTextClassifier(C=reviews_C, class_weight="balanced")
        self.service = LinearTextClassifier(C=service_C, class_weight="balanced")
        self.info: dict[str, Any] = {}
        self._bank: LinearBank | None = None

    @property
    def labels_(self) -> list[str]:
        return self.service.labels_

    @property
    def featurizer(self):
        # Both levels read the same features, so a pipeline computes them once per batch for both.
        return self.service.featurizer

    def _polarity(self, review_logits: np.ndarray) -> np.ndarray:
        proba = self.reviews.proba_from_logits(review_logits)
        labels = self.reviews.labels_
        return proba[:, labels.index("positive")] - proba[:, labels.index("negative")]

    def review_polarity(self, counts: sp.csr_matrix) -> np.ndarray:
        return self._polarity(self.reviews.decision_function(counts=counts))

    def _stacked_of(self, polarity: np.ndarray) -> np.ndarray:
        return np.column_stack([polarity, np.abs(polarity)]) * self.stack_scale

    def _stacked(self, counts: sp.csr_matrix) -> np.ndarray:
        return self._stacked_of(self.review_polarity(counts))

    @property
    def bank(self) -> LinearBank:
        """Both levels read the same features: one pass over a batch's counts scores them together."""
        if self._bank is None:
            self._bank = LinearBank([self.reviews, self.service])
        return self._bank

    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[str],
        tokens: Sequence[list[str]] | None = None,
        sample_weight: Sequence[float] | None = None,
        review_texts: Sequence[str] | None = None,
        review_labels: Sequence[str] | None = None,
        review_tokens: Sequence[list[str]] | None = None,
    ) -> StackedSentimentModel:
        """Fit the review level on `review_*` (positive/negative), unless it is already fitted and no reviews are
        given (to refit only the service level, e.g. for the neutral band's validation model), then the service
        level on `texts`/`y`."""
        if review_texts is not None:
            self.reviews.fit(review_texts, review_labels or [], review_tokens)
        elif not self.reviews.labels_:
            raise errors.training_data_invalid("the review level needs review texts and labels the first time")
        if {"positive", "negative"} - set(self.reviews.labels_):
            raise errors.training_data_invalid("the review level needs 'positive' and 'negative' labels")
        counts = self.service.counts(texts, tokens)
        self.service.fit(None, y, counts=counts, sample_weight=sample_weight, extra=self._stacked(counts))
        if {"positive", "negative"} - set(self.service.labels_):
            raise errors.training_data_invalid("sentiment labels must include 'positive' and 'negative'")
        self._bank = None
        return self

    @property
    def linear_parts(self) -> list[LinearTextClassifier]:
        return [self.reviews, self.service]

    def predict_proba(self, texts=None, tokens=None, counts: sp.csr_matrix | None = None) -> np.ndarray:
        counts = counts if counts is not None else self.service.counts(texts, tokens)
        return self.proba_from_parts(self.bank.decision(counts))

    def proba_from_parts(self, logits: list[np.ndarray]) -> np.ndarray:
        """Probabilities from the logits of `linear_parts` (the review level's, then the service level's)."""
        review_logits, service_logits = logits
        stacked = self._stacked_of(self._polarity(review_logits))
        return self.service.proba_from_logits(self.service.add_extra(service_logits, stacked))

    def predict(self, texts=None, tokens=None, counts: sp.csr_matrix | None = None) -> list[str]:
        proba = self.predict_proba(texts, tokens, counts)
        return [self.labels_[i] for i in proba.argmax(axis=1)]

    def save(self, directory: str | Path, info: dict[str, Any] | None = None) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.reviews.save(directory / "reviews", {"task": "review polarity (first level)"})
        self.service.save(directory / "service", {"task": "customer-service sentiment (second level)"})
        self.info = {**self.info, **(info or {})}
        meta = {"format_version": FORMAT_VERSION, "kind": self.kind, "labels": self.labels_,
                "hyperparameters": {"reviews_C": self.reviews_C, "service_C": self.service_C,
                                    "stack_scale": self.stack_scale}, **self.info}
        return write_model_meta(directory, meta)

    @classmethod
    def load(cls, directory: str | Path) -> StackedSentimentModel:
        directory = Path(directory)
        meta = read_meta_of_kind(directory, cls.kind)
        model = cls(**meta.get("hyperparameters", {}))
        model.reviews = LinearTextClassifier.load(directory / "reviews")
        model.service = LinearTextClassifier.load(directory / "service")
        if model.reviews.feature_settings != model.service.feature_settings:
            raise errors.model_invalid(directory, "the two levels were trained with different feature settings")
        model.info = {k: v for k, v in meta.items() if k not in ("labels", "hyperparameters")}
        return model
