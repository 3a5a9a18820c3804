"""A calibrated linear text classifier with the scikit-learn estimator shape and a safe on-disk format.

TF-IDF over hashed character and word n-grams, multinomial logistic regression, then temperature scaling fitted on a
held-out slice so that probabilities are calibrated. Saved as `weights.safetensors` (arrays only) plus
`model.json` (labels, settings, provenance, metrics): loading never executes code from the model directory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from safetensors.numpy import load_file, save_file

from .. import errors
from ..features import HASHING, FeatureSettings, HashedFeaturizer
from .bank import LinearBank

FORMAT_VERSION = 1


def save_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """safetensors writes an array's memory as it lies, so Fortran-ordered arrays (scikit-learn's coef_ can be)
    must be made C-contiguous first or they load transposed."""
    save_file({name: np.ascontiguousarray(value) for name, value in arrays.items()}, str(path))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of held-out labels (Guo et al., 2017)."""
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 60)):
        p = _softmax(logits / t)
        nll = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


class LinearTextClassifier:
    """fit / predict / predict_proba / save / load; the label set is learned from the training labels."""

    kind = "linear"

    def __init__(
        self,
        C: float = 4.0,
        class_weight: str | None = "balanced",
        min_df: int = 2,
        calibrate: bool = True,
        feature_settings: FeatureSettings | None = None,
        max_iter: int = 3000,
        random_state: int = 0,
    ):
        self.C = C
        self.class_weight = class_weight
        self.min_df = min_df
        self.calibrate = calibrate
        self.feature_settings = feature_settings or FeatureSettings()
        self.max_iter = max_iter
        self.random_state = random_state
        self.featurizer = HashedFeaturizer(self.feature_settings)
        self.labels_: list[str] = []
        self.extra_coef_ = np.zeros((0, 0), dtype=np.float32)
        self.info: dict[str, Any] = {}
        self._bank: LinearBank | None = None
        self.column_map_: np.ndarray | None = None

    # --- features -------------------------------------------------------------------------------------------
    def _tokens(self, texts: Sequence[str], tokens: Sequence[list[str]] | None) -> list[list[str]]:
        if tokens is not None:
            return list(tokens)
        from ..segment import Segmenter

        segmenter = Segmenter()
        return [segmenter.tokenize(t) for t in texts]

    def counts(self, texts: Sequence[str], tokens: Sequence[list[str]] | None = None) -> sp.csr_matrix:
        return self.featurizer.counts(list(texts), self._tokens(texts, tokens))

    def _weighted(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Keep the model's columns, sublinear tf times idf, rows scaled to unit length (what training reads)."""
        if self.column_map_ is None:
            self.column_map_ = np.full(self.feature_settings.n_features, -1, dtype=np.int64)
            self.column_map_[self.columns_] = np.arange(len(self.columns_))
        mapped = self.column_map_[counts.indices]
        keep = mapped >= 0
        n_rows = counts.shape[0]
        rows = np.repeat(np.arange(n_rows), np.diff(counts.indptr))[keep]
        columns = mapped[keep]
        data = (1.0 + np.log(counts.data[keep])) * self.idf_[columns]
        # Built straight from the row pointers: the rows stay in order, so no COO sort is needed.
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
        norms[norms == 0] = 1.0
        data = (data / norms[rows]).astype(np.float32)
        return sp.csr_matrix((data, columns, indptr), shape=(n_rows, len(self.columns_)))

    def _set_columns(self, counts: sp.csr_matrix) -> None:
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.columns_ = np.flatnonzero(df >= self.min_df).astype(np.int64)
        self.column_map_ = np.full(counts.shape[1], -1, dtype=np.int64)
        self.column_map_[self.columns_] = np.arange(len(self.columns_))
        n = counts.shape[0]
        self.idf_ = (np.log((1 + n) / (1 + df[self.columns_])) + 1).astype(np.float32)

    # --- estimator API --------------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[str],
        tokens: Sequence[list[str]] | None = None,
        sample_weight: Sequence[float] | None = None,
        counts: sp.csr_matrix | None = None,
        extra: np.ndarray | None = None,
    ) -> LinearTextClassifier:
        """`extra`: optional dense features (n_texts, k) beside the text, e.g. another model's score (stacking);
        the same columns must then be given to predict_proba."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split

        y = np.asarray([str(label) for label in y])
        self.labels_ = sorted(set(y.tolist()))
        if len(self.labels_) < 2:
            raise errors.training_data_invalid("at least two different labels are needed")
        counts = counts if counts is not None else self.counts(texts, tokens)
        self._set_columns(counts)
        X = self._with_extra(self._weighted(counts), extra)
        target = np.searchsorted(self.labels_, y)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)

        def train(rows: np.ndarray) -> LogisticRegression:
            model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
            return model.fit(X[rows], target[rows], sample_weight=weights[rows])

        self.temperature_ = 1.0
        counts_per_label = np.bincount(target)
        if self.calibrate and len(y) >= 50 and counts_per_label.min() >= 2:
            fit_rows, held_rows = train_test_split(
                np.arange(len(y)), test_size=0.15, stratify=target, random_state=self.random_state
            )
            held_model = train(fit_rows)
            logits = self._logits_of(held_model, X[held_rows])
            self.temperature_ = fit_temperature(logits, target[held_rows])
        model = train(np.arange(len(y)))
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # binary: a two-column form whose softmax is the sigmoid
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        n_extra = 0 if extra is None else np.asarray(extra).shape[1]
        self.coef_ = coef.T[: coef.shape[1] - n_extra].astype(np.float32)  # (n_columns, n_labels)
        self.extra_coef_ = coef.T[coef.shape[1] - n_extra :].astype(np.float32)  # (n_extra, n_labels)
        self.intercept_ = intercept.astype(np.float32)
        self._bank = None
        return self

    @staticmethod
    def _with_extra(X: sp.csr_matrix, extra: np.ndarray | None) -> sp.csr_matrix:
        if extra is None:
            return X
        return sp.hstack([X, sp.csr_matrix(np.asarray(extra, dtype=np.float32))], format="csr")

    @staticmethod
    def _logits_of(model, X) -> np.ndarray:
        z = model.decision_function(X)
        return np.column_stack([-z / 2, z / 2]) if z.ndim == 1 else z

    @property
    def bank(self) -> LinearBank:
        """This model alone as a LinearBank: how it scores (built on first use, dropped by fit)."""
        if self._bank is None:
            self._bank = LinearBank([self])
        return self._bank

    @property
    def linear_parts(self) -> list[LinearTextClassifier]:
        """The linear models whose logits make this model's probabilities (for a bank shared with other models)."""
        return [self]

    def proba_from_parts(self, logits: list[np.ndarray], extra: np.ndarray | None = None) -> np.ndarray:
        """Probabilities from the logits of `linear_parts`, in that order."""
        return self.proba_from_logits(self.add_extra(logits[0], extra))

    def decision_function(self, texts=None, tokens=None, counts: sp.csr_matrix | None = None,
                          extra: np.ndarray | None = None) -> np.ndarray:
        counts = counts if counts is not None else self.counts(texts, tokens)
        return self.add_extra(self.bank.decision(counts)[0], extra)

    def add_extra(self, z: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
        """Text logits (from this model's bank, or a bank it shares) plus its stacked features' part."""
        if len(self.extra_coef_):
            if extra is None:
                raise errors.model_needs_extra_features(len(self.extra_coef_))
            return z + np.asarray(extra, dtype=np.float32) @ self.extra_coef_  # not +=: `z` may be a shared batch's
        return z

    def proba_from_logits(self, z: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from this model's logits (temperature-scaled softmax)."""
        return _softmax(z / self.temperature_)

    def predict_proba(self, texts=None, tokens=None, counts: sp.csr_matrix | None = None,
                      extra: np.ndarray | None = None) -> np.ndarray:
        counts = counts if counts is not None else self.counts(texts, tokens)
        return self.proba_from_parts(self.bank.decision(counts), extra)

    def predict(self, texts=None, tokens=None, counts: sp.csr_matrix | None = None,
                extra: np.ndarray | None = None) -> list[str]:
        proba = self.predict_proba(texts, tokens, counts, extra)
        return [self.labels_[i] for i in proba.argmax(axis=1)]

    def explain(self, text: str, tokens: list[str], label: str, top_k: int = 5) -> list[dict[str, Any]]:
        """The features that pushed this text most towards `label` (weight x feature value, against the mean)."""
        counts = self.featurizer.counts([text], [tokens])
        X = self._weighted(counts)
        k = self.labels_.index(label)
        relative = self.coef_[:, k] - self.coef_.mean(axis=1)
        names = self.featurizer.named_features(text, tokens)
        inverse = {int(self.columns_[j]): j for j in X.indices}
        contributions = []
        for column, name in names.items():
            j = inverse.get(column)
            if j is None:
                continue
            contributions.append((float(X[0, j] * relative[j]), name))
        contributions.sort(reverse=True)
        return [
            {"term": name.split(":", 1)[-1].replace("|", " "), "weight": round(w, 4)}
            for w, name in contributions[:top_k]
            if w > 0
        ]

    # --- persistence ----------------------------------------------------------------------------------------
    def save(self, directory: str | Path, info: dict[str, Any] | None = None) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_arrays(
            {"columns": self.columns_, "idf": self.idf_, "coef": self.coef_, "intercept": self.intercept_,
             "extra_coef": self.extra_coef_.reshape(-1, len(self.labels_))},
            directory / "weights.safetensors",
        )
        self.info = {**self.info, **(info or {})}
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "labels": self.labels_,
            "temperature": self.temperature_,
            "features": self.feature_settings.to_dict(),
            "hyperparameters": {"C": self.C, "class_weight": self.class_weight, "min_df": self.min_df},
            **self.info,
        }
        return write_model_meta(directory, meta)

    @classmethod
    def load(cls, directory: str | Path) -> LinearTextClassifier:
        directory = Path(directory)
        meta = read_meta_of_kind(directory, cls.kind)
        try:
            if meta["features"].get("hashing") != HASHING:
                raise ValueError("it was trained with an older feature hashing; retrain it with this version")
            arrays = load_file(str(directory / "weights.safetensors"))
            model = cls(feature_settings=FeatureSettings(**meta["features"]), **meta.get("hyperparameters", {}))
            model.labels_ = list(meta["labels"])
            model.temperature_ = float(meta.get("temperature", 1.0))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise errors.model_invalid(directory, exc) from exc
        model.columns_ = arrays["columns"].astype(np.int64)
        model.idf_, model.coef_, model.intercept_ = arrays["idf"], arrays["coef"], arrays["intercept"]
        model.extra_coef_ = arrays.get("extra_coef", np.zeros((0, len(model.labels_)), dtype=np.float32))
        model.column_map_ = None  # only training and explanations need it; scoring goes through the bank
        if model.coef_.shape != (len(model.columns_), len(model.labels_)):
            raise errors.model_invalid(directory, "weights do not match the label set")
        model.info = {k: v for k, v in meta.items() if k not in ("labels", "temperature", "features", "hyperparameters")}
        return model


def write_model_meta(directory: Path, meta: dict[str, Any]) -> Path:
    (Path(directory) / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return Path(directory)


def read_meta_of_kind(directory: Path, kind: str) -> dict[str, Any]:
    """model.json of a directory that must hold a model of `kind` (a clear error otherwise)."""
    meta = read_model_meta(directory)
    if meta.get("kind") != kind:
        raise errors.model_kind_mismatch(directory, str(meta.get("kind")), kind)
    return meta


def read_model_meta(directory: Path) -> dict[str, Any]:
    path = Path(directory) / "model.json"
    if not path.exists():
        raise errors.model_not_found(directory)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.model_invalid(directory, exc) from exc
