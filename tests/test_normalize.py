import pytest

from feedback_nlp.normalize import Normalizer


@pytest.fixture(scope="module")
def norm():
    return Normalizer()


def test_traditional_to_simplified(norm):
    assert norm.normalize("這個服務態度太差了，還沒到賬") == "这个服务态度太差了,还没到账"


def test_fullwidth_to_halfwidth_and_whitespace(norm):
    assert norm.normalize("ＡＢＣ１２３　　退款\t\t没到") == "abc123 退款 没到"


def test_controls_removed(norm):
    assert norm.normalize("退款\x07没\u200b到") == "退款 没 到"


def test_placeholders(norm):
    out = norm.normalize("@中国移动 看这里 https://t.cn/abc 气死了😡😡")
    assert out == "<MENTION> 看这里 <URL> 气死了 <EMOJI>"


def test_asr_fillers_are_optional():
    text = "嗯 那个那个我的卡呃被扣了"
    assert "那个那个" in Normalizer().normalize(text)
    cleaned = Normalizer(remove_asr_fillers=True).normalize(text)
    assert "那个那个" not in cleaned and not cleaned.startswith("嗯")


def test_weibo_bracket_emoticons_are_kept(norm):
    assert norm.normalize("服务真好[赞]") == "服务真好[赞]"


@pytest.mark.parametrize("text, expected", [
    ("退款  没到", "退款 没到"), ("退款\r\n没到", "退款 没到"), ("退款 \n 没到", "退款 没到"), ("退款 没到", "退款 没到"),
    ("VIP会员 <URL> ABC", "vip会员 <URL> abc"), ("ΩMEGA", "Ωmega"), ("没有大写", "没有大写"),
])
def test_whitespace_and_case_only_change_where_they_need_to(norm, text, expected):
    # Both steps skip texts that have nothing to change: the skips must not miss one that has.
    assert norm.normalize(text) == expected
