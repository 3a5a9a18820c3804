"""Base class of the model components: spaCy's split of `predict` (pure, batched) from `set_annotations`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .base import DocComponent
from .features import batch_counts, per_batch
from .models import load_model
from .models.bank import SharedBank
from .schema import Analysis, Turn
from .word_facts import WORD_FACTS


def resolve_model_path(settings: dict[str, Any], base_dir: Path, key: str = "model") -> Path:
    value = settings.get(key)
    if not value:
        from . import errors

        raise errors.ConfigError(f"The component needs a `{key}` path to a model directory.")
    return (Path(base_dir) / value).resolve()


class ModelComponent(DocComponent):
    """A pipeline component wrapping a trained model.

    Subclasses implement `predict(docs) -> scores` without touching the docs and
    `set_annotations(docs, scores)`, which writes the results.
    """

    requires: tuple[str, ...] = ("segment",)

    def __init__(self, model: Any, path: Path | None = None):
        self.model = model
        self.path = path
        self.shared_bank: SharedBank | None = None  # set by `share_banks`

    def _bank_owner(self) -> Any:
        return self.shared_bank or self.model

    def warm_up(self) -> None:
        """Build the scoring tables, and load the lexicon that the featurizer reads, now rather than on the first
        batch (see `Pipeline.warm_up`): the lexicon alone took 0.08 s of each worker's first batch."""
        if getattr(self.model, "featurizer", None) is not None:  # a transformer reads the text itself
            WORD_FACTS.warm_up()
        if hasattr(self._bank_owner(), "bank"):
            _ = self._bank_owner().bank

    @classmethod
    def from_config(cls, settings: dict[str, Any], base_dir: Path):
        path = resolve_model_path(settings, base_dir)
        extra = {k: v for k, v in settings.items() if k != "model"}
        return cls(load_model(path), path, **extra)

    @property
    def labels(self) -> list[str]:
        return list(self.model.labels_)

    def model_info(self) -> dict[str, Any]:
        info = getattr(self.model, "info", {})
        return {
            "path": str(self.path) if self.path else None,
            "kind": getattr(self.model, "kind", None),
            "name": info.get("name"),
            "version": info.get("version"),
            "labels": self.labels,
            "metrics": info.get("metrics", {}),
        }

    # --- shared helpers ---------------------------------------------------------------------------------------
    def contact_proba(self, docs: list[Analysis]) -> np.ndarray:
        """Probabilities for each contact, read from the customer's side."""
        if not docs:
            return np.zeros((0, len(self.labels)))
        texts = [d.customer_text for d in docs]
        tokens = [d.customer_tokens for d in docs]
        return self._proba(docs, texts, tokens, "contact")

    def turn_proba(self, docs: list[Analysis]) -> tuple[list[Turn], np.ndarray]:
        """Probabilities for every customer turn of the transcripts in the batch."""
        turns = [t for d in docs if d.is_transcript for t in d.customer_turns]
        if not turns:
            return turns, np.zeros((0, len(self.labels)))
        return turns, self._proba(docs, [t.text_norm for t in turns], [t.tokens or [] for t in turns], "turns")

    def _proba(self, docs: list[Analysis], texts: list[str], tokens: list[list[str]], level: str) -> np.ndarray:
        featurizer = getattr(self.model, "featurizer", None)
        if featurizer is None:  # a transformer reads the text itself
            return self.model.predict_proba(texts)
        counts = batch_counts(featurizer, docs, texts, tokens, level)
        bank = self._bank_owner().bank
        decisions = per_batch(docs, ("logits", level, id(bank)), lambda: bank.decision(counts))
        return self.model.proba_from_parts(bank.select(decisions, self.model.linear_parts))

    # --- the component protocol -----------------------------------------------------------------------------
    def predict(self, docs: list[Analysis]) -> Any:
        raise NotImplementedError

    def set_annotations(self, docs: list[Analysis], scores: Any) -> None:
        raise NotImplementedError

    def pipe(self, docs: Iterable[Analysis]) -> list[Analysis]:
        # The same list object goes through every component: the shared feature matrix is cached per batch list.
        docs = docs if isinstance(docs, list) else list(docs)
        self.set_annotations(docs, self.predict(docs))
        return docs


def share_banks(components: Iterable[Any]) -> None:
    """Give the model components that read the customer's side (contact and turn features) one bank between them,
    so that a batch's logits for all their linear models come from one pass instead of one per component."""
    groups: dict[Any, list[ModelComponent]] = {}
    for component in components:
        if isinstance(component, ModelComponent) and hasattr(component.model, "linear_parts"):
            groups.setdefault(component.model.featurizer.settings, []).append(component)
    for members in groups.values():
        parts = [part for member in members for part in member.model.linear_parts]
        shared = SharedBank(parts) if len(members) > 1 else None
        for member in members:
            member.shared_bank = shared


def as_scores(labels: list[str], scores: np.ndarray, digits: int = 4) -> list[dict[str, float]]:
    """One {label: probability} dict per row, rounded (in one numpy call for the whole batch)."""
    return [dict(zip(labels, row, strict=True)) for row in np.round(scores.astype(float), digits).tolist()]
