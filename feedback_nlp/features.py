"""Text features shared by every linear model: hashed character n-grams plus hashed words and word pairs.

Hashing keeps the featurizer stateless (nothing to store but its settings) and lets the category, sentiment and
emotion models read one feature matrix per batch instead of three: `batch_counts` memoises it for the batch.
Character n-grams carry the generalisation (unseen products, ASR slips); words and word pairs carry negation and
domain terms from the dictionary ("没有不好", "重复扣款").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from .lexicon import load_lexicon


@dataclass(frozen=True)
class FeatureSettings:
    n_features: int = 2**20
    char_ngram_min: int = 1
    char_ngram_max: int = 3
    word_bigrams: bool = True
    mark_negation: bool = True
    lexicon_tags: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _word_features(tokens: list[str], settings: FeatureSettings) -> list[str]:
    feats = ["w:" + t for t in tokens]
    if settings.mark_negation:
        # The word after a negation is its own feature, so "不满意" and "满意" pull in opposite directions.
        negations = load_lexicon().negations
        feats += ["neg:" + tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] in negations]
    if settings.word_bigrams:
        feats += ["b:" + a + "|" + b for a, b in zip(tokens, tokens[1:])]
    if settings.lexicon_tags:
        feats += load_lexicon().tags(tokens)
    return feats


class HashedFeaturizer:
    def __init__(self, settings: FeatureSettings | None = None):
        self.settings = settings or FeatureSettings()
        s = self.settings
        self._chars = HashingVectorizer(
            analyzer="char", ngram_range=(s.char_ngram_min, s.char_ngram_max), n_features=s.n_features,
            alternate_sign=False, norm=None, lowercase=False, dtype=np.float32,
        )
        self._words = HashingVectorizer(
            analyzer=lambda tokens: _word_features(tokens, s),
            n_features=s.n_features, alternate_sign=False, norm=None, dtype=np.float32,
        )

    def counts(self, texts: list[str], tokens: list[list[str]]) -> sp.csr_matrix:
        """Raw counts, shape (n_texts, n_features)."""
        matrix = self._chars.transform(texts) + self._words.transform(tokens)
        return sp.csr_matrix(matrix, dtype=np.float32)

    def named_features(self, text: str, tokens: list[str]) -> dict[int, str]:
        """Column -> readable name for the features of one text, for explanations (characters and words share
        one hash space, so both kinds are looked up the same way)."""
        s = self.settings
        names = list(dict.fromkeys(self._chars.build_analyzer()(text)))
        names += list(dict.fromkeys(_word_features(tokens, s)))
        lookup = HashingVectorizer(
            analyzer=lambda items: items, n_features=s.n_features, alternate_sign=False, norm=None
        )
        columns = lookup.transform([[name] for name in names])
        return {int(columns[i].indices[0]): name for i, name in enumerate(names) if columns[i].nnz}


# --- one feature matrix per batch, shared by the components -----------------------------------------------------
_CACHE: OrderedDict[tuple, tuple[Any, sp.csr_matrix]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def batch_counts(
    featurizer: HashedFeaturizer, key_owner: list, texts: list[str], tokens: list[list[str]], level: str
) -> sp.csr_matrix:
    """Counts for `texts`, computed once per (batch list, level, settings) while that list is alive."""
    key = (id(key_owner), len(key_owner), level, featurizer.settings)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is key_owner:
            return hit[1]
    matrix = featurizer.counts(texts, tokens)
    with _CACHE_LOCK:
        _CACHE[key] = (key_owner, matrix)  # holding the list keeps its id from being reused
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return matrix
