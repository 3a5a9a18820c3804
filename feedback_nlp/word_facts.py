"""Per-word hashes and lexicon facts for the featurizer (`features.py`), and the hash mixing both use.

A word's facts are worked out once and kept in columns of two tables, so that a batch's tokens cost a dictionary
lookup each and a gather per fact; see `WordFacts`. A change to any hash here changes the features: bump
`features.HASHING` with it, since a model trained on the old hashes would read garbage.
"""

from __future__ import annotations

import threading
import zlib
from itertools import repeat
from typing import NamedTuple

import numpy as np

from .lexicon import EMOTIONS, load_lexicon

PRIME = np.uint64(0x100000001B3)
_SALT = {"char": 0x9E3779B97F4A7C15, "word": 0xC2B2AE3D27D4EB4F, "neg": 0x165667B19E3779F9,
         "pair": 0xD6E8FEB86659FD93, "lex": 0xFF51AFD7ED558CCD}
_SALT64 = {name: np.uint64(value) for name, value in _SALT.items()}
_MIX_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_MIX_FACTORS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def mix(h: np.ndarray, salt: str) -> np.ndarray:
    """splitmix64's finaliser: spreads similar inputs over all bits before the modulo. Unsigned array arithmetic
    wraps silently (only numpy scalars warn), so no errstate, which costs more than the arithmetic on small batches."""
    h = h ^ _SALT64[salt]
    h ^= h >> _MIX_SHIFTS[0]
    h *= _MIX_FACTORS[0]
    h ^= h >> _MIX_SHIFTS[1]
    h *= _MIX_FACTORS[1]
    h ^= h >> _MIX_SHIFTS[2]
    return h


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


def lengths(lists: list[list[str]]) -> np.ndarray:
    return np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))


def in_document_order(parts: list[tuple[TokenFacts, np.ndarray]]) -> tuple[TokenFacts, np.ndarray]:
    """The facts of several parts of each document's tokens (each part's facts flat over the batch, with its
    length per document) joined as each document's first part, then its second, ...; and each token's document."""
    sizes = np.column_stack([n for _, n in parts])
    ends = np.cumsum(sizes.ravel()).reshape(sizes.shape)  # where each (document, part) ends in the joined order
    total = int(ends[-1, -1]) if len(ends) else 0
    documents = np.arange(len(sizes))
    joined = [np.empty(total, dtype=field.dtype) for field in parts[0][0]]
    for p, (facts, n) in enumerate(parts):
        # Token k of part p, in document d, goes where (d, p) starts, plus its rank within (d, p).
        starts = np.cumsum(n) - n
        position = np.repeat(ends[:, p] - n - starts, n) + np.arange(int(n.sum()))
        for out, field in zip(joined, facts, strict=True):
            out[position] = field
    return TokenFacts(*joined), np.repeat(documents, sizes.sum(axis=1))


class WordFacts:
    """Per-word hashes and lexicon facts, worked out once per distinct word and kept (a full table, `limit` words,
    starts afresh at the next lookup).

    Vocabularies repeat from batch to batch, so after warm-up a batch costs one dictionary lookup per token and
    two gathers, instead of a CRC, three hash mixes and four lexicon lookups per word."""

    def __init__(self, limit: int = 1_000_000):
        self.limit = limit
        self._lock = threading.Lock()
        self._reset()

    def warm_up(self) -> None:
        """Load the lexicon that working out a new word's facts reads, now rather than at the first lookup."""
        load_lexicon()

    def _reset(self) -> None:
        self._index: dict[str, int] = {}
        # prefix -> the column of prefix + word, by the column of the word (-1: not worked out yet).
        self._prefixed: dict[str, np.ndarray] = {}
        self._recent: tuple[list[str], np.ndarray] | None = None  # the last tokens looked up, and their columns
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
            for prefix, columns in self._prefixed.items():
                self._prefixed[prefix] = np.concatenate([columns, np.full(grow, -1, dtype=np.int64)])
        crc = np.array([zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words], dtype=np.uint64)
        self._hashes[:, start:needed] = [crc, mix(crc, "word"), mix(crc, "neg"), mix(crc, "pair") * PRIME]
        polarity = [lexicon.polarity.get(w, 0) for w in words]
        emotion = [EMOTIONS.index(lexicon.emotion[w]) if w in lexicon.emotion else -1 for w in words]
        self._flags[:, start:needed] = [
            [w in lexicon.negations for w in words], polarity, emotion, [w in lexicon.degree for w in words],
            [p != 0 or e >= 0 for p, e in zip(polarity, emotion, strict=True)],
        ]
        return start

    def _columns(self, tokens: list[str]) -> np.ndarray:
        recent = self._recent
        if recent is not None and recent[0] == tokens:  # the same strings: compared by identity, in C
            return recent[1]
        # map, not a generator: this runs once per token; -1 marks a word not seen before.
        found = list(map(self._index.get, tokens, repeat(-1, len(tokens))))
        columns = np.array(found, dtype=np.int64)
        if -1 in found:
            new_at = np.flatnonzero(columns < 0).tolist()
            unknown = list(dict.fromkeys([tokens[i] for i in new_at]))
            start = self._add(unknown)
            self._index.update(zip(unknown, range(start, start + len(unknown))))
            columns[new_at] = [self._index[tokens[i]] for i in new_at]
        self._recent = (tokens.copy(), columns)  # a copy: the caller may change its list
        return columns

    def _prefixed_columns(self, tokens: list[str], columns: np.ndarray, prefix: str) -> np.ndarray:
        by_word = self._prefixed.get(prefix)
        if by_word is None:
            by_word = self._prefixed[prefix] = np.full(self._hashes.shape[1], -1, dtype=np.int64)
        found = by_word[columns]
        new_at = np.flatnonzero(found < 0)
        if len(new_at):
            first = dict(zip(columns[new_at].tolist(), new_at.tolist()))  # a word's column -> one of its tokens
            start = self._add([prefix + tokens[i] for i in first.values()])
            by_word = self._prefixed[prefix]  # _add may have grown it
            by_word[list(first)] = np.arange(start, start + len(first))
            found = by_word[columns]
        return found

    def lookup(self, tokens: list[str], prefix: str = "") -> TokenFacts:
        """The facts of each token, or with `prefix` those of prefix + token. The prefixed words are found by the
        words' own columns, and the columns of the tokens last looked up are kept: looking up a batch's tokens
        and then their prefixed copies costs one dictionary lookup per token, not two plus a new string."""
        with self._lock:
            if self._size >= self.limit:
                self._reset()
            columns = self._columns(tokens)
            if prefix:
                columns = self._prefixed_columns(tokens, columns, prefix)
            # Growing replaces the tables rather than resizing them, so these gathers stay valid after the lock.
            hashes, flags = self._hashes[:, columns], self._flags[:, columns]
        negation, polarity, emotion, degree, lexical = flags
        return TokenFacts(*hashes, negation.view(bool), polarity, emotion, degree.view(bool), lexical.view(bool))


WORD_FACTS = WordFacts()
