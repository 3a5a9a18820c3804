"""The escalation formula on transcripts written for the purpose: calm, recovered, escalating."""

import pytest

from feedback_nlp.escalation import escalation_risk
from feedback_nlp.schema import Analysis, Turn


def transcript(*turns) -> Analysis:
    doc = Analysis(id="t", is_transcript=True)
    for speaker, text, score, emotion in turns:
        turn = Turn(speaker, text, text_norm=text)
        if speaker == "customer":
            turn.sentiment_score, turn.emotion = score, emotion
        doc.turns.append(turn)
    scores = [t.sentiment_score for t in doc.customer_turns]
    doc.sentiment_shift = scores[-1] - scores[0]
    return doc


CALM = transcript(("customer", "请问信用卡账单日可以改吗", 0.0, "none"), ("agent", "可以的", None, None),
                  ("customer", "好的谢谢", 0.5, "like"))
RECOVERED = transcript(("customer", "我的退款怎么还没到账，太慢了", -0.7, "disgust"), ("agent", "已为您加急", None, None),
                       ("customer", "收到了，谢谢你们", 0.7, "like"))
ESCALATING = transcript(("customer", "扣款有问题，麻烦查一下", -0.2, "none"), ("agent", "请耐心等待", None, None),
                        ("customer", "你们到底管不管？", -0.6, "disgust"), ("agent", "正在处理", None, None),
                        ("customer", "气死我了，我要投诉到12315，还要找媒体曝光", -0.95, "anger"))


def test_calm_is_low():
    risk, cues = escalation_risk(CALM)
    assert risk < 0.15 and cues == []


def test_recovered_stays_low_even_after_a_bad_start():
    risk, _ = escalation_risk(RECOVERED)
    assert risk < 0.3


def test_escalating_with_threat_is_high():
    risk, cues = escalation_risk(ESCALATING)
    assert risk > 0.9 and {"投诉", "12315", "曝光", "媒体"} <= set(cues)


def test_rising_anger_without_a_threat_is_in_between():
    doc = transcript(("customer", "查一下", 0.0, "none"), ("customer", "气死了，你们太差劲", -0.9, "anger"))
    risk, cues = escalation_risk(doc)
    assert cues == [] and 0.4 < risk < 0.9


@pytest.mark.parametrize("doc", [CALM, RECOVERED, ESCALATING])
def test_risk_is_a_probability(doc):
    assert 0.0 <= escalation_risk(doc)[0] <= 1.0
