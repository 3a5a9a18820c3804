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
import zlib
from collections import OrderedDict
from itertools import chain, repeat
from dataclasses import asdict, dataclass
from typing import Any, Callable, NamedTuple, TypeVar

import numpy as np
import scipy.sparse as sp

from .lexicon import EMOTIONS, NEGATION_WINDOW, load_lexicon

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


_PRIME = np.uint64(0x100000001B3)
_SALT = {"char": 0x9E3779B97F4A7C15, "word": 0xC2B2AE3D27D4EB4F, "neg": 0x165667B19E3779F9,
         "pair": 0xD6E8FEB86659FD93, "lex": 0xFF51AFD7ED558CCD}
_LEX_TAGS = ("pos", "neg", "strong_pos", "strong_neg", *EMOTIONS, *(f"negated_{e}" for e in EMOTIONS))
_WINDOW = np.arange(1, NEGATION_WINDOW + 1)  # how far back a negation or degree adverb reaches
_CONTEXT = max(NEGATION_WINDOW, 1)  # how many tokens before it any word feature of a token reads


_SALT64 = {name: np.uint64(value) for name, value in _SALT.items()}
_MIX_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MIX_FACTORS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mix(h: np.ndarray, salt: str) -> np.ndarray:
    """splitmix64's finaliser: spreads similar inputs over all bits before the modulo. Unsigned array arithmetic
    wraps silently (only numpy scalars warn), so no errstate, which costs more than the arithmetic on small batches."""
    h = h ^ _SALT64[salt]
    h ^= h >> _MIX_SHIFTS[0]
    h *= _MIX_FACTORS[0]
    h ^= h >> _MIX_SHIFTS[1]
    h *= _MIX_FACTORS[1]
    h ^= h >> _MIX_SHIFTS[2]
    return h


def _same_doc_runs(doc: np.ndarray, size: int) -> np.ndarray:
    """Start positions p where doc[p] .. doc[p + size - 1] all belong to one document."""
    if len(doc) < size:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(len(doc) - size + 1)
    return starts[doc[starts] == doc[starts + size - 1]]


class TokenFacts(NamedTuple):
    """What the featurizer needs of each token of a batch, one array entry per token."""

    hash: np.ndarray  # CRC-32 of the word, uint64
    word: np.ndarray  # the word's feature hash, uint64
    negated_word: np.ndarray  # its feature hash after a negation, uint64
    pair_left: np.ndarray  # its part of a word pair's hash, uint64
    negation: np.ndarray  # bool
    polarity: np.ndarray  # int8: -1, 0, 1
    emotion: np.ndarray  # int8: index into EMOTIONS, -1 for none
    degree: np.ndarray  # bool: a degree adverb
    lexical: np.ndarray  # bool: has a polarity or an emotion


def _lengths(lists: list[list[str]]) -> np.ndarray:
    return np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))


def _in_document_order(parts: list[tuple[TokenFacts, np.ndarray]]) -> tuple[TokenFacts, np.ndarray]:
    """The facts of several parts of each document's tokens (each part's facts flat over the batch, with its
    length per document) joined as each document's first part, then its second, ...; and each token's document."""
    lengths = np.column_stack([n for _, n in parts])
    ends = np.cumsum(lengths.ravel()).reshape(lengths.shape)  # where each (document, part) ends in the joined order
    total = int(ends[-1, -1]) if len(ends) else 0
    documents = np.arange(len(lengths))
    joined = [np.empty(total, dtype=field.dtype) for field in parts[0][0]]
    for p, (facts, n) in enumerate(parts):
        # Token k of part p, in document d, goes where (d, p) starts, plus its rank within (d, p).
        starts = np.cumsum(n) - n
        position = np.repeat(ends[:, p] - n - starts, n) + np.arange(int(n.sum()))
        for out, field in zip(joined, facts, strict=True):
            out[position] = field
    return TokenFacts(*joined), np.repeat(documents, lengths.sum(axis=1))


class WordFacts:
    """Per-word hashes and lexicon facts, worked out once per distinct word and kept (up to `limit` words).

    Vocabularies repeat from batch to batch, so after warm-up a batch costs one dictionary lookup per token and
    two gathers, instead of a CRC, three hash mixes and four lexicon lookups per word."""

    def __init__(self, limit: int = 1_000_000):
        self.limit = limit
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._index: dict[str, int] = {}
        # prefix -> {word: the row of prefix + word}: the prefixed string is built once, when first seen.
        self._prefixed: dict[str, dict[str, int]] = {}
        self._size = 0
        # One row per fact, one column per word: a batch's gather gives each fact as a contiguous array.
        self._hashes = np.zeros((4, 1024), dtype=np.uint64)  # hash, word, negated_word, pair_left
        self._flags = np.zeros((5, 1024), dtype=np.int8)  # negation, polarity, emotion, degree, lexical

    def _add(self, words: list[str]) -> int:
        """Work out the facts of `words` into new columns; returns the first one."""
        lexicon = load_lexicon()
        start = self._size
        needed = self._size = start + len(words)
        if needed > self._hashes.shape[1]:
            grow = max(needed, 2 * self._hashes.shape[1]) - self._hashes.shape[1]
            self._hashes = np.concatenate([self._hashes, np.zeros((4, grow), np.uint64)], axis=1)
            self._flags = np.concatenate([self._flags, np.zeros((5, grow), np.int8)], axis=1)
        crc = np.array([zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words], dtype=np.uint64)
        self._hashes[:, start:needed] = [crc, _mix(crc, "word"), _mix(crc, "neg"), _mix(crc, "pair") * _PRIME]
        polarity = [lexicon.polarity.get(w, 0) for w in words]
        emotion = [EMOTIONS.index(lexicon.emotion[w]) if w in lexicon.emotion else -1 for w in words]
        self._flags[:, start:needed] = [
            [w in lexicon.negations for w in words], polarity, emotion, [w in lexicon.degree for w in words],
            [p != 0 or e >= 0 for p, e in zip(polarity, emotion, strict=True)],
        ]
        return start

    def lookup(self, tokens: list[str], prefix: str = "") -> TokenFacts:
        """The facts of each token, or with `prefix` those of prefix + token (found by the token itself: cheaper
        than building and hashing the prefixed string again for every occurrence)."""
        with self._lock:
            index = self._prefixed.setdefault(prefix, {}) if prefix else self._index
            # map, not a generator: this runs once per token; -1 marks a word not seen before.
            found = list(map(index.get, tokens, repeat(-1, len(tokens))))
            rows = np.array(found, dtype=np.int64)
            if -1 in found:
                new_at = np.flatnonzero(rows < 0).tolist()
                unknown = list(dict.fromkeys([tokens[i] for i in new_at]))
                if self._size + len(unknown) > self.limit:
                    self._reset()
                    index = self._prefixed.setdefault(prefix, {}) if prefix else self._index
                    unknown, new_at = list(dict.fromkeys(tokens)), range(len(tokens))
                start = self._add([prefix + w for w in unknown] if prefix else unknown)
                index.update(zip(unknown, range(start, start + len(unknown))))
                rows[new_at] = [index[tokens[i]] for i in new_at]
            # Growing replaces the tables rather than resizing them, so these gathers stay valid after the lock.
            hashes, flags = self._hashes[:, rows], self._flags[:, rows]
        negation, polarity, emotion, degree, lexical = flags
        return TokenFacts(*hashes, negation.view(bool), polarity, emotion, degree.view(bool), lexical.view(bool))


WORD_FACTS = WordFacts()
# The feature hash of each lexicon tag (the tags are few and fixed).
_LEX_HASHES = _mix(np.arange(len(_LEX_TAGS), dtype=np.uint64), "lex")


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
                h = h * _PRIME + codes[starts + offset]
            rows.append(doc[starts])
            hashes.append(h)
            spans += [(int(p), size) for p in starts] if with_spans else []
        return np.concatenate(rows), _mix(np.concatenate(hashes), "char"), spans

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
        return self._word_features(facts, np.repeat(np.arange(len(tokens)), _lengths(tokens)),
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
            hashes.append(_mix(facts.pair_left[pairs] + facts.hash[pairs + 1], "pair"))
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
        parts = [(WORD_FACTS.lookup(list(chain.from_iterable(tails))), _lengths(tails)),
                 (WORD_FACTS.lookup(list(chain.from_iterable(tokens)), prefix), _lengths(tokens)),
                 (WORD_FACTS.lookup(list(chain.from_iterable(extra))), _lengths(extra))]
        rows, hashes, _ = self._word_features(*_in_document_order(parts))
        keys, counts = np.unique(self._keys(rows, hashes, n_rows), return_counts=True)
        rows, hashes, _ = self._word_hashes(tails)
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
