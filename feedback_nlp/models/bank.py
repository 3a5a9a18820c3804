"""Linear models that read the same count matrix, scored together in one pass over the batch's stored counts.

Each LinearTextClassifier scores `normalise(tf * idf) @ coef + intercept` over its own columns. Since the row norm
is `sqrt(sum (tf * idf)^2)`, both the numerator and the norm are sums over a row's stored counts of per-column
weights, `tf * (idf * coef)` and `tf^2 * idf^2`. A bank stacks those weights for all its models side by side over
the union of their columns, so a batch costs two sparse products for all its models together instead of a
weighted matrix built, normalised and multiplied per model. A pipeline shares one bank among the components that
read the same contact and turn features (`SharedBank`), so category, sentiment and emotion cost one pass together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from .linear import LinearTextClassifier


class LinearBank:
    def __init__(self, models: list[LinearTextClassifier]):
        settings = {m.feature_settings for m in models}
        if len(settings) != 1:
            raise ValueError("models in one bank must read the same features")
        self.models = list(models)
        n_features = next(iter(settings)).n_features
        # The sorted union of the models' columns, read off a mask over the hashed feature space: sorting the
        # concatenated columns (over a million) took 0.15 s of each process's start-up, the mask a few ms.
        kept = np.zeros(n_features, dtype=bool)
        for model in models:
            kept[model.columns_] = True
        union = np.flatnonzero(kept)
        # Row 0 of the weights is all zeros: columns that no model keeps land there and add nothing.
        self.column_map = np.zeros(n_features, dtype=np.int32)
        self.column_map[union] = np.arange(1, len(union) + 1, dtype=np.int32)
        # A binary model whose two columns are exact negatives keeps one: its first logit is the negation of its
        # second, which is exact in floating point, so the answers are the same bits from a narrower table.
        self.mirrored = [_mirrored(model) for model in models]
        widths = [1 if mirrored else len(m.labels_) for m, mirrored in zip(models, self.mirrored, strict=True)]
        self.score_weights = _cache_line_rows(len(union) + 1, sum(widths))  # idf * coef
        self.norm_weights = np.zeros((len(union) + 1, len(models)), dtype=np.float32)  # idf^2
        self.blocks: list[slice] = []
        start = 0
        for i, (model, width, mirrored) in enumerate(zip(models, widths, self.mirrored, strict=True)):
            rows = self.column_map[model.columns_]  # a gather: cheaper than a binary search per column
            coef = model.coef_[:, 1:] if mirrored else model.coef_
            self.score_weights[rows, start : start + width] = model.idf_[:, None] * coef
            self.norm_weights[rows, i] = model.idf_.astype(np.float32) ** 2
            self.blocks.append(slice(start, start + width))
            start += width
        self._position = {id(model): i for i, model in enumerate(models)}

    def select(self, decisions: list[np.ndarray], models: list[LinearTextClassifier]) -> list[np.ndarray]:
        """The logits of `models` (all in this bank) out of one `decision` result."""
        return [decisions[self._position[id(model)]] for model in models]

    def decision(self, counts: sp.csr_matrix) -> list[np.ndarray]:
        """Each model's text logits (before any stacked features), shape (n_rows, n_labels), in bank order."""
        columns = self.column_map[counts.indices]
        tf = 1.0 + np.log(counts.data)  # sublinear term frequency
        # One matrix for both products (its data swapped in between), from int32 indices where they fit: building
        # a scipy matrix costs more than a small batch's product, and int64 ones are scanned to pick a dtype.
        indptr = counts.indptr if counts.nnz >= 2**31 else counts.indptr.astype(np.int32, copy=False)
        weights = sp.csr_matrix((tf, columns, indptr), shape=(counts.shape[0], len(self.score_weights)))
        scores = weights @ self.score_weights
        weights.data = tf * tf
        norms = np.sqrt(weights @ self.norm_weights)
        norms[norms == 0] = 1.0
        logits = []
        for i, (model, block, mirrored) in enumerate(zip(self.models, self.blocks, self.mirrored, strict=True)):
            if mirrored:
                second = scores[:, block] / norms[:, [i]] + model.intercept_[1:]
                logits.append(np.hstack([-second, second]))
            else:
                logits.append(scores[:, block] / norms[:, [i]] + model.intercept_)
        return logits


def _mirrored(model: LinearTextClassifier) -> bool:
    coef, intercept = model.coef_, np.asarray(model.intercept_)
    return coef.shape[1] == 2 and np.array_equal(coef[:, 0], -coef[:, 1]) and bool(intercept[0] == -intercept[1])


def _cache_line_rows(n_rows: int, width: int) -> np.ndarray:
    """A zeroed float32 table whose rows fill whole 64-byte cache lines where padding costs at most a quarter more
    (a width of 13-16 becomes 16), starting on a line boundary. A sparse product gathers one row per stored count;
    a row that straddles two lines costs two: 16-wide aligned rows made the products of both shipped banks 12-18%
    faster than their 15- and 17-wide unaligned rows (real batches, in isolation)."""
    per_line = 16
    padded = -(-width // per_line) * per_line
    if padded - width > width // 4:
        padded = width
    raw = np.zeros(n_rows * padded + per_line, dtype=np.float32)
    offset = (-raw.ctypes.data % 64) // raw.itemsize  # whole and < per_line: float32 data is 4-byte aligned
    return raw[offset : offset + n_rows * padded].reshape(n_rows, padded)


class SharedBank:
    """One LinearBank over the models of several owners, built on first use, like a model's own bank (and, like
    it, from the models' weights at that time: a model refitted afterwards needs a new SharedBank)."""

    def __init__(self, models: list[LinearTextClassifier]):
        self.models = models
        self._bank: LinearBank | None = None

    @property
    def bank(self) -> LinearBank:
        if self._bank is None:
            self._bank = LinearBank(self.models)
        return self._bank
