import pytest

from feedback_nlp import errors
from feedback_nlp.transcript import TranscriptParser


@pytest.fixture(scope="module")
def parser():
    return TranscriptParser()


def test_plain_text_is_one_customer_turn(parser):
    doc = parser("我的卡被扣了两次")
    assert not doc.is_transcript
    assert [(t.speaker, t.text) for t in doc.turns] == [("customer", "我的卡被扣了两次")]


def test_turn_list_with_times_and_speaker_names(parser):
    doc = parser({"id": 7, "channel": "phone", "turns": [
        {"speaker": "客户", "text": "喂", "start": 0, "end": 1.5},
        {"speaker": "坐席", "text": "您好", "start": "1.5", "end": 3},
        {"speaker": "helpdesk", "text": "请讲"},
    ]})
    assert doc.id == "7" and doc.is_transcript and doc.meta == {"channel": "phone"}
    assert [t.speaker for t in doc.turns] == ["customer", "agent", "agent"]
    assert doc.turns[1].start == 1.5 and doc.turns[2].start is None


def test_stc3_shape(parser):
    doc = parser({"id": "1", "turns": [
        {"sender": "customer", "utterances": ["第一句", "第二句"]},
        {"sender": "helpdesk", "utterances": ["回复"]},
    ]})
    assert doc.turns[0].text == "第一句 第二句"


@pytest.mark.parametrize("colon", [":", "："])
def test_role_lines(parser, colon):
    text = f"客户{colon}我要退款\n坐席{colon}好的\n请稍等\n来电人{colon}谢谢"
    doc = parser(text)
    assert doc.is_transcript
    assert [(t.speaker, t.text) for t in doc.turns] == [
        ("customer", "我要退款"), ("agent", "好的 请稍等"), ("customer", "谢谢")]


def test_multiline_text_without_roles_stays_plain(parser):
    doc = parser("第一行\n第二行")
    assert not doc.is_transcript and len(doc.turns) == 1


def test_unknown_speaker_is_a_clear_error(parser):
    with pytest.raises(errors.RecordError, match="unknown speaker"):
        parser({"turns": [{"speaker": "robot42", "text": "hi"}]})


def test_speaker_map_extends_names():
    parser = TranscriptParser(speaker_map={"销售": "agent"})
    doc = parser({"turns": [{"speaker": "销售", "text": "您好"}, {"speaker": "客户", "text": "在"}]})
    assert doc.turns[0].speaker == "agent"


def test_empty_and_too_long(parser):
    with pytest.raises(errors.RecordError) as info:
        parser("   ")
    assert info.value.code == "empty_text"
    doc = TranscriptParser(max_chars=10)("长" * 50)
    assert doc.truncated and len(doc.turns[0].text) == 10
