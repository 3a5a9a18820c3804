"""Behaviour of the shipped models on sentences written for these tests (not taken from any training file)."""

from __future__ import annotations

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(not (ROOT / "models" / "category" / "model.json").exists(),
                                reason="the shipped category model is not in models/")


@pytest.mark.parametrize(("text", "expected"), [
    ("我上个月的信用卡账单多扣了两笔年费，一共六百块，到现在还没退给我，气死了！", "transaction_error"),
    ("在你们APP上充了一百话费，扣款成功了，可是话费一直没到账", "transaction_error"),
    ("请问一下白金卡的机场贵宾厅每年可以免费用几次？", "inquiry"),
    ("你好，我想问下怎么把手机银行的登录密码改掉", "inquiry"),
    ("你们那个快递员态度实在太恶劣了，包裹直接扔门口还骂人，必须给个说法", "complaint"),
    ("宽带断了三天没人来修，打了五次电话都说等通知，这服务真是没谁了", "complaint"),
    ("谢谢客服小李耐心帮我解决问题，给你们点个赞", "other"),
])
def test_category_on_clear_cases(nlp, text, expected):
    assert nlp(text).category == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("这次的服务我不太满意", "negative"),
    ("说实话没有不好的地方，挺满意的", "positive"),
    ("非常感谢，问题解决了，服务很好", "positive"),
    ("什么破服务，太让人失望了", "negative"),
])
def test_sentiment_handles_negation_and_intensity(nlp, text, expected):
    assert nlp(text).sentiment_label == expected


def test_a_fault_report_is_not_read_as_positive_or_negative_feeling(nlp):
    assert nlp("我家宽带从昨天晚上开始上不了网，光猫的灯一直在闪").sentiment_label == "neutral"


@pytest.mark.parametrize(("text", "expected"), [
    ("气死我了！！你们到底管不管！！", "anger"),
    ("谢谢你们，服务很好", "like"),
    ("请问营业厅周末几点开门", "none"),
])
def test_emotion_on_clear_cases(nlp, text, expected):
    assert nlp(text).emotion == expected


def test_the_turn_by_turn_trajectory_of_a_recovered_call(nlp):
    call = nlp({"id": "r1", "turns": [
        {"speaker": "客户", "text": "你们怎么回事，我的退款半个月了还没到，太过分了"},
        {"speaker": "坐席", "text": "非常抱歉给您带来不便，我马上帮您加急处理"},
        {"speaker": "客户", "text": "好的"},
        {"speaker": "坐席", "text": "已经为您处理好了，预计今天到账"},
        {"speaker": "客户", "text": "收到了，谢谢你，服务很好"},
    ]})
    customer = [t for t in call.turns if t.speaker == "customer"]
    assert customer[0].sentiment_label == "negative" and customer[-1].sentiment_label == "positive"
    assert call.sentiment_shift > 0
