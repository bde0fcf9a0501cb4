"""Order numbers, ticket numbers, card keys, phones and emails told apart in real messages."""

from __future__ import annotations

from datetime import datetime

from yiwen.bot.nlu import understand
from yiwen.core.clock import SHANGHAI

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def slots(text: str, **kwargs: object) -> dict[str, object]:
    return understand(text, NOW, **kwargs).slots.as_json()  # type: ignore[arg-type]


def test_dujiaoka_order_number_inside_chinese_text_is_found() -> None:
    assert slots("订单号K3F9ZQ2M8TX1B7RA卡密没收到")["order_no"] == ["K3F9ZQ2M8TX1B7RA"]


def test_dated_order_number_is_not_read_as_phone_time_or_amount() -> None:
    found = slots("20261121143015123456 付了50元还没到")
    assert found["order_no"] == ["20261121143015123456"]
    assert "phone" not in found
    assert found["amount"] == 50
    assert "time" not in found


def test_several_order_numbers_are_kept_in_order_as_written() -> None:
    found = slots("两个单 k3f9zq2m8tx1b7ra 和 20261120091206000321 都没到")
    assert found["order_no"] == ["k3f9zq2m8tx1b7ra", "20261120091206000321"]


def test_phone_number_is_not_an_order_number() -> None:
    found = slots("我手机号13812345678，帮我查下订单")
    assert found == {"phone": "13812345678"}


def test_phone_written_with_country_code_and_dashes_is_normalised() -> None:
    assert slots("电话 +86 138-1234-5678")["phone"] == "13812345678"


def test_card_key_with_dashes_is_not_an_order_number() -> None:
    for key in ("X7K2P-9QW3E-LM4RT", "A1B2C3-D4E5F6-G7H8I9", "ABCD-EF12-GH34-IJ56"):
        found = slots(f"卡密 {key} 显示已被使用")
        assert found == {"card_key": key}


def test_ticket_number_is_upper_cased_and_not_a_card_key_or_order() -> None:
    found = slots("工单yw20261122-000123怎么样了")
    assert found == {"ticket_no": "YW20261122-000123"}


def test_ticket_prefix_is_configurable() -> None:
    found = slots("工单 KF20261122-000009 进度", ticket_prefix="KF")
    assert found == {"ticket_no": "KF20261122-000009"}


def test_email_holding_a_mobile_number_is_an_email_not_a_phone() -> None:
    found = slots("邮箱13812345678@qq.com没收到卡密")
    assert found == {"email": "13812345678@qq.com"}


def test_connector_patterns_decide_what_an_order_number_is() -> None:
    patterns = (r"SO\d{10}",)
    assert slots("单子 SO2026112201 没到", order_patterns=patterns)["order_no"] == ["SO2026112201"]
    # The demo format is not an order number for a shop that never issues it.
    assert "order_no" not in slots("K3F9ZQ2M8TX1B7RA 没到", order_patterns=patterns)


def test_unknown_format_right_after_the_word_order_number_is_taken() -> None:
    assert slots("订单号：8812345600 没发货")["order_no"] == ["8812345600"]


def test_plain_english_words_are_not_order_numbers() -> None:
    assert slots("steam cdk activation failed") == {}


def test_traditional_characters_and_full_width_digits_still_give_slots() -> None:
    found = slots("訂單號ＫＳ３Ｆ９ＺＱ２Ｍ８ＴＸ１Ｂ７Ｒ 用支付寶付了５０元")
    assert found["payment_method"] == "alipay"
    assert found["amount"] == 50
    assert found["order_no"] == ["KS3F9ZQ2M8TX1B7R"]
