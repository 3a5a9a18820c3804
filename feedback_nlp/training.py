"""Training on labelled files: the same reading and preprocessing as `analyze`, then a linear or transformer model.

`feedback-nlp train category --data FILE --text-col C --label-col L -o DIR` calls `train_from_file`. The label set
is whatever the file's labels are (add 表扬, split 咨询 …) and everything downstream follows the saved model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, errors
from .io import InputReader, ReaderOptions, Record
from .schema import Analysis

MODEL_COMPONENTS = ("category", "sentiment", "emotion", "satisfaction", "escalation")
TASKS = ("category", "sentiment", "emotion")
SENTIMENT_ALIASES = {
    "1": "positive", "pos": "positive", "positive": "positive", "正面": "positive", "积极": "positive",
    "0": "negative", "neg": "negative", "negative": "negative", "负面": "negative", "消极": "negative",
    "2": "neutral", "neu": "neutral", "neutral": "neutral", "中性": "neutral",
}


def base_pipeline(path: str | Path | None = None):
    """The pipeline without its model components: normalise, mask, parse, segment."""
    from .pipeline import load

    nlp = load(path, disable=MODEL_COMPONENTS)
    nlp.parser.text_field, nlp.parser.id_field = "text", "id"
    return nlp


@dataclass
class LabelledData:
    ids: list[str]
    texts: list[str]
    tokens: list[list[str]]
    labels: list[str]
    groups: list[str] = field(default_factory=list)  # e.g. source or domain, for per-source reports
    keys: list[str] = field(default_factory=list)  # near-duplicate keys, where de-duplication matters
    skipped: int = 0
    source: str = ""

    def subset(self, rows) -> LabelledData:
        pick = list(rows)

        def take(values: list) -> list:
            return [values[i] for i in pick] if values else []

        return LabelledData(take(self.ids), take(self.texts), take(self.tokens), take(self.labels),
                            take(self.groups), take(self.keys), 0, self.source)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for i, label in zip(self.ids, self.labels, strict=True):
            digest.update(f"{i}\t{label}\n".encode())
        return digest.hexdigest()[:16]


def docs_to_data(docs: list[Analysis], labels: list[str], groups: list[str] | None = None) -> LabelledData:
    return LabelledData(
        [d.id for d in docs], [d.customer_text for d in docs], [d.customer_tokens for d in docs], labels,
        groups or [],
    )


def normalise_label(task: str, value: Any) -> str:
    text = str(value).strip()
    if task == "sentiment":
        return SENTIMENT_ALIASES.get(text.lower(), text)
    return text


def load_labelled(
    path: str | Path, text_col: str = "text", label_col: str = "label", id_col: str = "id",
    group_col: str | None = None, task: str = "category", file_format: str | None = None, nlp=None,
) -> LabelledData:
    """Read a labelled file (any input format, texts or transcripts) and preprocess it as `analyze` would."""
    nlp = nlp or base_pipeline()
    reader = InputReader(path, ReaderOptions(format=file_format, text_col=text_col, id_col=id_col))
    records, labels, groups, skipped = [], [], [], 0
    for item in reader:
        if not isinstance(item, Record) or item.data.get(label_col) in (None, ""):
            skipped += 1
            continue
        records.append(item.data)
        labels.append(normalise_label(task, item.data[label_col]))
        groups.append(str(item.data.get(group_col, "")) if group_col else "")
    if not records:
        raise errors.training_data_invalid(f"no rows with both a text and a {label_col!r} label in {path}")
    docs = []
    for start in range(0, len(records), 512):
        docs.extend(nlp.analyze_batch(records[start : start + 512], start))
    keep = [i for i, d in enumerate(docs) if d.error is None]
    skipped += len(docs) - len(keep)
    data = docs_to_data([docs[i] for i in keep], [labels[i] for i in keep],
                        [groups[i] for i in keep] if group_col else None)
    data.skipped, data.source = skipped, str(path)
    return data


def make_estimator(kind: str = "linear", base_model: str | Path | None = None, **params: Any):
    if kind == "linear":
        from .models.linear import LinearTextClassifier

        return LinearTextClassifier(**params)
    if kind == "transformer":
        if base_model is None:
            raise errors.ConfigError("--model transformer needs --base-model PATH (a local checkpoint directory).")
        from .models.transformer import TransformerTextClassifier

        return TransformerTextClassifier(base_model=base_model, **params)
    raise errors.ConfigError(f"Unknown model kind {kind!r}: use 'linear' or 'transformer'.")


def fit_estimator(estimator, data: LabelledData, sample_weight=None):
    if getattr(estimator, "kind", "") == "linear":
        return estimator.fit(data.texts, data.labels, data.tokens, sample_weight=sample_weight)
    return estimator.fit(data.texts, data.labels)


def predict_with(model, data: LabelledData):
    """(predicted labels, probabilities) for any model kind."""
    if getattr(model, "kind", "") == "linear":
        proba = model.predict_proba(data.texts, data.tokens)
    else:
        proba = model.predict_proba(data.texts)
    return [model.labels_[i] for i in proba.argmax(axis=1)], proba


def provenance(task: str, data: LabelledData, description: str, name: str | None = None) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for label in data.labels:
        counts[label] = counts.get(label, 0) + 1
    return {
        "name": name or f"{task}-custom",
        "task": task,
        "version": dt.date.today().strftime("%Y.%m.%d"),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "library_version": __version__,
        "training_data": {
            "description": description, "n": len(data.labels), "label_counts": counts,
            "fingerprint": data.fingerprint(),
        },
    }


def train_from_file(
    task: str, data_path: str | Path, output: str | Path, text_col: str = "text", label_col: str = "label",
    kind: str = "linear", base_model: str | Path | None = None, params: dict[str, Any] | None = None,
) -> tuple[Any, LabelledData]:
    if task not in TASKS:
        raise errors.ConfigError(f"Unknown task {task!r}: use one of {', '.join(TASKS)}.")
    data = load_labelled(data_path, text_col, label_col, task=task)
    estimator = make_estimator(kind, base_model, **(params or {}))
    fit_estimator(estimator, data)
    info = provenance(task, data, f"{Path(data_path).name}: text column {text_col!r}, labels {label_col!r}")
    estimator.save(output, info)
    from .modelcard import write_model_card

    write_model_card(output)
    return estimator, data
