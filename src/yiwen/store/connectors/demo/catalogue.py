"""What the demo shop sells and who supplies it: real-looking products, prices and upstreams."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from yiwen.store.protocol import DeliveryType, PaymentMethod

# What a direct top-up is credited to: a QQ number, a phone number or a game UID.
TargetKind = Literal["qq", "phone", "game_uid"]


@dataclass(frozen=True)
class SupplierSpec:
    supplier_id: str
    name: str
    latency_seconds: int
    failure_rate: float


@dataclass(frozen=True)
class ProductSpec:
    product_id: str
    name: str
    delivery_type: DeliveryType
    price: Decimal
    popularity: int  # relative share of orders
    supplier_id: str | None = None  # None: card keys from the shop's own stock
    region: str | None = None
    key_pattern: str | None = None
    target: TargetKind | None = None


SUPPLIERS = (
    SupplierSpec("suchong", "速充科技", latency_seconds=30, failure_rate=0.02),
    SupplierSpec("fengniao", "蜂鸟卡业", latency_seconds=60, failure_rate=0.04),
    SupplierSpec("yunduan", "云端游戏", latency_seconds=120, failure_rate=0.06),
    SupplierSpec("jutong", "聚通话费", latency_seconds=300, failure_rate=0.03),
)

PRODUCTS = (
    ProductSpec(
        "wzry-600",
        "王者荣耀点券 600点（安卓QQ区）",
        "direct_topup",
        Decimal("60.00"),
        14,
        supplier_id="suchong",
        region="安卓QQ区",
        target="qq",
    ),
    ProductSpec(
        "hpjy-600",
        "和平精英点券 600点",
        "direct_topup",
        Decimal("60.00"),
        6,
        supplier_id="suchong",
        target="qq",
    ),
    ProductSpec(
        "qb-10",
        "腾讯Q币 10元 直充",
        "direct_topup",
        Decimal("9.90"),
        10,
        supplier_id="suchong",
        target="qq",
    ),
    ProductSpec(
        "qb-100-card",
        "腾讯Q币 100元 卡密",
        "card_key",
        Decimal("98.50"),
        5,
        supplier_id="fengniao",
        key_pattern="XXXXXX-XXXXXX-XXXXXX",
    ),
    ProductSpec(
        "ys-6480",
        "原神创世结晶 6480 直充（天空岛）",
        "direct_topup",
        Decimal("648.00"),
        3,
        supplier_id="yunduan",
        region="天空岛",
        target="game_uid",
    ),
    ProductSpec(
        "ys-980",
        "原神创世结晶 980 直充（天空岛）",
        "direct_topup",
        Decimal("98.00"),
        6,
        supplier_id="yunduan",
        region="天空岛",
        target="game_uid",
    ),
    ProductSpec(
        "hf-50-cm",
        "话费直充 50元（移动）",
        "direct_topup",
        Decimal("49.50"),
        8,
        supplier_id="jutong",
        target="phone",
    ),
    ProductSpec(
        "hf-100-cu",
        "话费直充 100元（联通）",
        "direct_topup",
        Decimal("99.00"),
        4,
        supplier_id="jutong",
        target="phone",
    ),
    ProductSpec(
        "steam-cn-100",
        "Steam 充值卡 100元（国区）",
        "card_key",
        Decimal("96.00"),
        7,
        region="国区",
        key_pattern="XXXXX-XXXXX-XXXXX",
    ),
    ProductSpec(
        "steam-hk-200",
        "Steam 充值卡 HK$200（港区）",
        "card_key",
        Decimal("178.00"),
        3,
        region="港区",
        key_pattern="XXXXX-XXXXX-XXXXX",
    ),
    ProductSpec(
        "iqiyi-month",
        "爱奇艺黄金会员月卡",
        "card_key",
        Decimal("19.80"),
        9,
        key_pattern="XXXX-XXXX-XXXX-XXXX",
    ),
    ProductSpec(
        "iqiyi-year",
        "爱奇艺黄金会员年卡",
        "card_key",
        Decimal("178.00"),
        2,
        key_pattern="XXXX-XXXX-XXXX-XXXX",
    ),
    ProductSpec(
        "txsp-month",
        "腾讯视频VIP月卡",
        "card_key",
        Decimal("20.00"),
        7,
        key_pattern="XXXX-XXXX-XXXX-XXXX",
    ),
    ProductSpec(
        "wyy-month",
        "网易云音乐黑胶VIP月卡",
        "card_key",
        Decimal("15.00"),
        6,
        supplier_id="fengniao",
        key_pattern="XXXX-XXXX-XXXX-XXXX",
    ),
    ProductSpec(
        "jd-100",
        "京东E卡 100元",
        "card_key",
        Decimal("99.00"),
        4,
        key_pattern="XXXX-XXXX-XXXX-XXXX",
    ),
)

# Alipay and WeChat Pay carry most Chinese online payments.
PAYMENT_METHOD_WEIGHTS: dict[PaymentMethod, int] = {
    "alipay": 48,
    "wechat": 38,
    "qq_wallet": 5,
    "balance": 4,
    "bank_card": 3,
    "usdt": 2,
}

EMAIL_DOMAINS = (
    "qq.com",
    "qq.com",
    "qq.com",
    "163.com",
    "126.com",
    "foxmail.com",
    "gmail.com",
    "outlook.com",
    "sina.com",
)
NAME_PARTS = (
    "zhang",
    "wang",
    "li",
    "liu",
    "chen",
    "yang",
    "zhao",
    "huang",
    "zhou",
    "wu",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "lin",
    "luo",
    "gao",
    "xiaoming",
    "jiajia",
    "haoran",
    "yuxuan",
    "zimo",
    "tiantian",
    "ayu",
    "lele",
    "mumu",
    "kk",
)
# Orders come in the evening far more than at dawn (local hours 0-23).
HOUR_WEIGHTS = (4, 2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 7, 7, 7, 8, 9, 11, 13, 14, 12, 8)
