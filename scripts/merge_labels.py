"""Merge annotators' files from data/labels/incoming/ into the label files the recipes read.

    python scripts/merge_labels.py

`*_category.csv` (id,category) -> data/labels/stc3_category.csv; `*_turns.csv` (turn_id,sentiment,emotion) ->
data/labels/stc3_turns.csv; the writers' `data/corpus/incoming/<domain>.jsonl` -> data/corpus/original.jsonl. Files whose name starts with `second_` are the independent second annotation of the
agreement sample and go to stc3_category_second.csv / stc3_turns_second.csv. Rows with an unknown id or label are
reported and left out; the first annotation of an id wins.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from feedback_nlp.datasets import load_stc3
from feedback_nlp.lexicon import EMOTIONS

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "data" / "labels"
CORPUS = ROOT / "data" / "corpus"
CHANNELS = {"phone", "chat", "sms", "weibo"}
CATEGORIES = {"transaction_error", "inquiry", "complaint", "other"}
SENTIMENTS = {"negative", "neutral", "positive"}


def read_rows(paths: list[Path]) -> list[dict[str, str]]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            rows += [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    return rows


def merge(kind: str, second: bool) -> None:
    pattern = f"{'second_' if second else ''}*_{kind}.csv"
    paths = sorted(p for p in (LABELS / "incoming").glob(pattern) if second or not p.name.startswith("second_"))
    if not paths:
        return
    dialogues = {str(d["id"]): d for d in load_stc3()}
    kept: dict[str, dict[str, str]] = {}
    problems = 0
    for row in read_rows(paths):
        if kind == "category":
            key, ok = row.get("id", ""), row.get("id") in dialogues and row.get("category") in CATEGORIES
        else:
            key = row.get("turn_id", "")
            dialogue, _, index = key.rpartition(":")
            ok = (dialogue in dialogues and index.isdigit() and int(index) < len(dialogues[dialogue]["turns"])
                  and row.get("sentiment") in SENTIMENTS and row.get("emotion") in {*EMOTIONS, "none"})
        if not ok:
            problems += 1
            print(f"left out: {row}", file=sys.stderr)
            continue
        kept.setdefault(key, row)
    name = f"stc3_{'category' if kind == 'category' else 'turns'}{'_second' if second else ''}.csv"
    fields = ["id", "category"] if kind == "category" else ["turn_id", "sentiment", "emotion"]
    with (LABELS / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(kept.values(), key=lambda r: r[fields[0]]))
    print(f"{name}: {len(kept)} rows from {len(paths)} files ({problems} left out)")


def merge_corpus() -> None:
    paths = sorted((CORPUS / "incoming").glob("*.jsonl"))
    if not paths:
        return
    kept: dict[str, dict] = {}
    texts: set[str] = set()
    problems = 0
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                ok = (row["channel"] in CHANNELS and row["category"] in CATEGORIES and row["sentiment"] in SENTIMENTS
                      and row["emotion"] in {*EMOTIONS, "none"} and str(row["text"]).strip() and row["domain"])
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok or row["id"] in kept or row["text"] in texts:
                problems += 1
                print(f"left out: {path.name}:{number}", file=sys.stderr)
                continue
            texts.add(row["text"])
            kept[row["id"]] = {k: row[k] for k in ("id", "domain", "channel", "text", "category", "sentiment", "emotion")}
    with (CORPUS / "original.jsonl").open("w", encoding="utf-8") as handle:
        for row in kept.values():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"original.jsonl: {len(kept)} examples from {len(paths)} files ({problems} left out)")


if __name__ == "__main__":
    merge_corpus()
    for kind in ("category", "turns"):
        for second in (False, True):
            merge(kind, second)
