"""PII masking: phone numbers, resident IDs, bank cards, e-mail addresses and licence plates become typed placeholders.

Numbers are only masked when they pass the check a real one would (ID checksum and birth date, Luhn for cards),
so order numbers, amounts and dates survive. Runs after normalisation, so full-width digits are already ASCII.
"""

from __future__ import annotations

import re
from datetime import date

from .base import DocComponent
from .registry import register
from .schema import Analysis

# Digits must not continue on either side: "订单号202611031234567" is not a phone number.
_NO_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NO_DIGIT_AFTER = r"(?![0-9])"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(_NO_DIGIT_BEFORE + r"([1-9]\d{5})((?:18|19|20)\d{2})(\d{2})(\d{2})(\d{3})([0-9Xx])" + _NO_DIGIT_AFTER)
# 13-19 digits, optionally grouped by single spaces or dashes (6222 0212 3456 7890).
_CARD = re.compile(_NO_DIGIT_BEFORE + r"(\d(?:[ \-]?\d){12,18})" + _NO_DIGIT_AFTER)
_MOBILE = re.compile(_NO_DIGIT_BEFORE + r"(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}" + _NO_DIGIT_AFTER)
# Landlines need the trunk prefix 0 and a separator or a bracket, so a bare 8-digit amount is left alone.
_LANDLINE = re.compile(_NO_DIGIT_BEFORE + r"(?:\(0\d{2,3}\)|0\d{2,3}-)\s?[2-9]\d{6,7}(?:-\d{1,5})?" + _NO_DIGIT_AFTER)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Za-hj-np-z][·\s]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}[A-HJ-NP-Za-hj-np-z0-9挂学警]"
    r"(?![A-Za-z0-9])"
)
# A long digit string right after these words is a reference number, not a card.
_REFERENCE_WORDS = re.compile(r"(订单|单号|运单|流水|编号|工单|快递|交易号|凭证|账单号|号码是?订单)[号:：是为\s]*$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

PLACEHOLDERS = ("<PHONE>", "<ID>", "<CARD>", "<EMAIL>", "<PLATE>")


def is_valid_resident_id(number: str) -> bool:
    """GB 11643 checksum plus a real birth date."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_ANY_DIGIT = re.compile(r"\d")


def mask_pii(text: str) -> str:
    """Replace every PII span in `text` by its placeholder."""
    if "@" not in text and not _ANY_DIGIT.search(text):
        return _PLATE.sub("<PLATE>", text)
    text = _EMAIL.sub("<EMAIL>", text)
    text = _ID_CARD.sub(lambda m: "<ID>" if is_valid_resident_id(m.group(0)) else m.group(0), text)

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"[ \-]", "", match.group(1))
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            return match.group(0)
        if _REFERENCE_WORDS.search(text[max(0, match.start() - 8) : match.start()]):
            return match.group(0)
        return "<CARD>"

    # Phones first: "+86 138-1234-5678" has 13 digits and could pass Luhn by chance.
    text = _MOBILE.sub("<PHONE>", text)
    text = _LANDLINE.sub("<PHONE>", text)
    text = _CARD.sub(card, text)
    return _PLATE.sub("<PLATE>", text)


@register("mask_pii")
class PiiMasker(DocComponent):
    """Masks PII in every turn's normalised text (on by default: outputs never carry the raw numbers)."""

    def process(self, doc: Analysis) -> None:
        for turn in doc.turns:
            turn.text_norm = mask_pii(turn.text_norm)
