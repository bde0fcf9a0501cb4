"""Phrasings real customers use that the NLU once misread, one behaviour per test."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from yiwen.bot.nlu import AFFIRM, DENY, understand
from yiwen.bot.nlu.text import normalise
from yiwen.core.clock import SHANGHAI

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tk进度", "退款进度"),
        ("转rg", "转人工"),
        ("KM用不了", "卡密用不了"),
        ("wzry点劵还没到帐", "王者荣耀点券还没到账"),
        ("qb怎么卖", "Q币怎么卖"),
        ("充直的结晶没到", "直充的结晶没到"),
    ],
)
def test_pinyin_initials_and_homophones_are_spelled_out(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("text", ["tk@qq.com", "AB12-TK34-KMQQ", "订单TKQ2M8KX4Q9ZD7", "跑了5km"])
def test_initials_inside_identifiers_and_units_are_left_alone(text: str) -> None:
    assert normalise(text) == text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("tk进度", "refund_status"),
        ("rg", "human_agent"),
        ("有活人吗", "human_agent"),
        ("你是机器人吗", "out_of_scope"),
        ("卡密是用过的 不退款就去黑猫", "complaint"),
        ("重复扣款了 把多扣的那笔退回来", "payment_issue"),
        ("工单YW20261120-000213 那张卡还是兑换失败", "card_invalid"),
        ("卡密用不了 退钱还是换卡你们决定", "card_invalid"),
        ("港区的卡我国区账号兑换不了", "card_invalid"),
        ("退款显示退到余额里了 可余额还是原来的", "balance_issue"),
        ("充值送的赠金没到账", "promo_issue"),
        ("顺丰快递单号查一下", "out_of_scope"),
    ],
)
def test_phrasing_is_read_as_its_intent(text: str, intent: str) -> None:
    assert understand(text, NOW).intent == intent


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("是的", AFFIRM),
        ("对", AFFIRM),
        ("嗯嗯", AFFIRM),
        ("没错", AFFIRM),
        ("对，就是这个", AFFIRM),
        ("不是", DENY),
        ("不对", DENY),
        ("不是的", DENY),
        ("没有", DENY),
    ],
)
def test_a_bare_yes_or_no_is_an_answer_not_an_intent(text: str, flag: str) -> None:
    result = understand(text, NOW)
    assert result.flags == {flag}
    # Never something the dialogue would act on (a complaint, a handoff, an SOP).
    assert result.intent == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "flag", "intent"),
    [
        ("不是这个单 是K3F9ZQ2M8TX1B7RA", DENY, "order_status"),
        ("好的谢谢", AFFIRM, "thanks"),
    ],
)
def test_a_yes_or_no_opening_a_message_is_flagged_and_the_rest_still_read(
    text: str, flag: str, intent: str
) -> None:
    result = understand(text, NOW)
    assert flag in result.flags
    assert result.intent == intent


@pytest.mark.parametrize(
    "text", ["是不是发错了", "对不起我刚看错了", "好久都没到账", "这个不是我买的"]
)
def test_words_that_only_look_like_yes_or_no_carry_no_answer(text: str) -> None:
    assert understand(text, NOW).flags.isdisjoint({AFFIRM, DENY})


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("花了一百二买的月卡", Decimal("120")),
        ("50r 退我", Decimal("50")),
        ("花了五十米", Decimal("50")),
        ("钱包被盗刷了200", Decimal("200")),
        ("充值余额没到账 充了一百", Decimal("100")),
        ("一百块的话费 充了50", Decimal("50")),
        ("18块，不对 是50块", Decimal("50")),
        ("扣了两次 一次30", Decimal("30")),
    ],
)
def test_amounts_in_slang_chinese_numerals_and_corrections(text: str, amount: Decimal) -> None:
    assert understand(text, NOW).slots.amount == amount


@pytest.mark.parametrize("text", ["充了200多", "付了一百多", "退一下"])
def test_inexact_figures_and_counts_give_no_amount(text: str) -> None:
    assert understand(text, NOW).slots.amount is None


@pytest.mark.parametrize(
    ("text", "method"),
    [("能不能把钱退到余额里", "balance"), ("退款说退回余额了", "balance")],
)
def test_refund_to_the_wallet_names_the_balance(text: str, method: str) -> None:
    assert understand(text, NOW).slots.payment_method == method


@pytest.mark.parametrize(
    "text",
    ["顺丰单号SF1234567890查一下物流", "扣了钱没生成订单 交易单号4200001234202611220012345678"],
)
def test_courier_and_payment_numbers_are_not_order_numbers(text: str) -> None:
    assert understand(text, NOW).slots.order_no == ()
