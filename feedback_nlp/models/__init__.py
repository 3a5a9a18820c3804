"""Trainable models (estimator shape: fit, predict, predict_proba, save, load) and the loader that picks the class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import errors
from .linear import LinearTextClassifier, read_model_meta


def load_model(directory: str | Path) -> Any:
    """Load any saved model directory by the `kind` recorded in its model.json."""
    directory = Path(directory)
    kind = read_model_meta(directory).get("kind")
    if kind == "linear":
        return LinearTextClassifier.load(directory)
    if kind == "transformer":
        from .transformer import TransformerTextClassifier

        return TransformerTextClassifier.load(directory)
    if kind == "sentiment-stack":
        from .stacked import StackedSentimentModel

        return StackedSentimentModel.load(directory)
    if kind == "satisfaction-stack":
        from ..satisfaction import SatisfactionModel

        return SatisfactionModel.load(directory)
    raise errors.model_invalid(directory, f"unknown model kind {kind!r}")


__all__ = ["LinearTextClassifier", "load_model", "read_model_meta"]
