"""A shop database that is wrong, gone, slow or garbage gives a clear error, never a guess."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.store.dujiaoka.fixtures import READER, DujiaokaShop, make_connector
from yiwen.store.protocol import StoreUnavailable


def test_wrong_password_is_a_clear_access_denied(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    connector = make_connector(dujiaoka_shop, tmp_path, url=dujiaoka_shop.url((READER[0], "wrong")))
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order(dujiaoka_shop.examples["delivered_ok"].order_no)
    assert "1045" in str(caught.value) and "wrong" not in str(caught.value)
    assert caught.value.retry_after >= 60


def test_a_dropped_database_is_reported_not_crashed_on(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    examples = dujiaoka_shop.new_database("dj_dropped", orders=20)
    connector = make_connector(
        dujiaoka_shop, tmp_path, write=False, url=dujiaoka_shop.url(database="dj_dropped")
    )
    sn = examples["delivered_ok"].order_no
    assert connector.get_order(sn).order_no == sn
    dujiaoka_shop.server.execute("DROP DATABASE dj_dropped")
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order(sn)
    assert "MySQL error 1049" in str(caught.value) or "MySQL error 1146" in str(caught.value)
    with pytest.raises(StoreUnavailable):
        connector.find_orders(contact=examples["delivered_ok"].contact)
    connector.close()


def test_a_locked_slow_shop_times_out_with_store_unavailable(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    examples = dujiaoka_shop.new_database("dj_slow", orders=20)
    connector = make_connector(
        dujiaoka_shop, tmp_path, write=False, timeout=1.0, url=dujiaoka_shop.url(database="dj_slow")
    )
    sn = examples["delivered_ok"].order_no
    with contextlib.closing(dujiaoka_shop.server.admin("dj_slow")) as locker:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLES orders WRITE")
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            connector.get_order(sn)
        assert time.monotonic() - started < 10
    assert connector.get_order(sn).order_no == sn  # it recovers once the shop answers again
    connector.close()


def test_a_server_that_never_answers_times_out(dujiaoka_shop: DujiaokaShop, tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True)
    thread.start()
    port = silent.getsockname()[1]
    connector = make_connector(
        dujiaoka_shop, tmp_path, write=False, timeout=1.0,
        url=f"mysql+pymysql://u:p@127.0.0.1:{port}/dujiaoka",
    )  # fmt: skip
    with pytest.raises(StoreUnavailable):
        connector.find_orders(order_no="ABCDEFGH12345678")
    silent.close()
    for connection in accepted:
        connection.close()


def test_garbage_rows_give_a_clear_error_for_that_order_only(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    examples = dujiaoka_shop.new_database("dj_garbage", orders=20)
    connector = make_connector(
        dujiaoka_shop, tmp_path, write=False, url=dujiaoka_shop.url(database="dj_garbage")
    )
    bad = examples["delivered_ok"].order_no
    dujiaoka_shop.server.execute(
        f"UPDATE orders SET status = 9 WHERE order_sn = '{bad}'", database="dj_garbage"
    )
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order(bad)
    assert "unknown status 9" in str(caught.value)
    good = examples["key_used"].order_no
    assert connector.get_order(good).status == "delivered"
    connector.close()


def test_a_database_without_dujiaoka_tables_is_reported(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    dujiaoka_shop.server.execute(
        "CREATE DATABASE dj_empty", f"GRANT SELECT ON dj_empty.* TO '{READER[0]}'@'%'"
    )
    connector = make_connector(
        dujiaoka_shop, tmp_path, write=False, url=dujiaoka_shop.url(database="dj_empty")
    )
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order("ABCDEFGH12345678")
    assert "1146" in str(caught.value)
    failed = [name for name, ok, _ in connector.check_permissions() if not ok]
    assert "读取表 orders" in failed
    connector.close()


def test_a_read_only_account_cannot_write_and_nothing_is_written(
    dujiaoka_shop: DujiaokaShop, tmp_path: Path
) -> None:
    from decimal import Decimal

    connector = make_connector(dujiaoka_shop, tmp_path, write_url=dujiaoka_shop.url())
    email = dujiaoka_shop.examples["delivered_ok"].contact
    with pytest.raises(StoreUnavailable) as caught:
        connector.issue_coupon(
            shop_user_id=None, contact=email, amount=Decimal("2"), reason="x", idempotency_key="ro"
        )
    assert "1142" in str(caught.value)  # INSERT command denied
    again = make_connector(dujiaoka_shop, tmp_path)  # same ledger: the refusal left no record
    assert not again.issue_coupon(
        shop_user_id=None, contact=email, amount=Decimal("2"), reason="x", idempotency_key="ro"
    ).replayed
    connector.close()
    again.close()
