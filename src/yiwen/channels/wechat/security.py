"""WeChat's callback signatures and the safe (AES) mode, through wechatpy's own crypto.

Plain mode signs ``sha1(sort(token, timestamp, nonce))`` in ``signature``; safe
mode adds ``msg_signature`` over the ``Encrypt`` element as well and carries the
message AES-256-CBC encrypted with the account's EncodingAESKey, the plaintext
ending in the AppID (checked, so another account's message is refused).
"""

from __future__ import annotations

import binascii
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from yiwen.channels.protocol import AccountView
from yiwen.core.errors import Conflict, InvalidInput, Unauthenticated


def check_url_signature(account: AccountView, signature: str, timestamp: str, nonce: str) -> None:
    """The plain ``signature`` every GET and POST from WeChat carries."""
    try:
        check_signature(_token(account), signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise Unauthenticated("channel_signature_invalid") from exc


def decrypt_message(
    account: AccountView, body: bytes, msg_signature: str, timestamp: str, nonce: str
) -> str:
    """The plaintext XML of a safe-mode message; a forged or foreign message is refused."""
    crypto = _crypto(account)
    try:
        envelope = xmltodict.parse(body)["xml"]
        if not isinstance(envelope, dict) or not envelope.get("Encrypt"):
            raise InvalidInput("channel_payload_invalid")
        return str(crypto.decrypt_message(envelope, msg_signature, timestamp, nonce))
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise Unauthenticated("channel_signature_invalid") from exc
    except (ExpatError, KeyError, TypeError, ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("channel_payload_invalid") from exc


def encrypt_reply(account: AccountView, xml: str, nonce: str, timestamp: str) -> str:
    return str(_crypto(account).encrypt_message(xml, nonce, timestamp))


def _token(account: AccountView) -> str:
    token = account.secret("token")
    if not token:
        raise Conflict("channel_config_missing", fields="token")
    return token


def _crypto(account: AccountView) -> WeChatCrypto:
    key, app_id = account.secret("encoding_aes_key"), account.setting("app_id")
    if not key or not app_id:
        raise Conflict("channel_config_missing", fields="encoding_aes_key, app_id")
    try:
        return WeChatCrypto(_token(account), key, app_id)
    except (AssertionError, ValueError, binascii.Error) as exc:
        raise Conflict("channel_config_invalid", field="encoding_aes_key") from exc
