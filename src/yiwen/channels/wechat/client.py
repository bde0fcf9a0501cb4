"""The WeChat Official Account APIs Yiwen uses: the token, customer-service messages
(text, image) and temporary media (upload, download).

``api_base`` (config) defaults to the real ``https://api.weixin.qq.com``; tests
and proxies point it elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwen.channels.media import (
    MEDIA_ID_INVALID_ERRCODES,
    MEDIA_REFUSED_ERRCODES,
    MediaIdInvalid,
    MediaRefused,
    OutboundFile,
)
from yiwen.channels.protocol import AccountView
from yiwen.channels.wechat.apicall import ApiAnswer, TencentApi, api_reason, raise_for_busy
from yiwen.notify.protocol import PermanentError

DEFAULT_API_BASE = "https://api.weixin.qq.com"
# 45015: the user has not interacted within 48 hours (or unsubscribed): the
# customer-service message API refuses until they write again.
WINDOW_CLOSED_ERRCODES = frozenset({45015})


class WindowClosed(PermanentError):
    """WeChat will not deliver a customer-service message now: the 48-hour window is closed."""


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str


def api_base(account: AccountView) -> str:
    return account.setting("api_base", DEFAULT_API_BASE).rstrip("/")


class WechatApi:
    def __init__(self, api: TencentApi) -> None:
        self.api = api

    def send_text(self, account: AccountView, openid: str, text: str) -> None:
        """POST cgi-bin/message/custom/send; raises Retriable/Permanent/WindowClosed."""
        self._send(account, {"touser": openid, "msgtype": "text", "text": {"content": text}})

    def send_image(self, account: AccountView, openid: str, media_id: str) -> None:
        self._send(account, {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    def upload_media(self, account: AccountView, media_type: str, file: OutboundFile) -> str:
        """POST cgi-bin/media/upload (temporary media, multipart field ``media``)."""
        answer = self.api.call(
            _token_key(account),
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

    def _send(self, account: AccountView, body: dict[str, object]) -> None:
        answer = self._call(account, "/cgi-bin/message/custom/send", json=body)
        if answer.ok:
            return
        raise_for_busy("custom send", answer)
        if answer.errcode in WINDOW_CLOSED_ERRCODES:
            raise WindowClosed(api_reason("custom send (48-hour window closed)", answer))
        if answer.errcode in MEDIA_ID_INVALID_ERRCODES:
            raise MediaIdInvalid(api_reason("custom send", answer))
        raise PermanentError(api_reason("custom send", answer))

    def download_media(self, account: AccountView, media_id: str, *, limit: int) -> Media:
        """GET cgi-bin/media/get (temporary media, kept three days by WeChat)."""
        token = self.api.tokens.get(_token_key(account), lambda: self._fetch_token(account))
        response = self.api.get_bytes(
            f"{api_base(account)}/cgi-bin/media/get",
            {"access_token": token, "media_id": media_id},
            limit=limit,
        )
        content_type = response.headers.get("content-type", "application/octet-stream")
        if response.status_code != 200 or content_type.startswith(("application/json", "text/")):
            raise ValueError(
                f"media/get answered HTTP {response.status_code}: {response.text[:200]}"
            )
        return Media(response.content, content_type.split(";")[0])

    def _call(self, account: AccountView, path: str, *, json: dict[str, object]) -> ApiAnswer:
        return self.api.call(
            _token_key(account),
            lambda: self._fetch_token(account),
            f"{api_base(account)}{path}",
            json=json,
        )

    def _fetch_token(self, account: AccountView) -> tuple[str, int]:
        app_id, secret = account.setting("app_id"), account.secret("app_secret")
        if not app_id or not secret:
            raise PermanentError("the WeChat account needs app_id and the app_secret secret")
        return self.api.fetch_token(
            f"{api_base(account)}/cgi-bin/token",
            {"grant_type": "client_credential", "appid": app_id, "secret": secret},
        )


def _token_key(account: AccountView) -> str:
    # The app id is in the key so that changing it in the admin API takes effect at once.
    return f"wechat:{account.id}:{account.setting('app_id')}"
