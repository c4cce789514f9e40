"""The `Authorization` header of a docking push (spec 1.1 step 5).

The spec says the lower platform encrypts its platform information, its region code and its token, each
with SM4, and sets them into `Authorization`; it fixes neither the SM4 mode nor the padding, the text
encoding, how the ciphertext is written, nor how the three parts are joined. All of that is an
`AuthLayout`, configured on both sides (the receiving side puts its layout into the configuration file
it hands to the platforms it docks), with this default:

    SM4-ECB, PKCS#7 padding, UTF-8 text, Base64 ciphertext, parts joined as "{platform}.{region}.{token}"

so a header reads `Authorization: <b64(sm4(platform))>.<b64(sm4(region))>.<b64(sm4(token))>`.
"""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from app.docking import sm4

OUTPUTS = ("base64", "hex")
ENCODINGS = ("utf-8", "gbk")
PARTS = ("platform", "region", "token")
_CIPHER_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class AuthHeaderError(ValueError):
    """A header that does not follow the layout or does not decrypt with the key."""


@dataclass(frozen=True)
class AuthLayout:
    mode: str = "ecb"  # ecb | cbc
    padding: str = "pkcs7"  # pkcs7 | zero
    encoding: str = "utf-8"  # utf-8 | gbk: how the three texts become bytes
    output: str = "base64"  # base64 | hex: how each ciphertext is written
    template: str = "{platform}.{region}.{token}"  # order, separators and any fixed prefix
    iv: str = ""  # 32 hex digits, CBC only

    def __post_init__(self) -> None:
        check(self)

    @classmethod
    def from_dict(cls, values: dict) -> AuthLayout:
        """A layout from settings or a configuration file; unknown keys are ignored, missing ones default."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in (values or {}).items() if k in names and v not in (None, "")})

    @classmethod
    def from_settings(cls, cfg: Mapping[str, Any], prefix: str) -> AuthLayout:
        """The layout from settings named <prefix>MODE, …PADDING, …ENCODING, …OUTPUT, …TEMPLATE, …IV."""
        return cls(**{f.name: str(cfg[prefix + f.name.upper()]) for f in fields(cls)})

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"SM4-{self.mode.upper()}，{self.padding.upper()} 填充，{self.encoding.upper()} 编码，"
                f"{'Base64' if self.output == 'base64' else '十六进制'} 密文，拼接格式 {self.template}")


def check(layout: AuthLayout) -> None:
    """Raise ValueError (Chinese) for a layout that cannot work; the settings pages show the message."""
    for value, allowed, label in ((layout.mode, sm4.MODES, "SM4 模式"), (layout.padding, sm4.PADDINGS, "填充方式"),
                                  (layout.encoding, ENCODINGS, "文本编码"), (layout.output, OUTPUTS, "密文格式")):
        if value not in allowed:
            raise ValueError(f"{label}只能是 {' / '.join(allowed)}")
    if layout.mode == "cbc" and not re.fullmatch(r"[0-9a-fA-F]{32}", layout.iv or ""):
        raise ValueError("CBC 模式需要 32 位十六进制的初始向量（IV）")
    for part in PARTS:
        if layout.template.count("{" + part + "}") != 1:
            raise ValueError(f"拼接格式必须恰好包含一次 {{{part}}}")
    literals = _literals(layout.template)
    for between in literals[1:-1]:
        if not between or set(between) <= _CIPHER_ALPHABET:
            raise ValueError("拼接格式中三部分之间必须有分隔符，且分隔符不能只由字母、数字或 + / = 组成")


def _literals(template: str) -> list[str]:
    return re.split(r"\{(?:platform|region|token)\}", template)


def _pattern(template: str) -> re.Pattern:
    out, pos = [], 0
    for match in re.finditer(r"\{(platform|region|token)\}", template):
        out.append(re.escape(template[pos:match.start()]))
        out.append(f"(?P<{match.group(1)}>.+?)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S)


def _iv(layout: AuthLayout) -> bytes | None:
    return bytes.fromhex(layout.iv) if layout.mode == "cbc" else None


def encrypt_part(layout: AuthLayout, key: bytes, text: str) -> str:
    data = sm4.encrypt(key, text.encode(layout.encoding), mode=layout.mode, padding=layout.padding, iv=_iv(layout))
    return base64.b64encode(data).decode() if layout.output == "base64" else data.hex()


def decrypt_part(layout: AuthLayout, key: bytes, text: str) -> str:
    try:
        data = base64.b64decode(text, validate=True) if layout.output == "base64" else bytes.fromhex(text)
        return sm4.decrypt(key, data, mode=layout.mode, padding=layout.padding, iv=_iv(layout)).decode(layout.encoding)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise AuthHeaderError(f"Authorization 无法解密：{exc}") from exc


def build(layout: AuthLayout, key: bytes, *, platform: str, region: str, token: str) -> str:
    """The header value: each part SM4-encrypted, then placed into the layout's template."""
    values = {"platform": platform, "region": region, "token": token}
    return layout.template.format(**{name: encrypt_part(layout, key, values[name]) for name in PARTS})


def parse(layout: AuthLayout, key: bytes, header: str) -> dict[str, str]:
    """{"platform", "region", "token"} decrypted from a header; AuthHeaderError when it does not fit."""
    match = _pattern(layout.template).fullmatch((header or "").strip())
    if not match:
        raise AuthHeaderError("Authorization 格式不符合约定的拼接格式")
    return {name: decrypt_part(layout, key, match.group(name)) for name in PARTS}
