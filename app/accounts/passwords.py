"""Password hashing (Argon2id) and the password policy."""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory profile
# Only for an app created with TESTING set to True (the test suite creates and logs in users thousands of
# times): still Argon2id and verified the same way, at the lowest cost the algorithm allows. A served
# platform never sets TESTING, so it always hashes with the profile above; an SMEDT_TESTING environment
# variable arrives as a string, not True, and does not lower the cost.
_testing_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Verified against when the username is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
_TESTING_DUMMY_HASH = _testing_hasher.hash(secrets.token_hex(16))

CLASSES = (
    ("大写字母", string.ascii_uppercase),
    ("小写字母", string.ascii_lowercase),
    ("数字", string.digits),
)


def _testing() -> bool:
    return has_app_context() and current_app.config.get("TESTING") is True


def hash_password(password: str) -> str:
    return (_testing_hasher if _testing() else _hasher).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Argon2 verifies with the parameters written in the stored hash, whichever profile made it."""
    dummy = _TESTING_DUMMY_HASH if _testing() else _DUMMY_HASH
    try:
        return _hasher.verify(stored_hash or dummy, password) and bool(stored_hash)
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
