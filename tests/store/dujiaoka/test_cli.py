"""``yiwen connector test`` tells an operator what works with the configured shop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.dujiaoka.fixtures import READER, WRITER, DujiaokaShop
from yiwen.cli import main
from yiwen.core.settings import get_settings


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    def apply(**values: str) -> None:
        monkeypatch.setenv("YIWEN_DATA_DIR", str(tmp_path / "var"))
        for name, value in values.items():
            monkeypatch.setenv(f"YIWEN_{name.upper()}", value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


def test_a_working_dujiaoka_shop_passes_every_check(
    dujiaoka_shop: DujiaokaShop, configure, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    case = dujiaoka_shop.examples["delivered_ok"]
    configure(
        store_connector="dujiaoka",
        dujiaoka_url=dujiaoka_shop.url(),
        dujiaoka_write_url=dujiaoka_shop.url(WRITER),
    )
    status = main(["connector", "test", "--order", case.order_no, "--email", str(case.contact)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "✓ 连接店铺并查询" in out and "✓ 读取表 carmis" in out
    assert f"✓ 按订单号查询 {case.order_no}：delivered" in out
    assert "3 个订单" in out
    assert "✓ 支持：发放优惠券" in out and "不支持：退款：将作为店主待办事项转人工" in out


def test_wrong_credentials_fail_the_check_with_the_reason(
    dujiaoka_shop: DujiaokaShop, configure, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    configure(store_connector="dujiaoka", dujiaoka_url=dujiaoka_shop.url((READER[0], "nope")))
    assert main(["connector", "test"]) == 1
    out = capsys.readouterr().out
    assert "✗ 连接店铺并查询：店铺不可用" in out and "1045" in out


def test_an_unconfigured_connector_says_what_is_missing(
    configure, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    configure(store_connector="dujiaoka", dujiaoka_url="")
    assert main(["connector", "test"]) == 1
    assert "YIWEN_DUJIAOKA_URL" in capsys.readouterr().out
