"""Fine-tune any local transformer checkpoint (e.g. a Chinese BERT a user downloaded) as a text classifier.

Optional: needs `pip install 'feedback-nlp[transformers]'`. Nothing is fetched from a hub: the base model is a
directory given with --base-model, loaded with `local_files_only=True`, and saved with safetensors. Texts longer
than the model's limit keep their head and tail (the customer's opening problem and closing reaction).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import errors
from .linear import FORMAT_VERSION, read_model_meta


def _import_torch():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise errors.extra_not_installed("transformers", "torch and transformers") from exc
    return torch, transformers


class TransformerTextClassifier:
    kind = "transformer"

    def __init__(self, base_model: str | Path | None = None, max_length: int = 256, epochs: int = 3,
                 batch_size: int = 16, learning_rate: float = 5e-5, weight_decay: float = 0.01, seed: int = 0):
        self.base_model = str(base_model) if base_model else None
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.seed = seed
        self.labels_: list[str] = []
        self.info: dict[str, Any] = {}
        self._model = None
        self._tokenizer = None

    # --- inputs ---------------------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> dict[str, Any]:
        """Token ids with head+tail truncation: half the budget from the start, the rest from the end."""
        torch, _ = _import_torch()
        tokenizer = self._tokenizer
        # [CLS] … [SEP] for BERT-like models, <s> … </s> for others; built by hand because tokenizer helpers for
        # this differ between transformers versions.
        first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        start, end = [t for t in (first,) if t is not None], [t for t in (last,) if t is not None]
        budget = self.max_length - len(start) - len(end)
        rows = []
        for text in texts:
            ids = tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]
            if len(ids) > budget:
                head = budget // 2
                ids = ids[:head] + ids[len(ids) - (budget - head):]
            rows.append(start + ids + end)
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id or 0
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        return {"input_ids": input_ids, "attention_mask": attention}

    # --- estimator API --------------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: Sequence[str]) -> TransformerTextClassifier:
        torch, transformers = _import_torch()
        if not self.base_model or not Path(self.base_model).is_dir():
            raise errors.model_not_found(self.base_model)
        torch.manual_seed(self.seed)
        self.labels_ = sorted({str(v) for v in y})
        label_ids = {label: i for i, label in enumerate(self.labels_)}
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.base_model, local_files_only=True)
        self._model = transformers.AutoModelForSequenceClassification.from_pretrained(
            self.base_model, local_files_only=True, num_labels=len(self.labels_),
            id2label=dict(enumerate(self.labels_)), label2id=label_ids, ignore_mismatched_sizes=True,
        )
        targets = torch.tensor([label_ids[str(v)] for v in y])
        optimizer = torch.optim.AdamW(self._model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        steps = self.epochs * math.ceil(len(texts) / self.batch_size)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / max(steps, 1)))
        generator = torch.Generator().manual_seed(self.seed)
        self._model.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(texts), generator=generator).tolist()
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                inputs = self.encode([texts[i] for i in batch])
                loss = self._model(**inputs, labels=targets[batch]).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self._model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
        self._model.eval()
        return self

    def predict_proba(self, texts: Sequence[str] = (), tokens=None, counts=None) -> np.ndarray:
        torch, _ = _import_torch()
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), 32):
                logits = self._model(**self.encode(list(texts[start : start + 32]))).logits
                out.append(torch.softmax(logits, dim=-1).numpy())
        return np.vstack(out) if out else np.zeros((0, len(self.labels_)))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.labels_[i] for i in self.predict_proba(texts).argmax(axis=1)]

    # --- persistence ----------------------------------------------------------------------------------------
    def save(self, directory: str | Path, info: dict[str, Any] | None = None) -> Path:
        directory = Path(directory)
        (directory / "hf").mkdir(parents=True, exist_ok=True)
        self._model.save_pretrained(directory / "hf", safe_serialization=True)
        self._tokenizer.save_pretrained(directory / "hf")
        self.info = {**self.info, **(info or {})}
        meta = {
            "format_version": FORMAT_VERSION, "kind": self.kind, "labels": self.labels_,
            "hyperparameters": {"max_length": self.max_length, "epochs": self.epochs, "batch_size": self.batch_size,
                                "learning_rate": self.learning_rate, "weight_decay": self.weight_decay},
            "base_model": self.base_model, **self.info,
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TransformerTextClassifier:
        _, transformers = _import_torch()
        directory = Path(directory)
        meta = read_model_meta(directory)
        model = cls(base_model=meta.get("base_model"), **meta.get("hyperparameters", {}))
        model.labels_ = list(meta["labels"])
        try:
            model._tokenizer = transformers.AutoTokenizer.from_pretrained(directory / "hf", local_files_only=True)
            model._model = transformers.AutoModelForSequenceClassification.from_pretrained(
                directory / "hf", local_files_only=True, use_safetensors=True
            )
        except (OSError, ValueError) as exc:
            raise errors.model_invalid(directory, exc) from exc
        model._model.eval()
        model.info = {k: v for k, v in meta.items() if k not in ("labels", "hyperparameters")}
        return model
