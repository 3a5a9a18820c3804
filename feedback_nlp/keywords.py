"""Per-contact keywords: TF-IDF over the segmented customer words, with jieba's IDF table and our stop-words."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import errors
from .base import DocComponent
from .registry import register
from .schema import Analysis
from .segment import load_stopwords

_CONTENT = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


@lru_cache(maxsize=1)
def jieba_idf() -> tuple[dict[str, str], float]:
    """jieba's IDF table (word -> idf, as the text the file holds) and its median, used for words the table does
    not know. The values stay text until a word is looked up (`extract` memoises the number): converting all 270k
    up front was a third of the loading, which every worker process pays.

    Read from the file jieba ships, without importing `jieba.analyse` (it also loads jieba's part-of-speech
    dictionary and its own copy of this table, which took longer than the rest of start-up together), or jieba at
    all: the default segmenter is rjieba, and the file is all this needs."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise errors.dependency_missing("jieba")
    text = (Path(spec.origin).parent / "analyse" / "idf.txt").read_text(encoding="utf-8")
    fields = text.split()
    lines = text.count("\n") + (not text.endswith("\n"))  # not splitlines(): it builds a list of 270k lines
    if len(fields) == 2 * lines:  # every line is `word idf`: pair them in one pass
        table = dict(zip(fields[::2], fields[1::2], strict=True))
    else:
        table = {}
        for line in text.splitlines():
            word, _, value = line.partition(" ")
            if value:
                table[word] = value
    values = np.array(list(table.values()), dtype=np.float64)
    middle = len(values) // 2
    return table, float(np.partition(values, middle)[middle])


def is_content_word(token: str, stopwords: frozenset[str]) -> bool:
    return len(token) >= 2 and token not in stopwords and bool(_CONTENT.match(token))


@register("keywords")
class KeywordExtractor(DocComponent):
    """Top-k keywords of the customer's side of each contact."""

    def __init__(self, top_k: int = 5):
        self.top_k = top_k
        self.stopwords = load_stopwords()
        self._content_idf: dict[str, float] = {}

    def warm_up(self) -> None:
        """Read jieba's IDF table now rather than on the first batch (see `Pipeline.warm_up`)."""
        jieba_idf()

    def extract(self, tokens: list[str]) -> list[str]:
        known = self._content_idf  # word -> idf, 0.0 for words that are never keywords (memoised per word)
        counts = Counter(tokens)
        new_words = [w for w in counts if w not in known]
        if new_words:
            idf, default_idf = jieba_idf()
        for word in new_words:
            if len(known) > 500_000:
                known.clear()
            known[word] = float(idf.get(word, default_idf)) if is_content_word(word, self.stopwords) else 0.0
        scored = [(-n * known[w], w) for w, n in counts.items() if known[w] > 0]
        scored.sort()
        return [word for _, word in scored[: self.top_k]]

    def process(self, doc: Analysis) -> None:
        doc.keywords = self.extract(doc.customer_tokens)
