"""Text normalisation: one canonical form for every turn before masking, segmentation and the models."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .base import DocComponent
from .registry import register
from .schema import Analysis

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space map to their half-width forms, so that "１３８" and
# "ＡＢＣ" are read as digits and letters by the PII patterns and the models.
# A regex finding them beats str.translate, which looks up every character of the text in a dict (2x as slow on
# a typical complaint with a handful of full-width commas).
_FULLWIDTH = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_FULLWIDTH_CHAR = re.compile("[\uff01-\uff5e\u3000]")

_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]+", re.IGNORECASE)
# Weibo mentions end at whitespace or punctuation; names are at most ~20 characters, which keeps a missing space
# from swallowing the sentence that follows.
_MENTION = re.compile(r"@[\w\-·]{1,20}")
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\U00002B00-\U00002BFF\uFE0F\u200D]+"
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
# ASR fillers: hesitation sounds, and stutters of a short word said two or more times in a row.
_FILLER_SOUNDS = re.compile(r"(?:(?<=^)|(?<=[\s,.!?。，！？]))[嗯呃额唔哦啊]+[,，。.]?\s*")
_STUTTER = re.compile(r"(那个|就是|然后|这个|我|你|他)(?:\1)+")


@lru_cache(maxsize=1)
def _opencc_t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _strip_controls(text: str) -> str:
    if text.isprintable():  # the common case, checked in C; the loop below only runs on texts that need it
        return text
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text
    )


@register("normalize")
class Normalizer(DocComponent):
    """Traditional to simplified, full-width to half-width, whitespace, URL/@mention/emoji placeholders, fillers."""

    def __init__(
        self,
        traditional_to_simplified: bool = True,
        fullwidth_to_halfwidth: bool = True,
        replace_urls: bool = True,
        replace_mentions: bool = True,
        replace_emoji: bool = True,
        remove_asr_fillers: bool = False,
        lowercase: bool = True,
    ):
        self.traditional_to_simplified = traditional_to_simplified
        self.fullwidth_to_halfwidth = fullwidth_to_halfwidth
        self.replace_urls = replace_urls
        self.replace_mentions = replace_mentions
        self.replace_emoji = replace_emoji
        self.remove_asr_fillers = remove_asr_fillers
        self.lowercase = lowercase

    def normalize(self, text: str) -> str:
        if self.fullwidth_to_halfwidth:
            text = _FULLWIDTH_CHAR.sub(_to_halfwidth, text)
        text = _strip_controls(text)
        if self.traditional_to_simplified:
            text = _opencc_t2s().convert(text)
        if self.replace_urls:
            text = _URL.sub(" <URL> ", text)
        if self.replace_mentions:
            text = _MENTION.sub(" <MENTION> ", text)
        if self.replace_emoji:
            text = _EMOJI.sub(" <EMOJI> ", text)
        if self.remove_asr_fillers:
            text = _STUTTER.sub(r"\1", text)
            text = _FILLER_SOUNDS.sub("", text)
        # Most texts have no capital letter: lower() finds that out 2x as fast as the regex finding nothing.
        if self.lowercase and text.lower() != text:
            # Lower-case Latin letters only; the placeholders stay upper-case so they never collide with words.
            text = _UPPER_WORD.sub(_lower, text)
        text = text.replace("\n", " ")
        # Likewise, _SPACES changes only these, which most texts lack: `in` finds that out 3x as fast.
        if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
            text = _SPACES.sub(" ", text)
        return text.strip()

    def process(self, doc: Analysis) -> None:
        for turn in doc.turns:
            turn.text_norm = self.normalize(turn.text)


_UPPER_WORD = re.compile(r"[A-Z]+(?![A-Z]*>)")


def _to_halfwidth(match: re.Match[str]) -> str:
    return _FULLWIDTH[match.group(0)]


def _lower(match: re.Match[str]) -> str:
    return match.group(0).lower()
