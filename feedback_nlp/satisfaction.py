"""Customer satisfaction (STC-3 S-score) and resolution (A-score) as distributions over -2..2.

A two-level model, fitted on the 19 annotators' vote distributions as soft labels:
1. three text models (multinomial regression over the dialogue's n-grams) for the S, A and E (effectiveness)
   scores; the A and E readings help S because a dialogue that solved the problem rarely leaves a customer unhappy;
2. a small multinomial regression over their 15 log-scores plus the dialogue's shape and the sentiment of the
   customer's turns, trained on out-of-fold text scores, gives the S and A distributions.
On held-out STC-3 dialogues the second level lowers NMD from about 0.085 to 0.078 (models/EVALUATION.md).
The sentiment component must run first.
"""

from __future__ import annotations

import math
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file

from . import errors
from .component import ModelComponent, resolve_model_path
from .features import batch_counts
from .models.bank import LinearBank
from .models.linear import (
    FORMAT_VERSION,
    LinearTextClassifier,
    _softmax,
    read_meta_of_kind,
    save_arrays,
    write_model_meta,
)
from .registry import register
from .schema import CUSTOMER, Analysis

SCORE_VALUES = (-2, -1, 0, 1, 2)
SCORE_LABELS = [str(v) for v in SCORE_VALUES]
TEXT_SCORES = ("S", "A", "E")
OUTPUT_SCORES = ("S", "A")


LAST_WORDS = "last:"  # marks the words of the customer's last turn


def dialogue_view(doc: Analysis) -> tuple[str, list[str]]:
    """The text and tokens the text models read for one contact (the same in training and inference): the turns'
    words, the customer's last words again marked as such, and `dialogue_markers`."""
    turns = doc.turns
    text = " | ".join([t.text_norm for t in turns])
    customer = doc.customer_turns
    last_words = [LAST_WORDS + w for w in customer[-1].tokens or ()] if customer else []
    return text, list(chain.from_iterable(t.tokens or () for t in turns)) + last_words + dialogue_markers(doc)


def dialogue_markers(doc: Analysis) -> list[str]:
    """The customer's moods and the dialogue's shape, as tokens."""
    turns = doc.turns
    tokens: list[str] = []
    customer = doc.customer_turns
    if customer and customer[0].sentiment_label:
        tokens += [f"firstsent:{customer[0].sentiment_label}", f"lastsent:{customer[-1].sentiment_label}"]
    if doc.sentiment_label:
        tokens.append(f"sent:{doc.sentiment_label}")
    tokens += [f"nturns:{min(len(turns), 8)}", f"lastspk:{turns[-1].speaker if turns else CUSTOMER}"]
    return tokens


def structure_features(doc: Analysis) -> list[float]:
    """The dialogue's shape and the customer's mood along it."""
    turns = doc.turns
    customer = doc.customer_turns
    scores = [t.sentiment_score for t in customer if t.sentiment_score is not None] or [doc.sentiment_score or 0.0]
    agent_text = " ".join([t.text_norm for t in turns if t.speaker != CUSTOMER]) if doc.is_transcript else ""
    last_customer = customer[-1].text_norm if customer else ""
    return [
        min(len(turns), 10), len(customer),
        math.log1p(sum([len(t.text_norm) for t in customer])), math.log1p(len(agent_text)),
        float(bool(turns) and turns[-1].speaker == CUSTOMER), sum([not t.text_norm for t in turns]),
        scores[0], scores[-1], min(scores), sum(scores) / len(scores), doc.sentiment_score or 0.0,
        float("私信" in agent_text), float("?" in last_customer),
    ]


def soft_label_rows(dists: np.ndarray, rows: np.ndarray) -> list[tuple[int, int]]:
    """Each dialogue once per score value it received, to be weighted by that value's vote share."""
    return [(int(i), k) for i in rows for k in range(dists.shape[1]) if dists[i, k] > 0]


class SatisfactionModel:
    """fit(docs, {"S": dists, "A": dists, "E": dists}) / predict_proba(docs) -> {"S": (n, 5), "A": (n, 5)}."""

    kind = "satisfaction-stack"

    def __init__(self, text_C: float = 32.0, meta_C: float = 1.0, folds: int = 5, random_state: int = 0):
        self.text_C, self.meta_C, self.folds, self.random_state = text_C, meta_C, folds, random_state
        self.text_models: dict[str, LinearTextClassifier] = {}
        self.labels_ = SCORE_LABELS
        self.info: dict[str, Any] = {}
        self._bank: LinearBank | None = None

    @property
    def featurizer(self):
        return self.text_models["S"].featurizer

    def _fit_text(self, counts, dists: np.ndarray, rows: np.ndarray) -> LinearTextClassifier:
        pairs = soft_label_rows(dists, rows)
        model = LinearTextClassifier(C=self.text_C, class_weight=None, calibrate=False)
        return model.fit(None, [SCORE_LABELS[k] for _, k in pairs], counts=counts[[i for i, _ in pairs]],
                         sample_weight=[dists[i, k] for i, k in pairs])

    @staticmethod
    def _in_score_order(model: LinearTextClassifier, logits: np.ndarray) -> np.ndarray:
        return logits[:, [model.labels_.index(label) for label in SCORE_LABELS]]

    def _text_scores(self, model: LinearTextClassifier, counts) -> np.ndarray:
        return self._in_score_order(model, model.decision_function(counts=counts))

    @property
    def bank(self) -> LinearBank:
        """The three text models read the same dialogue features: scored together in one pass."""
        if self._bank is None:
            self._bank = LinearBank([self.text_models[k] for k in TEXT_SCORES])
        return self._bank

    def _meta_features(self, counts, docs: list[Analysis], text_scores: dict[str, np.ndarray] | None = None):
        if text_scores is None:
            logits = self.bank.decision(counts)
            text_scores = {k: self._in_score_order(self.text_models[k], z) for k, z in zip(TEXT_SCORES, logits)}
        structure = np.array([structure_features(d) for d in docs], dtype=float)
        return np.hstack([text_scores[k] for k in TEXT_SCORES] + [structure])

    def fit(self, docs: list[Analysis], dists: dict[str, np.ndarray]) -> SatisfactionModel:
        from sklearn.linear_model import LogisticRegression

        views = [dialogue_view(d) for d in docs]
        probe = LinearTextClassifier()
        counts = probe.featurizer.counts([v[0] for v in views], [v[1] for v in views])
        n = len(docs)
        fold = np.random.default_rng(self.random_state).integers(0, self.folds, n)
        out_of_fold = {k: np.zeros((n, 5)) for k in TEXT_SCORES}
        for k in TEXT_SCORES:
            for f in range(self.folds):
                model = self._fit_text(counts, dists[k], np.flatnonzero(fold != f))
                out_of_fold[k][fold == f] = self._text_scores(model, counts[fold == f])
            self.text_models[k] = self._fit_text(counts, dists[k], np.arange(n))
        self._bank = None
        features = self._meta_features(counts, docs, out_of_fold)
        self.mean_, self.scale_ = features.mean(axis=0), features.std(axis=0) + 1e-9
        standard = (features - self.mean_) / self.scale_
        self.meta_ = {}
        for k in OUTPUT_SCORES:
            pairs = soft_label_rows(dists[k], np.arange(n))
            meta = LogisticRegression(C=self.meta_C, max_iter=5000).fit(
                standard[[i for i, _ in pairs]], [j for _, j in pairs], sample_weight=[dists[k][i, j] for i, j in pairs])
            if list(meta.classes_) != list(range(5)):
                raise errors.training_data_invalid(f"every {k}-score value must occur in the training votes")
            self.meta_[k] = (meta.coef_.astype(np.float64), meta.intercept_.astype(np.float64))
        return self

    def predict_proba(self, docs: list[Analysis], key_owner: list | None = None) -> dict[str, np.ndarray]:
        counts = self._dialogue_counts(docs, key_owner if key_owner is not None else docs)
        standard = (self._meta_features(counts, docs) - self.mean_) / self.scale_
        return {k: _softmax(standard @ coef.T + intercept) for k, (coef, intercept) in self.meta_.items()}

    def _dialogue_counts(self, docs: list[Analysis], key_owner: list):
        """The feature counts of each contact's `dialogue_view`."""
        featurizer = self.featurizer
        if all(not d.is_transcript and len(d.turns) == 1 for d in docs):
            # A plain text's dialogue is its one turn, which is also the customer's last: the contact's features
            # (which the category model has counted for this batch) plus those of its last words and markers.
            tokens = [d.customer_tokens for d in docs]
            contact = batch_counts(featurizer, key_owner, [d.customer_text for d in docs], tokens, "contact")
            return featurizer.extended_counts(contact, tokens, LAST_WORDS, [dialogue_markers(d) for d in docs])
        views = [dialogue_view(d) for d in docs]
        return batch_counts(featurizer, key_owner, [v[0] for v in views], [v[1] for v in views], "dialogue")

    def save(self, directory: str | Path, info: dict[str, Any] | None = None) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for k, model in self.text_models.items():
            model.save(directory / f"text_{k}", {"task": f"STC-3 {k}-score text model"})
        arrays = {"mean": self.mean_, "scale": self.scale_}
        for k, (coef, intercept) in self.meta_.items():
            arrays[f"coef_{k}"], arrays[f"intercept_{k}"] = coef, intercept
        save_arrays(arrays, directory / "meta.safetensors")
        self.info = {**self.info, **(info or {})}
        meta = {"format_version": FORMAT_VERSION, "kind": self.kind, "labels": SCORE_LABELS,
                "hyperparameters": {"text_C": self.text_C, "meta_C": self.meta_C, "folds": self.folds}, **self.info}
        return write_model_meta(directory, meta)

    @classmethod
    def load(cls, directory: str | Path) -> SatisfactionModel:
        directory = Path(directory)
        meta = read_meta_of_kind(directory, cls.kind)
        model = cls(**meta.get("hyperparameters", {}))
        try:
            arrays = load_file(str(directory / "meta.safetensors"))
            model.text_models = {k: LinearTextClassifier.load(directory / f"text_{k}") for k in TEXT_SCORES}
        except (OSError, KeyError) as exc:
            raise errors.model_invalid(directory, exc) from exc
        model.mean_, model.scale_ = arrays["mean"], arrays["scale"]
        model.meta_ = {k: (arrays[f"coef_{k}"], arrays[f"intercept_{k}"]) for k in OUTPUT_SCORES}
        model.info = {k: v for k, v in meta.items() if k not in ("labels", "hyperparameters")}
        return model


@register("satisfaction")
class SatisfactionPredictor(ModelComponent):
    requires = ("segment", "sentiment")

    @classmethod
    def from_config(cls, settings: dict[str, Any], base_dir: Path):
        path = resolve_model_path(settings, base_dir)
        return cls(SatisfactionModel.load(path), path)

    def predict(self, docs: list[Analysis]) -> dict[str, np.ndarray]:
        if not docs:
            return {k: np.zeros((0, 5)) for k in OUTPUT_SCORES}
        return self.model.predict_proba(docs, docs)

    def set_annotations(self, docs: list[Analysis], scores: dict[str, np.ndarray]) -> None:
        values = np.array(SCORE_VALUES, dtype=float)
        s_dist, a_dist = scores["S"], scores["A"]
        # One table, rounded at once: S's distribution, A's, then their means.
        table = np.round(np.column_stack([s_dist, a_dist, s_dist @ values, a_dist @ values]), 4).tolist()
        for doc, row in zip(docs, table, strict=True):
            doc.satisfaction_dist, doc.resolution_dist = row[:5], row[5:10]
            doc.satisfaction, doc.resolution = row[10], row[11]
