"""QQ replies through the OneBot v11 HTTP API, and how its failures reach the outbox.

The peer (tests/channels/qq/peer.py) answers like a OneBot v11 implementation:
401/403 for a missing/wrong access token, 404 for an unknown action, and
``status: failed`` with a ``retcode`` for a call it could not carry out.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.qq.conftest import TOKEN, post_event, private_event
from tests.channels.qq.peer import OneBotPeer, failed
from tests.channels.test_core import PNG
from yiwen.channels.protocol import AccountView, OutboundAttachment, OutboundMessage
from yiwen.channels.qq.sender import OneBotSender
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry
from yiwen.notify.protocol import PermanentError, RetriableError
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker


def view(peer_url: str, token: str = TOKEN) -> AccountView:
    return AccountView(
        id="acc1",
        channel="qq",
        name="QQ",
        config={"api_base": peer_url},
        secrets={"access_token": token},
    )


def send(account: AccountView, user: str, message: OutboundMessage) -> None:
    OneBotSender().send(account, user, message, idempotency_key="k1")


def test_an_image_attachment_goes_out_inline_as_base64(onebot: OneBotPeer, tmp_path: Path) -> None:
    picture = tmp_path / "resend.png"
    picture.write_bytes(PNG)
    attachment = OutboundAttachment("补发截图.png", "image/png", str(picture))
    send(view(onebot.url), "group:20001:10001", OutboundMessage("卡密已补发", (attachment,)))
    [call] = onebot.calls
    assert call.action == "send_group_msg" and call.params["group_id"] == 20001
    at, space, text, image = call.params["message"]
    assert space == {"type": "text", "data": {"text": " "}}
    assert at == {"type": "at", "data": {"qq": "10001"}}
    assert text == {"type": "text", "data": {"text": "卡密已补发"}}
    assert base64.b64decode(image["data"]["file"].removeprefix("base64://")) == PNG


def test_text_that_looks_like_cq_codes_is_sent_as_plain_text(onebot: OneBotPeer) -> None:
    send(view(onebot.url), "10001", OutboundMessage("[CQ:at,qq=all] 不会@全体"))
    [call] = onebot.calls
    assert call.params["message"] == [
        {"type": "text", "data": {"text": "[CQ:at,qq=all] 不会@全体"}}
    ]


@pytest.mark.parametrize(
    ("scripted", "error"),
    [
        ((200, failed(1400, "参数错误")), PermanentError),
        ((200, failed(1401, "未授权")), PermanentError),
        ((200, failed(1403, "禁止访问")), PermanentError),
        ((200, failed(1404, "好友不存在")), PermanentError),
        ((200, failed(1200, "消息发送失败，请尝试重发")), RetriableError),
        ((502, {"status": "failed"}), RetriableError),
        ((503, {"status": "failed"}), RetriableError),
    ],
)
def test_onebot_failures_map_to_permanent_or_retriable(
    onebot: OneBotPeer, scripted: tuple[int, dict[str, object]], error: type[Exception]
) -> None:
    onebot.fail_next("send_private_msg", *scripted)
    with pytest.raises(error):
        send(view(onebot.url), "10001", OutboundMessage("您好"))


def test_a_wrong_access_token_or_missing_api_is_permanent(onebot: OneBotPeer) -> None:
    with pytest.raises(PermanentError, match="403"):
        send(view(onebot.url, token="wrong"), "10001", OutboundMessage("您好"))
    with pytest.raises(PermanentError, match="404"):
        send(view(onebot.url + "/v999"), "10001", OutboundMessage("您好"))
    with pytest.raises(PermanentError, match="malformed"):
        send(view(onebot.url), "group:abc:10001", OutboundMessage("您好"))


def test_an_unreachable_implementation_is_retriable() -> None:
    from tests.support.live import free_port

    with pytest.raises(RetriableError):
        send(view(f"http://127.0.0.1:{free_port()}"), "10001", OutboundMessage("您好"))


def test_the_worker_dead_letters_a_refused_send_and_retries_a_failed_one(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    onebot: OneBotPeer,
    qq_account: str,
) -> None:
    assert post_event(client, qq_account, private_event(2001, "你好")).status_code == 204
    for _ in range(10):
        onebot.fail_next("send_private_msg", 200, failed(1200, "发送失败"))
    worker = build_worker(database, settings, clock, store=lambda: demo, jobs=())
    worker.run_until_idle()
    with database.reading() as db:
        rows = list(db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "channel")))
        assert rows and {row.status for row in rows} == {"failed"}
        assert all("retcode 1200" in (row.last_error or "") for row in rows)
    onebot.scripted.clear()
    onebot.fail_next("send_private_msg", 200, failed(1404, "好友不存在"))
    clock.advance(timedelta(hours=1))
    worker.run_until_idle()
    with database.reading() as db:
        statuses = sorted(
            row.status
            for row in db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "channel"))
        )
    assert statuses[0] == "dead" and set(statuses[1:]) <= {"sent"}
