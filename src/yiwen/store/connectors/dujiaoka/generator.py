"""Fills a dujiaoka database (schema loaded, ``pays`` from the dump) with realistic rows.

Goods groups, goods of both types, card keys (sold ones delivered into orders'
``info``, unsold stock, one reusable key), coupons and ``orders`` random orders
over the last 90 days, plus one newest order per named example case so tests
and the contract suite can find each situation. Deterministic for a seed.

``python -m yiwen.store.connectors.dujiaoka.generator URL --orders 10000`` fills
the database at URL (``--load-schema FILE`` loads an install dump first).
"""

from __future__ import annotations

import argparse
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from yiwen.store.connectors.dujiaoka.schema import load_dump

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SN_ALPHABET = string.ascii_uppercase + string.digits
DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "foxmail.com")
# Enabled gateways of the dump's pays table, weighted as small shops use them.
PAYS = ((1, 40), (15, 25), (4, 10), (5, 10), (16, 3), (25, 7), (17, 5))
GROUPS = ("影音会员", "游戏点卡", "软件账号", "代充服务")
# (group, name, type, price, key style): type 1 delivers card keys, 2 is handled by hand.
GOODS = (
    (1, "爱奇艺黄金会员 月卡", 1, "19.80", "key"),
    (1, "腾讯视频 VIP 月卡", 1, "20.00", "key"),
    (1, "网易云音乐黑胶 VIP 月卡", 1, "15.00", "key"),
    (1, "Netflix 高级会员 共享车位 月付", 1, "29.90", "account"),
    (2, "Steam 钱包充值卡 50 元", 1, "48.50", "key"),
    (2, "Apple ID 美区礼品卡 $10", 1, "72.00", "key"),
    (2, "PSN 港服点卡 200 HKD", 1, "176.00", "key"),
    (3, "Microsoft 365 家庭版 年付", 1, "259.00", "account"),
    (3, "ChatGPT Plus 成品账号", 1, "158.00", "account"),
    (3, "Windows 11 专业版 激活码", 1, "39.00", "key"),
    (4, "原神 创世结晶 6480 代充", 2, "618.00", None),
    (4, "王者荣耀 点券 代充 100 元", 2, "95.00", None),
    (4, "话费 代充 100 元", 2, "98.50", None),
)
LOOP_GOODS = 10  # the Windows key is sold as one reusable (is_loop) key
STATUS_WEIGHTS = ((4, 80), (1, 5), (-1, 8), (2, 2), (3, 2), (5, 2), (6, 1))
PAID = (2, 3, 4, 5, 6)
UNSOLD_STOCK = 30
# Named cases: (status, automatic?) — the newest order of each, with its own buyer.
CASES: dict[str, tuple[int, bool]] = {
    "delivered_ok": (4, True),
    "topup_delivered": (4, False),
    "push_failed": (5, False),
    "key_used": (4, True),
    "wrong_region": (4, True),
    "unpaid": (1, True),
    "pending": (2, False),
    "processing": (3, False),
    "abnormal": (6, True),
    "expired": (-1, True),
}


@dataclass(frozen=True)
class ExampleOrder:
    case: str
    order_no: str
    contact: str | None
    shop_user_id: str | None


class _Shop:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.order_sns: set[str] = set()
        self.keys: set[str] = set()
        self.orders: list[tuple[Any, ...]] = []
        self.carmis: list[tuple[Any, ...]] = []
        self.coupons = [(i, f"VIP{code}", Decimal(d)) for i, (code, d) in enumerate(
            (("2026", "2.00"), ("DOUBLE11", "5.00"), ("NEWUSER", "3.00")), start=1
        )]  # fmt: skip
        self.loop_key = self.secret("key")

    def order_sn(self) -> str:
        while True:
            sn = "".join(self.rng.choice(SN_ALPHABET) for _ in range(16))
            if not sn.isdigit() and sn not in self.order_sns:
                self.order_sns.add(sn)
                return sn

    def secret(self, style: str) -> str:
        while True:
            if style == "account":
                user = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(8))
                pw = "".join(self.rng.choice(KEY_ALPHABET) for _ in range(10))
                key = f"{user}{self.rng.randint(10, 99)}@outlook.com----{pw}"
            else:
                key = "-".join(
                    "".join(self.rng.choice(KEY_ALPHABET) for _ in range(4)) for _ in range(4)
                )
            if key not in self.keys:
                self.keys.add(key)
                return key

    def email(self, pool: int) -> str:
        n = self.rng.randrange(pool)
        return f"{_name(n)}@{DOMAINS[n % len(DOMAINS)]}"

    def add_order(
        self, goods_id: int, status: int, email: str, created: datetime, *, amount: int = 1
    ) -> str:
        _group, name, gtype, price, style = GOODS[goods_id - 1]
        unit = Decimal(price)
        coupon_id, discount = 0, Decimal("0.00")
        if self.rng.random() < 0.05:
            coupon_id, _code, discount = self.rng.choice(self.coupons)
        total = unit * amount
        pay_id = _weighted(self.rng, PAYS)
        sn = self.order_sn()
        info = None
        updated = created + timedelta(seconds=self.rng.randint(3, 60))
        if gtype == 1 and status == 4:
            if goods_id == LOOP_GOODS:
                info = "\n".join([self.loop_key] * amount)
            else:
                sold = [self.secret(style or "key") for _ in range(amount)]
                for key in sold:
                    self.carmis.append((goods_id, 2, 0, key, created, updated))
                info = "\n".join(sold)
        elif gtype == 2:
            info = f"充值账号: {self.rng.randint(10**8, 10**10)}"
            if status == 4:
                updated = created + timedelta(minutes=self.rng.randint(5, 240))
        trade_no = _trade_no(self.rng, pay_id) if status in PAID else ""
        pwd = "".join(self.rng.choice(SN_ALPHABET) for _ in range(6))
        self.orders.append((
            sn, goods_id, coupon_id, f"{name} x {amount}", gtype, unit, amount, discount,
            Decimal("0.00"), total, total - discount, pwd if self.rng.random() < 0.6 else "",
            email, info, pay_id, f"{self.rng.randint(1, 223)}.{self.rng.randint(0, 255)}."
            f"{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}", trade_no, status,
            created, updated,
        ))  # fmt: skip
        return sn


def generate(
    connection: Any, *, orders: int, seed: int, now: datetime, timezone: str = "Asia/Shanghai"
) -> dict[str, ExampleOrder]:
    """Inserts the rows on a DB-API (PyMySQL) connection and commits; returns the examples."""
    rng = random.Random(seed)
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
    shop = _Shop(rng, local_now)
    pool = max(1, orders // 3)
    for _ in range(orders):
        goods_id = rng.randint(1, len(GOODS))
        created = local_now - timedelta(seconds=rng.randint(3600, 90 * 86400))
        amount = 1 if rng.random() < 0.85 or GOODS[goods_id - 1][2] == 2 else rng.randint(2, 3)
        shop.add_order(
            goods_id, _weighted(rng, STATUS_WEIGHTS), shop.email(pool), created, amount=amount
        )
    examples: dict[str, ExampleOrder] = {}
    for index, (case, (status, automatic)) in enumerate(CASES.items()):
        email = f"case.{case.replace('_', '.')}@qq.com"
        goods_id = rng.choice(
            [i for i, g in enumerate(GOODS, 1) if (g[2] == 1) == automatic and i != LOOP_GOODS]
        )
        for older in range(2):  # earlier orders of the same buyer, for the list queries
            shop.add_order(goods_id, 4, email, local_now - timedelta(days=3 + older, minutes=index))
        created = local_now - timedelta(minutes=30 - index)
        sn = shop.add_order(goods_id, status, email, created)
        examples[case] = ExampleOrder(case, sn, email, email)
    for goods_id, goods in enumerate(GOODS, start=1):
        if goods[2] == 1 and goods_id != LOOP_GOODS:
            for _ in range(UNSOLD_STOCK):
                shop.carmis.append(
                    (goods_id, 1, 0, shop.secret(goods[4] or "key"), local_now, local_now)
                )
    shop.carmis.append((LOOP_GOODS, 1, 1, shop.loop_key, local_now, local_now))
    _insert(connection, shop, local_now)
    return examples


def _insert(connection: Any, shop: _Shop, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO goods_group (id, gp_name, is_open, ord, created_at, updated_at) "
            "VALUES (%s, %s, 1, %s, %s, %s)",
            [(i, name, 10 - i, now, now) for i, name in enumerate(GROUPS, start=1)],
        )
        cursor.executemany(
            "INSERT INTO goods (id, group_id, gd_name, gd_description, gd_keywords, "
            "retail_price, actual_price, in_stock, sales_volume, type, is_open, created_at, "
            "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, 1, %s, %s)",
            [(i, g[0], g[1], g[1], g[1], Decimal(g[3]) * Decimal("1.2"), Decimal(g[3]),
              UNSOLD_STOCK if g[2] == 1 else 999, g[2], now, now)
             for i, g in enumerate(GOODS, start=1)],
        )  # fmt: skip
        cursor.executemany(
            "INSERT INTO coupons (id, discount, is_use, is_open, coupon, ret, created_at, "
            "updated_at) VALUES (%s, %s, 1, 1, %s, 100, %s, %s)",
            [(i, discount, code, now, now) for i, code, discount in shop.coupons],
        )
        cursor.executemany(
            "INSERT INTO coupons_goods (goods_id, coupons_id) VALUES (%s, %s)",
            [(g, c[0]) for c in shop.coupons for g in range(1, len(GOODS) + 1)],
        )
        for start in range(0, len(shop.carmis), 2000):
            cursor.executemany(
                "INSERT INTO carmis (goods_id, status, is_loop, carmi, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                shop.carmis[start : start + 2000],
            )
        for start in range(0, len(shop.orders), 2000):
            cursor.executemany(
                "INSERT INTO orders (order_sn, goods_id, coupon_id, title, type, goods_price, "
                "buy_amount, coupon_discount_price, wholesale_discount_price, total_price, "
                "actual_price, search_pwd, email, info, pay_id, buy_ip, trade_no, status, "
                "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                shop.orders[start : start + 2000],
            )
    connection.commit()


def _name(n: int) -> str:
    syllables = ("li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu")
    return f"{syllables[n % 10]}{syllables[(n // 10) % 10]}{n}"


def _weighted(rng: random.Random, choices: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _trade_no(rng: random.Random, pay_id: int) -> str:
    if pay_id in (1, 4):  # alipay: date + 20 digits
        return "2026" + "".join(rng.choice(string.digits) for _ in range(24))
    if pay_id in (5, 15):  # wechat pay: 4200 + 24 digits
        return "4200" + "".join(rng.choice(string.digits) for _ in range(24))
    return "".join(rng.choice("0123456789abcdef") for _ in range(32))


def main() -> None:
    import pymysql
    from sqlalchemy.engine import make_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="mysql://user:password@host:port/database")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load-schema", type=Path, help="an install.sql to load first")
    args = parser.parse_args()
    url = make_url(args.url)
    connection = pymysql.connect(
        host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username,
        password=url.password or "", database=url.database, charset="utf8mb4",
    )  # fmt: skip
    if args.load_schema:
        load_dump(connection, args.load_schema.read_text())
    examples = generate(
        connection, orders=args.orders, seed=args.seed, now=datetime.now().astimezone()
    )
    for example in examples.values():
        print(f"{example.case:16} {example.order_no} {example.contact}")


if __name__ == "__main__":
    main()
