"""Metrics researchers can trust: per-class scores, confusion, calibration, cross-validation, paired bootstrap, NMD."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None,
    proba: np.ndarray | None = None, proba_labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support, confusion matrix and, with probabilities, ECE."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_true, y_pred = list(map(str, y_true)), list(map(str, y_pred))
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = [i for i, label in enumerate(labels) if label in set(y_true)]
    report: dict[str, Any] = {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(np.mean(f1[present])) if present else 0.0, 4),
        "weighted_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)), 4),
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "labels": labels,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    if proba is not None and proba_labels is not None:
        report["ece"] = round(expected_calibration_error(y_true, proba, list(proba_labels)), 4)
    return report


def expected_calibration_error(y_true: Sequence[str], proba: np.ndarray, labels: list[str], bins: int = 10) -> float:
    """ECE over the top-class confidence in equal-width bins (Guo et al., 2017)."""
    confidence = proba.max(axis=1)
    predicted = np.array([labels[i] for i in proba.argmax(axis=1)])
    correct = predicted == np.asarray(list(map(str, y_true)))
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    from sklearn.metrics import f1_score

    labels = list(labels) if labels is not None else sorted(set(y_true))
    return float(f1_score(list(y_true), list(y_pred), labels=labels, average="macro", zero_division=0))


def paired_bootstrap(
    y_true: Sequence[str], pred_a: Sequence[str], pred_b: Sequence[str],
    metric: Callable[[Sequence[str], Sequence[str]], float] = macro_f1, n_resamples: int = 2000, seed: int = 0,
) -> dict[str, float]:
    """Difference metric(A) - metric(B) on the same items, with a 95% bootstrap confidence interval."""
    y, a, b = np.asarray(list(y_true)), np.asarray(list(pred_a)), np.asarray(list(pred_b))
    labels = sorted(set(y.tolist()))
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = rng.integers(0, len(y), len(y))
        diffs[i] = metric(y[idx], a[idx], labels) - metric(y[idx], b[idx], labels)
    observed = metric(y, a, labels) - metric(y, b, labels)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {
        "difference": round(float(observed), 4), "ci_low": round(float(low), 4), "ci_high": round(float(high), 4),
        "p_a_not_better": round(float(np.mean(diffs <= 0)), 4), "n_resamples": n_resamples,
    }


def normalised_match_distance(predicted: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """NMD per row for distributions over ordered classes: sum |cumP - cumQ| / (k - 1) (STC-3)."""
    predicted, gold = np.atleast_2d(predicted), np.atleast_2d(gold)
    return np.abs(np.cumsum(predicted, axis=1) - np.cumsum(gold, axis=1)).sum(axis=1) / (gold.shape[1] - 1)


def stratified_folds(labels: Sequence[str], k: int, seed: int = 0) -> list[np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(list(labels))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(labels)), labels)]


def report_markdown(title: str, report: dict[str, Any]) -> str:
    """A Markdown rendering of `classification_report`."""
    lines = [f"## {title}", ""]
    summary = f"n = {report['n']}, accuracy = {report['accuracy']:.4f}, macro-F1 = {report['macro_f1']:.4f}"
    if "ece" in report:
        summary += f", ECE = {report['ece']:.4f}"
    lines += [summary, "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, row in report["per_class"].items():
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |")
    labels = report["labels"]
    lines += ["", "Confusion matrix (rows: true, columns: predicted)", "",
              "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
