"""Contact category: a trained classifier over the customer's side, plus an optional exact-rule layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import errors
from .component import ModelComponent, as_scores
from .registry import register
from .schema import Analysis


@dataclass(frozen=True)
class CategoryRule:
    """When `pattern` matches the customer's text, the category becomes `label`, unless the model already chose
    one of `unless` (e.g. a 12315 threat about a double charge stays a transaction error, as the taxonomy says)."""

    name: str
    pattern: re.Pattern[str]
    label: str
    unless: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CategoryRule:
        try:
            return cls(raw["name"], re.compile(raw["pattern"]), raw["label"], tuple(raw.get("unless", ())))
        except KeyError as exc:
            raise errors.ConfigError(f"A category rule needs name, pattern and label; missing {exc}") from exc
        except re.error as exc:
            raise errors.ConfigError(f"Category rule {raw.get('name')!r} has a bad pattern: {exc}") from exc


@register("category")
class CategoryClassifier(ModelComponent):
    def __init__(self, model: Any, path: Path | None = None, rules: list[dict[str, Any]] | None = None,
                 use_rules: bool = True, explain: bool = False, explain_top_k: int = 5):
        super().__init__(model, path)
        self.rules = [CategoryRule.from_dict(r) for r in (rules or [])]
        self.use_rules = use_rules
        self.explain = explain
        self.explain_top_k = explain_top_k
        for rule in self.rules:
            if rule.label not in self.labels:
                raise errors.ConfigError(
                    f"Category rule {rule.name!r} assigns {rule.label!r}, which the model does not know "
                    f"(labels: {', '.join(self.labels)})."
                )

    def predict(self, docs: list[Analysis]) -> np.ndarray:
        return self.contact_proba(docs)

    def matching_rule(self, text: str, model_label: str) -> CategoryRule | None:
        if not self.use_rules:
            return None
        for rule in self.rules:
            if rule.pattern.search(text) and model_label not in rule.unless:
                return rule
        return None

    def set_annotations(self, docs: list[Analysis], scores: np.ndarray) -> None:
        labels = self.labels
        for doc, row, rounded in zip(docs, scores, as_scores(labels, scores), strict=True):
            best = int(row.argmax())
            doc.category_scores = rounded
            doc.category = labels[best]
            doc.category_confidence = round(float(row[best]), 4)
            rule = self.matching_rule(doc.customer_text, doc.category)
            if rule is not None:
                doc.category, doc.category_rule = rule.label, rule.name
                doc.category_confidence = 1.0
            if self.explain and hasattr(self.model, "explain"):
                doc.category_explanation = self.model.explain(
                    doc.customer_text, doc.customer_tokens, doc.category, self.explain_top_k
                )
