"""Replacement card keys on dujiaoka: off by default, a separate account, one transaction, once.

Each test works on its own database, so the stock it consumes is its own.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pymysql
import pytest

from tests.store.dujiaoka.fixtures import READER, WRITER, DujiaokaShop, make_connector
from yiwen.core.errors import Conflict
from yiwen.store.protocol import (
    ActionNotSupported,
    StoreActionRefused,
    StoreUnavailable,
    capabilities_of,
)


def _unsold(shop: DujiaokaShop, database: str, goods_id: int) -> int:
    with (
        contextlib.closing(shop.server.admin(database)) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT COUNT(*) FROM carmis WHERE goods_id = %s AND status = 1 AND is_loop = 0",
            (goods_id,),
        )
        return int(cursor.fetchone()[0])


def _records(shop: DujiaokaShop, database: str) -> int:
    with (
        contextlib.closing(shop.server.admin(database)) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT COUNT(*) FROM yiwen_carmi_replacements")
        return int(cursor.fetchone()[0])


@pytest.fixture
def own_shop(dujiaoka_shop: DujiaokaShop, request: pytest.FixtureRequest) -> tuple[str, dict]:  # type: ignore[type-arg]
    name = "dj_rep_" + request.node.name[-20:].replace("[", "_").replace("]", "").lower()
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    examples = dujiaoka_shop.new_database(name, orders=30, writable=True)
    yield name, examples
    dujiaoka_shop.server.execute(f"DROP DATABASE `{name}`")


def test_the_read_account_cannot_write_anything_with_real_grants(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],  # type: ignore[type-arg]
) -> None:
    name, _examples = own_shop
    connection = pymysql.connect(
        host="127.0.0.1", port=dujiaoka_shop.server.port, user=READER[0],
        password=READER[1], database=name, autocommit=True,
    )  # fmt: skip
    with contextlib.closing(connection), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM carmis")  # reading works
        for statement in (
            "UPDATE carmis SET status = 2 WHERE id = 1",
            "INSERT INTO yiwen_carmi_replacements (idempotency_key, order_sn, replaced_key_id) "
            "VALUES ('x', 'y', 'z')",
            "UPDATE orders SET status = 4 WHERE id = 1",
        ):
            with pytest.raises(pymysql.err.OperationalError) as caught:
                cursor.execute(statement)
            assert caught.value.args[0] == 1142  # command denied
    writer = pymysql.connect(
        host="127.0.0.1", port=dujiaoka_shop.server.port, user=WRITER[0],
        password=WRITER[1], database=name, autocommit=True,
    )  # fmt: skip
    with contextlib.closing(writer), writer.cursor() as cursor:
        with pytest.raises(pymysql.err.OperationalError) as caught:
            cursor.execute("UPDATE carmis SET carmi = 'stolen' WHERE id = 1")
        assert caught.value.args[0] == 1143  # the write account may only flip the sold flag


def test_replacement_is_off_by_default_and_refused_with_a_task(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    name, examples = own_shop
    connector = make_connector(dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database=name),
                               write_url=dujiaoka_shop.url(WRITER, name))  # fmt: skip
    order = connector.get_order(examples["delivered_ok"].order_no)
    goods_id = int(order.items[0].product_id)
    before = _unsold(dujiaoka_shop, name, goods_id)
    assert "replace_card_key" not in capabilities_of(connector)
    with pytest.raises(ActionNotSupported) as caught:
        connector.replace_card_key(
            order.order_no,
            order.delivery.card_keys[0].key_id,
            reason="卡密无效",
            idempotency_key="k1",
        )
    assert "卡密管理" in caught.value.task and order.order_no in caught.value.task
    assert _unsold(dujiaoka_shop, name, goods_id) == before
    connector.close()


def test_a_replacement_marks_one_unsold_key_sold_and_a_retry_returns_the_same_key(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    name, examples = own_shop
    connector = make_connector(
        dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database=name),
        write_url=dujiaoka_shop.url(WRITER, name), replace_keys=True,
    )  # fmt: skip
    assert "replace_card_key" in capabilities_of(connector)
    order = connector.get_order(examples["delivered_ok"].order_no)
    dead = order.delivery.card_keys[0]
    goods_id = int(order.items[0].product_id)
    before = _unsold(dujiaoka_shop, name, goods_id)

    first = connector.replace_card_key(
        order.order_no, dead.key_id, reason="卡密无效", idempotency_key="r-1"
    )
    again = connector.replace_card_key(
        order.order_no, dead.key_id, reason="重试", idempotency_key="r-1"
    )

    assert not first.replayed and again.replayed
    assert again.detail["key_id"] == first.detail["key_id"] == first.reference
    assert _unsold(dujiaoka_shop, name, goods_id) == before - 1  # one key, never a second
    after = connector.get_order(order.order_no)
    states = {k.key_id: k.state for k in after.delivery.card_keys}
    assert states[dead.key_id] == "invalid" and states[first.reference] == "unknown"
    fresh = connector.reveal_card_key(order.order_no, first.reference)
    assert fresh != connector.reveal_card_key(order.order_no, dead.key_id)
    with contextlib.closing(dujiaoka_shop.server.admin(name)) as admin, admin.cursor() as cur:
        cur.execute("SELECT status FROM carmis WHERE carmi = %s", (fresh,))
        assert cur.fetchone()[0] == 2  # sold in the shop's own books
    resent = connector.resend_delivery(order.order_no, idempotency_key="resend-after")
    assert (
        dead.key_id not in resent.detail["key_ids"] and first.reference in resent.detail["key_ids"]
    )
    with pytest.raises(StoreActionRefused) as caught:  # the dead key, under another key
        connector.replace_card_key(
            order.order_no, dead.key_id, reason="再换", idempotency_key="r-2"
        )
    assert caught.value.code == "card_key_already_replaced"
    with pytest.raises(Conflict):  # the same idempotency key for another key
        connector.replace_card_key(
            order.order_no, first.reference, reason="x", idempotency_key="r-1"
        )
    assert _unsold(dujiaoka_shop, name, goods_id) == before - 1
    connector.close()


def test_concurrent_retries_of_one_replacement_take_one_key(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    name, examples = own_shop
    connector = make_connector(
        dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database=name),
        write_url=dujiaoka_shop.url(WRITER, name), replace_keys=True,
    )  # fmt: skip
    order = connector.get_order(examples["key_used"].order_no)
    goods_id = int(order.items[0].product_id)
    before = _unsold(dujiaoka_shop, name, goods_id)
    results: list[str] = []
    gate = threading.Barrier(4)

    def replace() -> None:
        gate.wait()
        result = connector.replace_card_key(
            order.order_no, order.delivery.card_keys[0].key_id, reason="x", idempotency_key="same"
        )
        results.append(result.reference)

    threads = [threading.Thread(target=replace) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert _unsold(dujiaoka_shop, name, goods_id) == before - 1
    assert _records(dujiaoka_shop, name) == 1
    connector.close()


def test_a_write_url_with_the_read_account_fails_clearly_and_takes_nothing(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    name, examples = own_shop
    connector = make_connector(
        dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database=name),
        write_url=dujiaoka_shop.url(READER, name), replace_keys=True,
    )  # fmt: skip
    order = connector.get_order(examples["delivered_ok"].order_no)
    goods_id = int(order.items[0].product_id)
    before = _unsold(dujiaoka_shop, name, goods_id)
    with pytest.raises(StoreUnavailable) as caught:
        connector.replace_card_key(
            order.order_no, order.delivery.card_keys[0].key_id, reason="x", idempotency_key="ro"
        )
    assert "1142" in str(caught.value)
    assert _unsold(dujiaoka_shop, name, goods_id) == before
    assert _records(dujiaoka_shop, name) == 0
    connector.close()


def test_an_empty_stock_is_refused_and_records_nothing(
    dujiaoka_shop: DujiaokaShop,
    own_shop: tuple[str, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    name, examples = own_shop
    connector = make_connector(
        dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database=name),
        write_url=dujiaoka_shop.url(WRITER, name), replace_keys=True,
    )  # fmt: skip
    order = connector.get_order(examples["delivered_ok"].order_no)
    dujiaoka_shop.server.execute(
        f"UPDATE carmis SET status = 2 WHERE goods_id = {int(order.items[0].product_id)}",
        database=name,
    )
    with pytest.raises(StoreActionRefused) as caught:
        connector.replace_card_key(
            order.order_no, order.delivery.card_keys[0].key_id, reason="x", idempotency_key="e"
        )
    assert caught.value.code == "no_card_key_stock"
    assert _records(dujiaoka_shop, name) == 0
    connector.close()
