"""SM4 (GB/T 32907) through `cryptography`, with the modes and paddings the docking header may use.

`cryptography` is OpenSSL-backed and passes the standard's vector; gmssl's SM4 is slow and its ZERO
unpadding and CBC padding are wrong, so it is not used here.
"""
from __future__ import annotations

import re

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16
MODES = ("ecb", "cbc")
PADDINGS = ("pkcs7", "zero")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


class SM4Error(ValueError):
    """A key, IV or ciphertext that SM4 cannot use."""


def parse_key(text: str) -> bytes:
    """An SM4 key as the upper platform issues it: 32 hex digits, or 16 ASCII characters used as they are."""
    text = (text or "").strip()
    if _HEX32.fullmatch(text):
        return bytes.fromhex(text)
    raw = text.encode("utf-8")
    if len(raw) == BLOCK:
        return raw
    raise SM4Error("SM4 密钥应为 32 位十六进制字符或 16 个字符")


def _cipher(key: bytes, mode: str, iv: bytes | None) -> Cipher:
    if len(key) != BLOCK:
        raise SM4Error("SM4 密钥必须是 16 字节")
    if mode == "ecb":
        return Cipher(algorithms.SM4(key), modes.ECB())
    if mode == "cbc":
        if iv is None or len(iv) != BLOCK:
            raise SM4Error("CBC 模式需要 16 字节的初始向量（IV）")
        return Cipher(algorithms.SM4(key), modes.CBC(iv))
    raise SM4Error(f"不支持的 SM4 模式 {mode!r}，可用：{' / '.join(MODES)}")


def encrypt(key: bytes, data: bytes, *, mode: str = "ecb", padding: str = "pkcs7", iv: bytes | None = None) -> bytes:
    if padding == "pkcs7":
        padder = sym_padding.PKCS7(BLOCK * 8).padder()
        data = padder.update(data) + padder.finalize()
    elif padding == "zero":
        data += b"\0" * (-len(data) % BLOCK)
    else:
        raise SM4Error(f"不支持的填充方式 {padding!r}，可用：{' / '.join(PADDINGS)}")
    enc = _cipher(key, mode, iv).encryptor()
    return enc.update(data) + enc.finalize()


def decrypt(key: bytes, data: bytes, *, mode: str = "ecb", padding: str = "pkcs7", iv: bytes | None = None) -> bytes:
    if not data or len(data) % BLOCK:
        raise SM4Error("密文长度不是 16 字节的整数倍")
    dec = _cipher(key, mode, iv).decryptor()
    plain = dec.update(data) + dec.finalize()
    if padding == "zero":
        return plain.rstrip(b"\0")
    if padding != "pkcs7":
        raise SM4Error(f"不支持的填充方式 {padding!r}，可用：{' / '.join(PADDINGS)}")
    unpadder = sym_padding.PKCS7(BLOCK * 8).unpadder()
    try:
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError as exc:  # a wrong key shows up here, as bad padding
        raise SM4Error("SM4 解密失败（密钥或填充不符）") from exc
