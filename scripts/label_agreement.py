"""Inter-annotator agreement on the double-labelled sample -> data/labels/AGREEMENT.md.

    python scripts/label_agreement.py

Compares data/labels/stc3_category.csv with stc3_category_second.csv (and the turn files) on the ids both annotated:
raw agreement, Cohen's kappa, and the confusion between the two annotators.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels"


def read(name: str, key: str) -> dict[str, dict[str, str]]:
    with (LABELS / name).open(encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def compare(first: dict, second: dict, field: str, title: str) -> list[str]:
    shared = sorted(set(first) & set(second))
    a = [first[k][field] for k in shared]
    b = [second[k][field] for k in shared]
    agree = sum(x == y for x, y in zip(a, b)) / len(shared)
    kappa = cohen_kappa_score(a, b)
    table = pd.crosstab(pd.Series(a, name="first"), pd.Series(b, name="second"))
    lines = [f"## {title}", "", f"{len(shared)} items labelled by both: raw agreement **{agree:.3f}**, "
             f"Cohen's kappa **{kappa:.3f}**.", "", "| first \\ second | " + " | ".join(table.columns) + " |",
             "|---" * (len(table.columns) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(str(v) for v in row) + " |" for label, row in table.iterrows()]
    print(f"{title}: n={len(shared)} agreement={agree:.3f} kappa={kappa:.3f}")
    return [*lines, ""]


def main() -> None:
    lines = ["# Inter-annotator agreement", "",
             "Two annotators labelled the same sample independently (`*_second.csv` is the second annotation; the "
             "first annotation is what the models train on). Regenerate with `python scripts/label_agreement.py`.", "",
             "Read these numbers with care: both annotators were instances of the same AI model (subagents) working from "
             "`docs/labelling_guide.md`, so their errors are correlated and the agreement is an upper bound on what two "
             "human annotators would reach; it shows the guide is applied consistently, not that the labels are right.", ""]
    category = compare(read("stc3_category.csv", "id"), read("stc3_category_second.csv", "id"), "category",
                       "Contact category (dialogues)")
    first, second = read("stc3_turns.csv", "turn_id"), read("stc3_turns_second.csv", "turn_id")
    lines += category + compare(first, second, "sentiment", "Customer-turn sentiment")
    lines += compare(first, second, "emotion", "Customer-turn emotion")
    (LABELS / "AGREEMENT.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
