"""Export the STC-3 dialogues as numbered text chunks for annotators (see docs/labelling_guide.md).

    python scripts/export_for_labelling.py OUT_DIR [--chunks 5] [--size 600] [--double 300]

Run it into a folder outside the repository: the dialogue text stays out of the project; only the annotators'
`id,category` and `turn_id,sentiment,emotion` files come back into data/labels/. A seeded sample of `--double`
dialogues is exported again for an independent second annotator (agreement).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from feedback_nlp.datasets import load_stc3


def render(dialogue: dict) -> str:
    lines = [f"=== D {dialogue['id']}"]
    for index, turn in enumerate(dialogue["turns"]):
        speaker = "C" if turn["sender"] == "customer" else "H"
        text = " / ".join(u.strip() for u in turn["utterances"] if u.strip()) or "(empty)"
        lines.append(f"[{index}] {speaker}: {text}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--double", type=int, default=300)
    args = parser.parse_args()
    dialogues = load_stc3()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for k in range(args.chunks):
        part = dialogues[args.size * k : args.size * (k + 1)]
        (args.out_dir / f"chunk{k}.txt").write_text("\n\n".join(map(render, part)) + "\n", encoding="utf-8")
    sample = random.Random(20261123).sample(dialogues, args.double)
    (args.out_dir / "double.txt").write_text("\n\n".join(map(render, sample)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
