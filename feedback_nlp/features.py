"""Text features shared by every linear model: hashed character n-grams plus hashed words, word pairs, negated
words and lexicon tags.

Hashing keeps the featurizer stateless (nothing to store but its settings) and lets the category, sentiment,
emotion and satisfaction models read one feature matrix per batch: `batch_counts` memoises it for the batch.
Character n-grams carry the generalisation (unseen products, ASR slips); words and word pairs carry negation and
domain terms from the dictionary ("没有不好", "重复扣款").

The hashing is vectorised over the whole batch with numpy (a polynomial hash of code points for character n-grams,
CRC-32 of each distinct word, computed once and kept, for words), because a per-document Python loop over n-grams
was half of the pipeline's time. Hashes are deterministic across processes and platforms (no `hash()`, which is salted).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from itertools import chain
from typing import Any, Callable, TypeVar

import numpy as np
import scipy.sparse as sp

from .lexicon import EMOTIONS, NEGATION_WINDOW
from .word_facts import PRIME, WORD_FACTS, TokenFacts, in_document_order, lengths, mix

T = TypeVar("T")

# Bumped whenever a feature's hash changes: a model trained with other hashes would read garbage.
HASHING = "np-poly-crc32-v2"


@dataclass(frozen=True)
class FeatureSettings:
    n_features: int = 2**20
    char_ngram_min: int = 1
    char_ngram_max: int = 3
    word_bigrams: bool = True
    mark_negation: bool = True
    lexicon_tags: bool = True
    hashing: str = HASHING

    def __post_init__(self) -> None:
        if self.n_features & (self.n_features - 1):
            raise ValueError("n_features must be a power of two")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_LEX_TAGS = ("pos", "neg", "strong_pos", "strong_neg", *EMOTIONS, *(f"negated_{e}" for e in EMOTIONS))
_WINDOW = np.arange(1, NEGATION_WINDOW + 1)  # how far back a negation or degree adverb reaches
_CONTEXT = max(NEGATION_WINDOW, 1)  # how many tokens before it any word feature of a token reads


def _same_doc_runs(doc: np.ndarray, size: int) -> np.ndarray:
    """Start positions p where doc[p] .. doc[p + size - 1] all belong to one document."""
    if len(doc) < size:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(len(doc) - size + 1)
    return starts[doc[starts] == doc[starts + size - 1]]


# The feature hash of each lexicon tag (the tags are few and fixed).
_LEX_HASHES = mix(np.arange(len(_LEX_TAGS), dtype=np.uint64), "lex")


# The last batch's character n-grams (key, (rows, hashes)); a one-slot list so that replacing it is one assignment.
_RECENT_CHARS: list[tuple[tuple, tuple[np.ndarray, np.ndarray]] | None] = [None]


class HashedFeaturizer:
    def __init__(self, settings: FeatureSettings | None = None):
        self.settings = settings or FeatureSettings()
        self._mask = np.uint64(self.settings.n_features - 1)

    # --- character n-grams ------------------------------------------------------------------------------------
    def _char_hashes(self, texts: list[str], with_spans: bool = False) -> tuple[np.ndarray, np.ndarray, list]:
        """Row and hash of every character n-gram; with `with_spans` (one text) also its (start, size)."""
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        doc = np.repeat(np.arange(len(texts)), lengths)
        rows, hashes, spans = [], [], []
        s = self.settings
        for size in range(s.char_ngram_min, s.char_ngram_max + 1):
            starts = _same_doc_runs(doc, size)
            h = np.full(len(starts), size, dtype=np.uint64)
            for offset in range(size):
                h = h * PRIME + codes[starts + offset]
            rows.append(doc[starts])
            hashes.append(h)
            spans += [(int(p), size) for p in starts] if with_spans else []
        return np.concatenate(rows), mix(np.concatenate(hashes), "char"), spans

    def _recent_char_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`_char_hashes`, remembering the last batch: the contact and dialogue levels of a batch of plain texts
        read the same strings (a plain text's dialogue is its one turn)."""
        s = self.settings
        key = (s.char_ngram_min, s.char_ngram_max, tuple(texts))
        recent = _RECENT_CHARS[0]  # one read: another thread may replace it meanwhile
        if recent is not None and recent[0] == key:
            return recent[1]
        rows, hashes, _ = self._char_hashes(texts)
        _RECENT_CHARS[0] = (key, (rows, hashes))
        return rows, hashes

    # --- words, negated words, word pairs, lexicon tags -------------------------------------------------------
    def _word_hashes(self, tokens: list[list[str]], with_names: bool = False) -> tuple[np.ndarray, np.ndarray, list]:
        flat = list(chain.from_iterable(tokens))
        facts = WORD_FACTS.lookup(flat)
        return self._word_features(facts, np.repeat(np.arange(len(tokens)), lengths(tokens)),
                                   flat if with_names else None)

    def _word_features(self, facts: TokenFacts, doc: np.ndarray, flat: list[str] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, list]:
        """Row and hash of every word feature of a batch's tokens, from their facts and documents, in order; given
        the tokens themselves (`flat`), also a readable name per feature."""
        s, with_names = self.settings, flat is not None
        rows, hashes = [doc], [facts.word]
        names = [f"w:{t}" for t in flat] if with_names else []
        pairs = _same_doc_runs(doc, 2)
        if s.mark_negation:
            # The word after a negation is its own feature, so "不满意" and "满意" pull in opposite directions.
            after = pairs[facts.negation[pairs]] + 1
            rows.append(doc[after])
            hashes.append(facts.negated_word[after])
            names += [f"neg:{flat[p]}" for p in after] if with_names else []
        if s.word_bigrams:
            rows.append(doc[pairs])
            hashes.append(mix(facts.pair_left[pairs] + facts.hash[pairs + 1], "pair"))
            names += [f"b:{flat[p]}|{flat[p + 1]}" for p in pairs] if with_names else []
        if s.lexicon_tags:
            tag_rows, tag_ids = self._lexicon_tags(facts, doc)
            rows.append(tag_rows)
            hashes.append(_LEX_HASHES[tag_ids])
            names += [f"lex:{_LEX_TAGS[t]}" for t in tag_ids] if with_names else []
        return np.concatenate(rows), np.concatenate(hashes), names

    @staticmethod
    def _lexicon_tags(facts: TokenFacts, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Polarity and DUTIR emotion of lexicon words, flipped by a negation and marked strong by a degree adverb
        within the NEGATION_WINDOW tokens before them (in the same document). Each lexicon word gives up to three
        tags (polarity, strong polarity, emotion), built as one (hits, 3) table and its mask."""
        hits = np.flatnonzero(facts.lexical)
        if not len(hits):
            return hits, hits
        before = hits[:, None] - _WINDOW
        window = np.maximum(before, 0)
        hit_doc = doc[hits]
        inside = (before >= 0) & (doc[window] == hit_doc[:, None])
        negated = (inside & facts.negation[window]).any(axis=1)
        strong = (inside & facts.degree[window]).any(axis=1)
        sign = np.where(negated, -facts.polarity[hits], facts.polarity[hits])
        emotion = facts.emotion[hits].astype(np.int64)
        positive = sign > 0
        tags = np.column_stack([np.where(positive, 0, 1), np.where(positive, 2, 3),
                                4 + emotion + len(EMOTIONS) * negated])
        keep = np.column_stack([sign != 0, (sign != 0) & strong, emotion >= 0])
        return np.broadcast_to(hit_doc[:, None], tags.shape)[keep], tags[keep]

    # --- public API ---------------------------------------------------------------------------------------------
    def counts(self, texts: list[str], tokens: list[list[str]]) -> sp.csr_matrix:
        """Raw counts, shape (n_texts, n_features)."""
        char_rows, char_hashes = self._recent_char_hashes(list(texts))
        word_rows, word_hashes, _ = self._word_hashes(list(tokens))
        rows, hashes = np.concatenate([char_rows, word_rows]), np.concatenate([char_hashes, word_hashes])
        keys = self._keys(rows, hashes, len(texts))
        # One sort of (row, column) keys counts the duplicates and leaves the rows in CSR order.
        return self._matrix(*np.unique(keys, return_counts=True), len(texts))

    def extended_counts(self, base: sp.csr_matrix, tokens: list[list[str]], prefix: str,
                        extra: list[list[str]]) -> sp.csr_matrix:
        """`counts(texts, [t + [prefix + w for w in t] + e for t, e in zip(tokens, extra)])`, given
        `base = counts(texts, tokens)`: each token list followed by a prefixed copy of itself and extra tokens.

        Only the features that the added tokens take part in are hashed: those of each tail-plus-added list less
        those of the tail alone, the tail being the last tokens of a list, as far back as a feature of the first
        added token reaches (its word pair, a negation before it, a lexicon word's window). The satisfaction model
        reads a plain text's tokens, copies of them marked as the customer's last words, and a few markers: this
        takes half the time of featurising the whole lists."""
        tails = [t[-_CONTEXT:] for t in tokens]
        n_rows = base.shape[0]
        # The copies first: their words are the ones `counts` has just looked up for `base`.
        copies = WORD_FACTS.lookup(list(chain.from_iterable(tokens)), prefix)
        tail_facts, tail_lengths = WORD_FACTS.lookup(list(chain.from_iterable(tails))), lengths(tails)
        parts = [(tail_facts, tail_lengths), (copies, lengths(tokens)),
                 (WORD_FACTS.lookup(list(chain.from_iterable(extra))), lengths(extra))]
        rows, hashes, _ = self._word_features(*in_document_order(parts))
        keys, counts = np.unique(self._keys(rows, hashes, n_rows), return_counts=True)
        rows, hashes, _ = self._word_features(tail_facts, np.repeat(np.arange(n_rows), tail_lengths))
        tail_keys, tail_counts = np.unique(self._keys(rows, hashes, n_rows), return_counts=True)
        np.subtract.at(counts, np.searchsorted(keys, tail_keys), tail_counts)  # every tail feature is among them
        kept = counts > 0
        return base + self._matrix(keys[kept], counts[kept], n_rows)

    def _keys(self, rows: np.ndarray, hashes: np.ndarray, n_rows: int) -> np.ndarray:
        """One integer per (row, column): row * n_features + column."""
        n_features = self.settings.n_features
        # int32 keys while row * n_features fits (batches of up to 2,047 texts with 2^20 features): sorting them
        # takes half as long as int64 keys, and the sort is a tenth of the featurising.
        key_type = np.int32 if n_rows * n_features < 2**31 else np.int64
        return rows.astype(key_type) * key_type(n_features) + (hashes & self._mask).astype(key_type)

    def _matrix(self, keys: np.ndarray, counts: np.ndarray, n_rows: int) -> sp.csr_matrix:
        """The CSR matrix of sorted, distinct keys and their counts."""
        n_features = self.settings.n_features
        # int32 indices when they fit, as scipy would store them: given int64, it scans them to decide (~60 us).
        index_dtype = np.int32 if len(keys) < 2**31 else np.int64
        indptr = np.zeros(n_rows + 1, dtype=index_dtype)
        np.cumsum(np.bincount(keys // n_features, minlength=n_rows), out=indptr[1:])
        columns = (keys & keys.dtype.type(n_features - 1)).astype(np.int32)
        matrix = sp.csr_matrix((counts.astype(np.float32), columns, indptr), shape=(n_rows, n_features))
        matrix.has_canonical_format = True  # sorted and distinct: sums with other counts stay so
        return matrix

    def named_features(self, text: str, tokens: list[str]) -> dict[int, str]:
        """Column -> readable name for the features of one text, for explanations."""
        _, char_hashes, spans = self._char_hashes([text], with_spans=True)
        _, word_hashes, word_names = self._word_hashes([tokens], with_names=True)
        names = [f"c:{text[p:p + size]}" for p, size in spans] + word_names
        columns = (np.concatenate([char_hashes, word_hashes]) & self._mask).astype(np.int64)
        named: dict[int, str] = {}
        for column, name in zip(columns.tolist(), names, strict=True):
            named.setdefault(column, name)
        return named


# --- one feature matrix (and one bank pass) per batch, shared by the components --------------------------------
_CACHE: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def per_batch(key_owner: list, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, once per (batch list, key) while that list is alive: the components of a pipeline see the same
    list object, so the second one to ask for a batch's feature matrix or logits gets the first one's."""
    key = (id(key_owner), len(key_owner), *key)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is key_owner:
            return hit[1]
    value = compute()
    with _CACHE_LOCK:
        _CACHE[key] = (key_owner, value)  # holding the list keeps its id from being reused
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def batch_counts(
    featurizer: HashedFeaturizer, key_owner: list, texts: list[str], tokens: list[list[str]], level: str
) -> sp.csr_matrix:
    """Counts for `texts`, computed once per (batch list, level, settings) while that list is alive."""
    return per_batch(key_owner, ("counts", level, featurizer.settings), lambda: featurizer.counts(texts, tokens))
