"""Customer satisfaction (STC-3 S-score) and resolution (A-score) as distributions over -2..2.

Both models read the whole dialogue: the text of every turn, the last customer turn marked apart, the dialogue's
shape (how many turns, who spoke last) and the sentiment of the customer's first and last turns, so the sentiment
component must run first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .component import ModelComponent, resolve_model_path
from .features import batch_counts
from .models import load_model
from .registry import register
from .schema import CUSTOMER, Analysis

SCORE_VALUES = (-2, -1, 0, 1, 2)
SCORE_LABELS = [str(v) for v in SCORE_VALUES]


def dialogue_view(doc: Analysis) -> tuple[str, list[str]]:
    """The text and tokens a satisfaction model reads for one contact (the same in training and inference)."""
    text = " | ".join(t.text_norm for t in doc.turns)
    tokens = [tok for t in doc.turns for tok in (t.tokens or [])]
    customer = doc.customer_turns
    if customer:
        tokens += ["last:" + tok for tok in customer[-1].tokens or []]
        first, last = customer[0], customer[-1]
        if first.sentiment_label:
            tokens += [f"firstsent:{first.sentiment_label}", f"lastsent:{last.sentiment_label}"]
    if doc.sentiment_label:
        tokens.append(f"sent:{doc.sentiment_label}")
    tokens += [f"nturns:{min(len(doc.turns), 8)}", f"lastspk:{doc.turns[-1].speaker if doc.turns else CUSTOMER}"]
    return text, tokens


def distributions(model: Any, docs: list[Analysis], key_owner: list) -> np.ndarray:
    """Rows of probabilities over -2..2, in that order."""
    views = [dialogue_view(d) for d in docs]
    counts = batch_counts(model.featurizer, key_owner, [v[0] for v in views], [v[1] for v in views], "dialogue")
    proba = model.predict_proba(counts=counts)
    order = [model.labels_.index(label) for label in SCORE_LABELS]
    return proba[:, order]


@register("satisfaction")
class SatisfactionPredictor(ModelComponent):
    requires = ("segment", "sentiment")

    def __init__(self, model: Any, path: Path | None = None, resolution_model: Any = None):
        super().__init__(model, path)
        self.resolution_model = resolution_model

    @classmethod
    def from_config(cls, settings: dict[str, Any], base_dir: Path):
        path = resolve_model_path(settings, base_dir)
        resolution = None
        if settings.get("resolution_model"):
            resolution = load_model(resolve_model_path(settings, base_dir, "resolution_model"))
        return cls(load_model(path), path, resolution)

    def predict(self, docs: list[Analysis]) -> dict[str, np.ndarray]:
        if not docs:
            return {"S": np.zeros((0, 5)), "A": np.zeros((0, 5))}
        scores = {"S": distributions(self.model, docs, docs)}
        if self.resolution_model is not None:
            scores["A"] = distributions(self.resolution_model, docs, docs)
        return scores

    def set_annotations(self, docs: list[Analysis], scores: dict[str, np.ndarray]) -> None:
        values = np.array(SCORE_VALUES, dtype=float)
        for i, doc in enumerate(docs):
            dist = scores["S"][i]
            doc.satisfaction_dist = [round(float(p), 4) for p in dist]
            doc.satisfaction = round(float(dist @ values), 4)
            if "A" in scores:
                dist = scores["A"][i]
                doc.resolution_dist = [round(float(p), 4) for p in dist]
                doc.resolution = round(float(dist @ values), 4)
