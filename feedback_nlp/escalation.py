"""Escalation risk in [0, 1]: is this customer about to complain upwards, leave, or go public?

    risk = 1 - (1 - cue) * (1 - mood)

    cue  = 0.9 for an explicit escalation threat (投诉/12315/曝光/媒体/律师/工信部/消协/银保监/销户/退订…) in a customer
           turn, 0.5 for a milder one (要求赔偿, 找你们领导, 差评), else 0.
    mood = 0.45 * negativity + 0.35 * heat + 0.20 * rising, where, over the customer turns,
           negativity = max(0, -sentiment of the last customer turn) (the contact's own for a plain text),
           heat       = the share of customer turns whose emotion is anger or disgust,
           rising     = max(0, -sentiment_shift) / 2, how much worse the mood got from first to last turn.

A calm contact scores near 0, a recovered one (negative start, positive end) stays low because negativity and
rising are read at the end, and an escalating one with a threat scores above 0.9. The components `sentiment` and
`emotion` must run first.
"""

from __future__ import annotations

import re

from .base import DocComponent
from .registry import register
from .schema import Analysis

STRONG_CUES = re.compile(
    r"投诉|12315|12345|消协|消费者协会|曝光|媒体|记者|报社|电视台|律师|起诉|法院|打官司|工信部|银保监|银监会|人民银行|"
    r"市场监管|315|销户|销号|退订|注销|携号转网|换(?:一)?家|再也不用|报警"
)
MILD_CUES = re.compile(r"赔偿|找(?:你们)?领导|经理|主管|差评|上级|说法|给个交代|没完")


def escalation_risk(doc: Analysis) -> tuple[float, list[str]]:
    turns = doc.customer_turns or doc.turns
    text = " ".join(t.text_norm for t in turns)
    strong = sorted(set(STRONG_CUES.findall(text)))
    mild = sorted(set(MILD_CUES.findall(text)))
    cue = 0.9 if strong else 0.5 if mild else 0.0

    last = next((t.sentiment_score for t in reversed(turns) if t.sentiment_score is not None), doc.sentiment_score)
    negativity = max(0.0, -(last or 0.0))
    emotions = [t.emotion for t in turns if t.emotion] or ([doc.emotion] if doc.emotion else [])
    heat = sum(e in ("anger", "disgust") for e in emotions) / len(emotions) if emotions else 0.0
    rising = max(0.0, -(doc.sentiment_shift or 0.0)) / 2
    mood = 0.45 * negativity + 0.35 * heat + 0.20 * rising
    return round(1 - (1 - cue) * (1 - min(mood, 1.0)), 4), strong + mild


@register("escalation")
class EscalationScorer(DocComponent):
    requires = ("sentiment",)

    def process(self, doc: Analysis) -> None:
        doc.escalation_risk, doc.escalation_cues = escalation_risk(doc)
