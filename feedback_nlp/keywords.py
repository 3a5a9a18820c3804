"""Per-contact keywords: TF-IDF over the segmented customer words, with jieba's IDF table and our stop-words."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import errors
from .base import DocComponent
from .registry import register
from .resources import lexicon_path
from .schema import Analysis
from .segment import load_stopwords

_CONTENT = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


IDF_TABLE = "jieba_idf.npz"  # in data/lexicons/, built from jieba's idf.txt by scripts/build_idf_table.py


def jieba_idf_source() -> Path:
    """The IDF file jieba ships (`jieba/analyse/idf.txt`, 270k words), found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise errors.dependency_missing("jieba")
    return Path(spec.origin).parent / "analyse" / "idf.txt"


def word_keys(words: list[str]) -> np.ndarray:
    """A 64-bit key per word (BLAKE2b): the IDF table is looked up by key. Two words share a key with a
    probability of about 1e-14 per lookup."""
    digests = b"".join([hashlib.blake2b(w.encode("utf-8", "surrogatepass"), digest_size=8).digest() for w in words])
    return np.frombuffer(digests, dtype="<u8")


def build_idf_table(source: Path) -> dict[str, np.ndarray]:
    """jieba's IDF file as sorted word keys, a code per key into the distinct IDF values, and the median IDF (for
    words the table does not know), as jieba.analyse computes it."""
    raw = source.read_bytes()
    table: dict[str, str] = {}
    for line in raw.decode("utf-8").splitlines():
        word, _, value = line.strip().partition(" ")
        if value:
            table[word] = value  # a word listed twice keeps its last value, as in jieba
    words = list(table)
    values = np.array([float(v) for v in table.values()], dtype=np.float64)
    keys = word_keys(words)
    order = np.argsort(keys, kind="stable")
    if np.any(keys[order][1:] == keys[order][:-1]):
        raise ValueError(f"two words of {source} share a 64-bit key")
    distinct, codes = np.unique(values, return_inverse=True)
    middle = len(values) // 2
    return {
        "keys": keys[order], "codes": codes[order].astype(np.uint16 if len(distinct) < 2**16 else np.uint32),
        "values": distinct, "median": np.float64(np.partition(values, middle)[middle]),
        "source_sha256": np.array(hashlib.sha256(raw).hexdigest()),
    }


class IdfTable:
    """IDF by word, for a whole batch's new words in one vectorised lookup.

    Shipped precomputed rather than read from jieba's text file at start-up: building a dict of its 270k words
    took 0.2 s of every process's start-up (each worker's too) and ~40 MB; this loads in milliseconds."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.keys, self.codes, self.values = arrays["keys"], arrays["codes"], arrays["values"]
        self.median = float(arrays["median"])

    @classmethod
    def load(cls, path: Path) -> IdfTable:
        try:
            with np.load(path, allow_pickle=False) as arrays:
                return cls({name: arrays[name] for name in ("keys", "codes", "values", "median")})
        except (OSError, KeyError, ValueError) as exc:
            raise errors.lexicon_invalid(path, exc) from exc

    def lookup(self, words: list[str]) -> list[float]:
        keys = word_keys(words)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.values[self.codes[at]], self.median).tolist()


@lru_cache(maxsize=1)
def idf_table() -> IdfTable:
    return IdfTable.load(lexicon_path(IDF_TABLE))


def is_content_word(token: str, stopwords: frozenset[str]) -> bool:
    return len(token) >= 2 and token not in stopwords and bool(_CONTENT.match(token))


@register("keywords")
class KeywordExtractor(DocComponent):
    """Top-k keywords of the customer's side of each contact."""

    memo_size = 500_000  # words whose IDF (0.0 for words that are never keywords) is remembered

    def __init__(self, top_k: int = 5):
        self.top_k = top_k
        self.stopwords = load_stopwords()
        self._idf: dict[str, float] = {}

    def warm_up(self) -> None:
        """Load the IDF table now rather than on the first batch (see `Pipeline.warm_up`)."""
        idf_table()

    def _remember(self, words: list[str]) -> dict[str, float]:
        """The memo, holding `words`. A full memo is replaced, not cleared, so that a thread still reading the old
        one finds its words there."""
        memo = self._idf
        new = [w for w in dict.fromkeys(words) if w not in memo]
        if new:
            if len(memo) + len(new) > self.memo_size:
                memo = self._idf = {}
                new = list(dict.fromkeys(words))
            content = [w for w in new if is_content_word(w, self.stopwords)]
            memo.update(dict.fromkeys(new, 0.0))
            if content:
                memo.update(zip(content, idf_table().lookup(content), strict=True))
        return memo

    def extract(self, tokens: list[str]) -> list[str]:
        return self._top(tokens, self._remember(tokens))

    def _top(self, tokens: list[str], idf: dict[str, float]) -> list[str]:
        """The top-k words of `tokens` by TF-IDF, `idf` holding all of them."""
        counts = Counter(tokens)
        scored = [(-n * idf[w], w) for w, n in counts.items() if idf[w] > 0]
        scored.sort()
        return [word for _, word in scored[: self.top_k]]

    def pipe(self, docs: Iterable[Analysis]) -> list[Analysis]:
        docs = docs if isinstance(docs, list) else list(docs)
        idf = self._remember([w for doc in docs for w in doc.customer_tokens])  # one table lookup for the batch
        for doc in docs:
            doc.keywords = self._top(doc.customer_tokens, idf)
        return docs

    def process(self, doc: Analysis) -> None:
        doc.keywords = self.extract(doc.customer_tokens)
