"""Sums in yuan and payment methods as customers write them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from yiwen.bot.nlu import understand
from yiwen.core.clock import SHANGHAI

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("花了五十块还没到", Decimal("50")),
        ("一百元的卡", Decimal("100")),
        ("退我三十八块五", Decimal("38.5")),
        ("¥88.8 扣了", Decimal("88.8")),
        ("充了648没到账", Decimal("648")),
        ("两百块钱的点券", Decimal("200")),
        ("五毛钱也是钱", Decimal("0.5")),
        ("这单1.5k呢", Decimal("1500")),
        ("转了20U", Decimal("20")),
        ("金额：99.00", Decimal("99")),
    ],
)
def test_amount_is_read_in_yuan(text: str, amount: Decimal) -> None:
    assert understand(text, NOW).slots.amount == amount


@pytest.mark.parametrize(
    "text",
    ["买了100点券没到", "扣了2次", "等了3个小时", "快一点", "一块儿处理", "第5个订单"],
)
def test_numbers_that_are_not_money_give_no_amount(text: str) -> None:
    assert understand(text, NOW).slots.amount is None


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("用支付宝付的", "alipay"),
        ("zfb扣款了", "alipay"),
        ("vx付了钱", "wechat"),
        ("微信支付显示成功", "wechat"),
        ("QQ钱包付的", "qq_wallet"),
        ("银行卡扣了两次", "bank_card"),
        ("用余额付的", "balance"),
        ("USDT转账没确认", "usdt"),
        ("转了30U", "usdt"),
        ("支付寶付款", "alipay"),
    ],
)
def test_payment_method_names_and_slang_are_normalised(text: str, method: str) -> None:
    assert understand(text, NOW).slots.payment_method == method


def test_a_complaint_about_the_balance_is_not_a_payment_with_the_balance() -> None:
    assert understand("我的余额不对", NOW).slots.payment_method is None


def test_first_named_method_wins_when_two_are_named() -> None:
    assert understand("微信付的，不是支付宝", NOW).slots.payment_method == "wechat"
