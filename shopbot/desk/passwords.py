"""Agents' passwords: salted scrypt hashes, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Optional


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt).split("$")[2], digest_hex)


@lru_cache(maxsize=1)
def unknown_user_hash() -> str:
    """A hash no password matches: checked for an unknown name, so that it takes as long
    to refuse as a wrong password and the answer's time does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(32))
