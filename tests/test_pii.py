import pytest

from feedback_nlp.pii import is_valid_resident_id, luhn_valid, mask_pii


def make_resident_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def make_card(prefix: str) -> str:
    for last in "0123456789":
        if luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError


VALID_ID = make_resident_id("11010519491231002")
VALID_CARD = make_card("622202123456789012")  # 19 digits


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的电话13812345678请回电", "我的电话<PHONE>请回电"),
        ("打+86 138-1234-5678找我", "打<PHONE>找我"),
        ("座机010-62345678转分机", "座机<PHONE>转分机"),
        ("拨(0512)66668888", "拨<PHONE>"),
        (f"身份证号{VALID_ID}", "身份证号<ID>"),
        (f"卡号{VALID_CARD}被盗刷", "卡号<CARD>被盗刷"),
        ("卡号 4111 1111 1111 1111 被冻结", "卡号 <CARD> 被冻结"),
        ("发邮件到zhang.san@example.com.cn吧", "发邮件到<EMAIL>吧"),
        ("车牌苏C12345被拖走", "车牌<PLATE>被拖走"),
        ("新能源车粤B·D12345", "新能源车<PLATE>"),
    ],
)
def test_each_pii_type_is_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单金额12345678元已支付",  # an amount, not a landline
        "2026-11-03 14:30下的单",  # a date and time
        "订单号202611031234567890还没发货",  # a long order number
        "运单号4111111111111111显示已签收",  # Luhn-valid but a reference number
        "尾号6688的卡扣了￥128.50",  # a card tail and an amount
        "退款3000元什么时候到账",
        "客服电话95588和400-820-8820",  # service numbers are not personal data
        "身份证110105194912310020",  # checksum wrong: not an ID, and left alone
        "第12345678901号工单",  # 11 digits that are not a mobile (starts 12)
    ],
)
def test_false_positives_are_left_alone(text):
    assert mask_pii(text) == text


def test_id_checksum_and_birth_date():
    assert is_valid_resident_id(VALID_ID)
    assert not is_valid_resident_id(VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"))
    assert not is_valid_resident_id(make_resident_id("11010519491332002"))  # month 13


def test_masking_runs_in_the_pipeline_after_fullwidth_normalisation(base_nlp):
    doc = base_nlp("电话１３８１２３４５６７８")
    assert doc.to_dict()["text_masked"] == "电话<PHONE>"
