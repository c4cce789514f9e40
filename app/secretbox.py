"""Secrets the platform must read back (a client secret it sends, an SM4 key it decrypts with) are kept
Fernet-encrypted under a key derived from the installation's secret key and a purpose, so a copied
database (a backup) hands none of them out, and one purpose's ciphertext never opens another's."""
from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

log = logging.getLogger(__name__)


def _fernet(purpose: str) -> Fernet:
    key = hashlib.sha256(f"smedt-{purpose}:".encode() + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(purpose: str, secret: str) -> str:
    return _fernet(purpose).encrypt(secret.encode()).decode()


def unseal(purpose: str, token: str) -> str:
    """The secret, or "" when it cannot be opened (the installation's secret key changed: the
    administrator enters the secret again)."""
    if not token:
        return ""
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        log.warning("无法解密已保存的密钥（%s），实例密钥可能已更换，请重新填写。", purpose)
        return ""
