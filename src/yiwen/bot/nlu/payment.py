"""Payment methods by the names customers use (支付宝, zfb, vx, QQ钱包, U…)."""

from __future__ import annotations

import re

# Order matters: 微信支付 before 支付, QQ钱包 before 钱包. 余额 alone is usually a
# complaint about the wallet balance, so only "paid with the balance" phrasings count.
_METHODS: tuple[tuple[str, str], ...] = (
    ("qq_wallet", r"qq\s*钱包|qq\s*支付|qq\s*红包|财付通"),
    ("alipay", r"支付宝|zfb|alipay|阿里支付|花呗|余额宝"),
    ("wechat", r"微信|vx|wx|weixin|wechat|威信|薇信|微x"),
    (
        "usdt",
        r"usdt|泰达币|trc\s*-?20|erc\s*-?20|(?<![a-z])u(?:币|支付|付款|付的|付)|\d\s*u(?![a-z])",
    ),
    ("bank_card", r"银行卡|银行转账|储蓄卡|信用卡|借记卡|网银|云闪付|银联|bank\s*card|刷卡"),
    (
        "balance",
        r"余额(?:支付|付款|付的|付了|购买|买的|扣款|扣的|抵扣)|用(?:的)?余额|站内余额|钱包余额(?:支付|付)"
        r"|退(?:回|到|进|至|还)?(?:我的?)?(?:账户|钱包)?余额",
    ),
)
_COMPILED = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _METHODS)


def extract_payment_method(text: str) -> str | None:
    """The method mentioned first in the message (customers name the one they used first)."""
    best: tuple[int, str] | None = None
    for name, pattern in _COMPILED:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None
