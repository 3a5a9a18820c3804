"""Word segmentation with jieba (or rjieba, its Rust port, for speed) and the shipped domain dictionary."""

from __future__ import annotations

import importlib.util
import re
import threading
from functools import lru_cache
from pathlib import Path

from . import errors
from .base import DocComponent
from .registry import register
from .resources import lexicon_path
from .schema import Analysis

# Placeholders inserted by normalisation and masking stay single tokens.
_PLACEHOLDER = re.compile(r"(<[A-Z]+>)")
_DROP = re.compile(r"^[\s\W_]+$")  # whitespace and punctuation-only tokens (placeholders are kept separately)


@lru_cache(maxsize=500_000)
def _is_word(token: str) -> bool:
    # Cached: a regex call per token was a tenth of the preprocessing time, and vocabularies repeat.
    return not _DROP.match(token)


def read_word_list(path: Path) -> list[str]:
    return [entry[0] for entry in read_dictionary(path)]


def read_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """jieba user-dictionary lines `word [freq] [tag]`; `#` starts a comment."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append((parts[0], freq, tag))
    return entries


@lru_cache(maxsize=4)
def load_stopwords(path: str | None = None) -> frozenset[str]:
    return frozenset(read_word_list(Path(path) if path else lexicon_path("stopwords.txt")))


_LOCK = threading.Lock()
BACKENDS = ("rjieba", "jieba")  # the default first


def _rjieba_class() -> type:
    """rjieba's `Jieba`, taken from its compiled module without running the package's `__init__`, which builds a
    module-level tokenizer with the default dictionary that we never use (0.1 s of every process's start-up).
    Falls back to a plain import if the package is laid out differently; `import rjieba` afterwards still works
    and hands out the same class."""
    spec = importlib.util.find_spec("rjieba")
    if spec is None:
        raise errors.dependency_missing("rjieba")
    for folder in spec.submodule_search_locations or ():
        for candidate in Path(folder).glob("rjieba.*"):
            if candidate.suffix in (".so", ".pyd"):
                compiled = importlib.util.spec_from_file_location("rjieba.rjieba", candidate)
                if compiled is not None and compiled.loader is not None:
                    module = importlib.util.module_from_spec(compiled)
                    compiled.loader.exec_module(module)
                    return module.Jieba
    import rjieba

    return rjieba.Jieba


@lru_cache(maxsize=4)
def _tokenizer(backend: str, user_dict: str):
    """One tokenizer per (backend, dictionary), built once per process: loading jieba's dictionary takes ~1 s."""
    entries = read_dictionary(Path(user_dict))
    if backend == "rjieba":
        tokenizer = _rjieba_class()()
        for word, freq, tag in entries:
            tokenizer.add_word(word, freq, tag)
        return lambda text: tokenizer.cut(text, True)
    if backend == "jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, freq, tag in entries:
            tokenizer.add_word(word, freq, tag)
        return lambda text: tokenizer.lcut(text, HMM=True)
    raise errors.unknown_segmenter(backend, BACKENDS)


@register("segment")
class Segmenter(DocComponent):
    """Splits every turn into words; punctuation is dropped, placeholders such as <PHONE> are kept whole."""

    def __init__(self, backend: str = "rjieba", user_dict: str | None = None):
        if backend not in BACKENDS:
            raise errors.unknown_segmenter(backend, BACKENDS)
        self.backend = backend
        self.user_dict = str(user_dict or lexicon_path("domain_dict.txt"))
        if not Path(self.user_dict).is_file():
            raise errors.dictionary_not_found(self.user_dict)
        self._cut = None  # built by warm_up or the first batch: workers build theirs in parallel, not the parent

    def warm_up(self) -> None:
        self._cutter()

    def _cutter(self):
        if self._cut is None:
            with _LOCK:
                self._cut = _tokenizer(self.backend, self.user_dict)
        return self._cut

    @classmethod
    def from_config(cls, settings: dict, base_dir: Path) -> Segmenter:
        user_dict = settings.get("user_dict")
        if user_dict:
            user_dict = str((Path(base_dir) / user_dict).resolve())
        return cls(backend=settings.get("backend", "rjieba"), user_dict=user_dict)

    def tokenize(self, text: str) -> list[str]:
        cut = self._cut or self._cutter()
        tokens: list[str] = []
        for piece in _PLACEHOLDER.split(text):
            if not piece:
                continue
            if piece.startswith("<") and _PLACEHOLDER.fullmatch(piece):
                tokens.append(piece)
                continue
            tokens.extend([t for t in cut(piece) if t.isalnum() or _is_word(t)])  # isalnum: the fast yes
        return tokens

    def process(self, doc: Analysis) -> None:
        for turn in doc.turns:
            turn.tokens = self.tokenize(turn.text_norm)
        doc.tokens = [tok for turn in doc.turns for tok in turn.tokens or []]
