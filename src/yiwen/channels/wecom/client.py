"""The WeCom customer-service (微信客服) APIs Yiwen uses.

``cgi-bin/gettoken`` (corp id + the customer-service app's secret),
``kf/sync_msg`` (read messages by cursor), ``kf/send_msg`` (text, image,
file), ``kf/service_state/get`` and ``kf/service_state/trans``, and temporary
media (``media/upload``, ``media/get``). ``api_base`` (config)
defaults to ``https://qyapi.weixin.qq.com``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import httpx

from yiwen.channels.media import (
    MEDIA_ID_INVALID_ERRCODES,
    MEDIA_REFUSED_ERRCODES,
    MediaIdInvalid,
    MediaRefused,
    OutboundFile,
)
from yiwen.channels.protocol import AccountView
from yiwen.channels.wechat.apicall import ApiAnswer, TencentApi, api_reason, raise_for_busy
from yiwen.channels.wechat.tokens import TOKEN_INVALID_ERRCODES
from yiwen.notify.protocol import PermanentError, RetriableError

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
SYNC_LIMIT = 1000
# send_msg answers this for a msgid it has already taken (a retried delivery).
DUPLICATE_MSGID = 95004

# Session states of kf/service_state (the API's numbers).
STATE_NEW = 0  # 未处理
STATE_BOT = 1  # 由智能助手接待 — Yiwen's bot and agents answer through the API
STATE_QUEUED = 2  # 待接入池排队中
STATE_SERVICER = 3  # 由人工接待 (a WeCom member, in the WeCom client)
STATE_ENDED = 4  # 已结束/未开始


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str
    filename: str


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
        self._send(account, external_userid, "text", {"content": text}, idempotency_key)

    def send_media(
        self,
        account: AccountView,
        external_userid: str,
        msgtype: str,
        media_id: str,
        *,
        idempotency_key: str,
    ) -> None:
        """kf/send_msg of an image or file by its media id."""
        self._send(account, external_userid, msgtype, {"media_id": media_id}, idempotency_key)

    def upload_media(self, account: AccountView, media_type: str, file: OutboundFile) -> str:
        """POST cgi-bin/media/upload (temporary media, multipart field ``media``)."""
        answer = self.api.call(
            self._token_key(account),
            lambda: self._fetch_token(account),
            f"{api_base(account)}/cgi-bin/media/upload",
            params={"type": media_type},
            files={"media": (file.filename, file.data, file.content_type)},
        )
        media_id = answer.body.get("media_id")
        if answer.ok and isinstance(media_id, str) and media_id:
            return media_id
        raise_for_busy("media upload", answer)
        if answer.errcode in MEDIA_REFUSED_ERRCODES:
            raise MediaRefused(api_reason(f"media upload of {file.filename!r}", answer))
        raise PermanentError(api_reason("media upload", answer))

    def download_media(self, account: AccountView, media_id: str, *, limit: int) -> Media:
        """GET cgi-bin/media/get: a customer's image, voice or file (kept three days by WeCom).

        A JSON answer is an error: a stale token is refetched once, busy codes
        are retriable, anything else (an unknown or expired media id) permanent.
        """
        for attempt in (1, 2):
            token = self.api.tokens.get(
                self._token_key(account), lambda: self._fetch_token(account)
            )
            try:
                response = self.api.get_bytes(
                    f"{api_base(account)}/cgi-bin/media/get",
                    {"access_token": token, "media_id": media_id},
                    limit=limit,
                )
            except ValueError as exc:
                raise PermanentError(f"media {media_id[:20]}: larger than {limit} bytes") from exc
            except httpx.HTTPError as exc:
                raise RetriableError(f"media/get: {type(exc).__name__}") from exc
            content_type = response.headers.get("content-type", "application/octet-stream")
            if response.status_code >= 500:
                raise RetriableError(f"media/get: HTTP {response.status_code}")
            if response.status_code == 200 and not content_type.startswith(
                ("application/json", "text/plain")
            ):
                return Media(response.content, content_type.split(";")[0], _filename(response))
            answer = _error_of(response)
            if answer.errcode in TOKEN_INVALID_ERRCODES and attempt == 1:
                self.api.tokens.forget(self._token_key(account), token)
                continue
            raise_for_busy("media/get", answer)
            raise PermanentError(api_reason("media/get", answer))
        raise AssertionError("unreachable")

    def _send(
        self,
        account: AccountView,
        external_userid: str,
        msgtype: str,
        content: dict[str, object],
        idempotency_key: str,
    ) -> None:
        answer = self._call(
            account,
            "/cgi-bin/kf/send_msg",
            {
                "touser": external_userid,
                "open_kfid": account.setting("open_kfid"),
                "msgid": hashlib.sha256(idempotency_key.encode()).hexdigest()[:32],
                "msgtype": msgtype,
                msgtype: content,
            },
        )
        if answer.ok or answer.errcode == DUPLICATE_MSGID:
            return  # a resend of what WeCom already took
        raise_for_busy("send_msg", answer)
        if answer.errcode in MEDIA_ID_INVALID_ERRCODES:
            raise MediaIdInvalid(api_reason("send_msg", answer))
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

    @staticmethod
    def _token_key(account: AccountView) -> str:
        return f"wecom:{account.id}:{account.setting('corp_id')}"

    def _call(self, account: AccountView, path: str, body: dict[str, object]) -> ApiAnswer:
        return self.api.call(
            self._token_key(account),
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


def _filename(response: httpx.Response) -> str:
    """The file's name from Content-Disposition (``filename="…"``), or ""."""
    match = re.search(r'filename="?([^";]+)"?', response.headers.get("content-disposition", ""))
    return match.group(1).strip() if match else ""


def _error_of(response: httpx.Response) -> ApiAnswer:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ApiAnswer(-1, f"HTTP {response.status_code}, not media", {})
    errcode = data.get("errcode", -1)
    return ApiAnswer(errcode if isinstance(errcode, int) else -1, str(data.get("errmsg", "")), data)
