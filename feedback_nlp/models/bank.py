"""Linear models that read the same count matrix, scored together in one pass over the batch's stored counts.

Each LinearTextClassifier scores `normalise(tf * idf) @ coef + intercept` over its own columns. Since the row norm
is `sqrt(sum (tf * idf)^2)`, both the numerator and the norm are sums over a row's stored counts of per-column
weights, `tf * (idf * coef)` and `tf^2 * idf^2`. A bank stacks those weights for all its models side by side over
the union of their columns, so a batch costs one gather and one segmented sum for every model together, instead
of a sparse matrix built and multiplied per model (scipy's per-call overhead was most of a one-text request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..features import batch_view

if TYPE_CHECKING:
    from .linear import LinearTextClassifier


class LinearBank:
    def __init__(self, models: list[LinearTextClassifier]):
        settings = {m.feature_settings for m in models}
        if len(settings) != 1:
            raise ValueError("models in one bank must read the same features")
        self.models = list(models)
        union = np.unique(np.concatenate([m.columns_ for m in models]))
        # Row 0 of the weights is all zeros: columns that no model keeps land there and add nothing.
        self.column_map = np.zeros(next(iter(settings)).n_features, dtype=np.int32)
        self.column_map[union] = np.arange(1, len(union) + 1, dtype=np.int32)
        widths = [len(m.labels_) for m in models]
        self.n_scores = sum(widths)
        self.weights = np.zeros((len(union) + 1, self.n_scores + len(models)), dtype=np.float32)
        self.blocks: list[slice] = []
        start = 0
        for i, (model, width) in enumerate(zip(models, widths, strict=True)):
            rows = np.searchsorted(union, model.columns_) + 1
            self.weights[rows, start : start + width] = model.idf_[:, None] * model.coef_
            self.weights[rows, self.n_scores + i] = model.idf_.astype(np.float32) ** 2
            self.blocks.append(slice(start, start + width))
            start += width

    def decision(self, counts: sp.csr_matrix) -> list[np.ndarray]:
        """Each model's text logits (before any stacked features), shape (n_rows, n_labels), in bank order."""
        n_rows = counts.shape[0]
        view = batch_view(counts)
        gathered = self.weights[self.column_map[view.columns][view.inverse]]
        gathered[:, : self.n_scores] *= view.tf[:, None]
        gathered[:, self.n_scores :] *= (view.tf * view.tf)[:, None]
        sums = np.zeros((n_rows, gathered.shape[1]), dtype=np.float64)
        starts = counts.indptr[:-1]
        filled = np.flatnonzero(np.diff(counts.indptr) > 0)
        if len(filled):
            sums[filled] = np.add.reduceat(gathered, starts[filled], axis=0, dtype=np.float64)
        norms = np.sqrt(sums[:, self.n_scores :])
        norms[norms == 0] = 1.0
        return [
            (sums[:, block] / norms[:, [i]] + model.intercept_).astype(np.float32)
            for i, (model, block) in enumerate(zip(self.models, self.blocks, strict=True))
        ]
