"""The WeCom customer-service (微信客服) APIs Yiwen uses.

``cgi-bin/gettoken`` (corp id + the customer-service app's secret),
``kf/sync_msg`` (read messages by cursor), ``kf/send_msg``,
``kf/service_state/get`` and ``kf/service_state/trans``. ``api_base`` (config)
defaults to ``https://qyapi.weixin.qq.com``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from yiwen.channels.protocol import AccountView
from yiwen.channels.wechat.apicall import ApiAnswer, TencentApi, api_reason, raise_for_busy
from yiwen.notify.protocol import PermanentError

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
SYNC_LIMIT = 1000

# Session states of kf/service_state (the API's numbers).
STATE_NEW = 0  # 未处理
STATE_BOT = 1  # 由智能助手接待 — Yiwen's bot and agents answer through the API
STATE_QUEUED = 2  # 待接入池排队中
STATE_SERVICER = 3  # 由人工接待 (a WeCom member, in the WeCom client)
STATE_ENDED = 4  # 已结束/未开始


@dataclass(frozen=True)
class SyncPage:
    messages: list[dict[str, object]]
    next_cursor: str
    has_more: bool


def api_base(account: AccountView) -> str:
    return account.setting("api_base", DEFAULT_API_BASE).rstrip("/")


class WecomApi:
    def __init__(self, api: TencentApi) -> None:
        self.api = api

    def sync_messages(self, account: AccountView, cursor: str, token: str) -> SyncPage:
        """One page of kf/sync_msg after ``cursor`` (the callback's ``token`` when there is one)."""
        body: dict[str, object] = {"cursor": cursor, "limit": SYNC_LIMIT, "voice_format": 0}
        if token:
            body["token"] = token
        if account.setting("open_kfid"):
            body["open_kfid"] = account.setting("open_kfid")
        answer = self._call(account, "/cgi-bin/kf/sync_msg", body)
        if not answer.ok:
            raise_for_busy("sync_msg", answer)
            raise PermanentError(api_reason("sync_msg", answer))
        items = answer.body.get("msg_list")
        return SyncPage(
            messages=[item for item in items if isinstance(item, dict)]
            if isinstance(items, list)
            else [],
            next_cursor=str(answer.body.get("next_cursor") or cursor),
            has_more=answer.body.get("has_more") == 1,
        )

    def send_text(
        self, account: AccountView, external_userid: str, text: str, *, idempotency_key: str
    ) -> None:
        """kf/send_msg with a msgid derived from the delivery's key, so WeCom drops a resend."""
        answer = self._call(
            account,
            "/cgi-bin/kf/send_msg",
            {
                "touser": external_userid,
                "open_kfid": account.setting("open_kfid"),
                "msgid": hashlib.sha256(idempotency_key.encode()).hexdigest()[:32],
                "msgtype": "text",
                "text": {"content": text},
            },
        )
        if answer.ok:
            return
        raise_for_busy("send_msg", answer)
        raise PermanentError(api_reason("send_msg", answer))

    def service_state(self, account: AccountView, external_userid: str) -> int:
        answer = self._call(
            account,
            "/cgi-bin/kf/service_state/get",
            {"open_kfid": account.setting("open_kfid"), "external_userid": external_userid},
        )
        if not answer.ok:
            raise_for_busy("service_state/get", answer)
            raise PermanentError(api_reason("service_state/get", answer))
        state = answer.body.get("service_state")
        return state if isinstance(state, int) else STATE_NEW

    def change_service_state(
        self, account: AccountView, external_userid: str, state: int, servicer_userid: str = ""
    ) -> None:
        """kf/service_state/trans; a servicer is needed for STATE_SERVICER only."""
        body: dict[str, object] = {
            "open_kfid": account.setting("open_kfid"),
            "external_userid": external_userid,
            "service_state": state,
        }
        if servicer_userid:
            body["servicer_userid"] = servicer_userid
        answer = self._call(account, "/cgi-bin/kf/service_state/trans", body)
        if not answer.ok:
            raise_for_busy("service_state/trans", answer)
            raise PermanentError(api_reason("service_state/trans", answer))

    def _call(self, account: AccountView, path: str, body: dict[str, object]) -> ApiAnswer:
        return self.api.call(
            f"wecom:{account.id}:{account.setting('corp_id')}",
            lambda: self._fetch_token(account),
            f"{api_base(account)}{path}",
            json=body,
        )

    def _fetch_token(self, account: AccountView) -> tuple[str, int]:
        corp_id, secret = account.setting("corp_id"), account.secret("secret")
        if not corp_id or not secret:
            raise PermanentError("the WeCom account needs corp_id and the secret secret")
        return self.api.fetch_token(
            f"{api_base(account)}/cgi-bin/gettoken", {"corpid": corp_id, "corpsecret": secret}
        )
