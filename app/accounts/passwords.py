"""Password hashing (Argon2id) and the password policy."""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory profile
# Verified against when the username is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

CLASSES = (
    ("大写字母", string.ascii_uppercase),
    ("小写字母", string.ascii_lowercase),
    ("数字", string.digits),
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def policy_problem(password: str, *, min_length: int = 8, username: str = "") -> str | None:
    """The first way `password` breaks the policy, in Chinese, or None if it is acceptable."""
    if len(password) < min_length:
        return f"密码至少 {min_length} 位。"
    if len(password) > 128:
        return "密码不能超过 128 位。"
    kinds = sum(any(c in chars for c in password) for _, chars in CLASSES)
    kinds += any(not c.isalnum() for c in password)  # symbols, including any non-ASCII punctuation
    if kinds < 3:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名。"
    return None


def generate_password(length: int = 14) -> str:
    """A random password that satisfies the policy, for new accounts and resets (shown once)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length - 2)) + "@" + secrets.choice("23456789")
        if policy_problem(candidate) is None:
            return candidate
