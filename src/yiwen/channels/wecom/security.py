"""WeCom callback crypto, through wechatpy's enterprise ``WeChatCrypto``.

Every callback (the URL check included) is AES-encrypted with the
EncodingAESKey and signed in ``msg_signature`` over token, timestamp, nonce
and the ciphertext; the plaintext ends in the corp id, which is checked.
"""

from __future__ import annotations

import binascii
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from yiwen.channels.protocol import AccountView
from yiwen.core.errors import Conflict, InvalidInput, Unauthenticated


def check_url(
    account: AccountView, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """The decrypted ``echostr`` the console expects back."""
    try:
        return str(_crypto(account).check_signature(msg_signature, timestamp, nonce, echostr))
    except (InvalidSignatureException, InvalidCorpIdException) as exc:
        raise Unauthenticated("channel_signature_invalid") from exc
    except (KeyError, TypeError, ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("channel_payload_invalid") from exc


def open_callback(
    account: AccountView, body: bytes, msg_signature: str, timestamp: str, nonce: str
) -> dict[str, str]:
    """The callback's plaintext fields; a forged or foreign callback is refused."""
    try:
        envelope = xmltodict.parse(body)["xml"]
        if not isinstance(envelope, dict) or not envelope.get("Encrypt"):
            raise InvalidInput("channel_payload_invalid")
        plain = _crypto(account).decrypt_message(envelope, msg_signature, timestamp, nonce)
        fields = xmltodict.parse(plain)["xml"]
    except (InvalidSignatureException, InvalidCorpIdException) as exc:
        raise Unauthenticated("channel_signature_invalid") from exc
    except (ExpatError, KeyError, TypeError, ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("channel_payload_invalid") from exc
    if not isinstance(fields, dict):
        raise InvalidInput("channel_payload_invalid")
    return {str(k): v for k, v in fields.items() if isinstance(v, str)}


def _crypto(account: AccountView) -> WeChatCrypto:
    token, key, corp_id = (
        account.secret("token"),
        account.secret("encoding_aes_key"),
        account.setting("corp_id"),
    )
    if not token or not key or not corp_id:
        raise Conflict("channel_config_missing", fields="token, encoding_aes_key, corp_id")
    try:
        return WeChatCrypto(token, key, corp_id)
    except (AssertionError, ValueError, binascii.Error) as exc:
        raise Conflict("channel_config_invalid", field="encoding_aes_key") from exc
