"""Channel secrets (tokens, AES keys, passwords) encrypted at rest with the server secret.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the server secret by
HKDF, so a copied database alone reveals no channel credentials, and a tampered
value fails loudly instead of decrypting to garbage.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"yiwen channel secrets v1"


class SealError(Exception):
    """The sealed value was made with another server secret or was altered."""


def _fernet(server_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        server_secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(server_secret: str, secrets: dict[str, str]) -> str:
    if not secrets:
        return ""
    payload = json.dumps(secrets, ensure_ascii=False, sort_keys=True).encode()
    return _fernet(server_secret).encrypt(payload).decode()


def unseal(server_secret: str, sealed: str) -> dict[str, str]:
    if not sealed:
        return {}
    try:
        payload = _fernet(server_secret).decrypt(sealed.encode())
    except InvalidToken as exc:
        raise SealError("channel secrets cannot be decrypted with this server secret") from exc
    value = json.loads(payload)
    return {str(k): str(v) for k, v in value.items()}
