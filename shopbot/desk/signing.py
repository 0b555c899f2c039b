"""The buyer's account, signed by the shop's page so nobody can chat as someone else.

The storefront (in production: the platform) signs `account|timestamp` with a
secret it shares with the desk. An unsigned, expired or forged hello makes an
anonymous session: general questions work, no order is ever shown.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Optional


def sign(account: str, timestamp: int, secret: str) -> str:
    message = f"{account}|{int(timestamp)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verified_account(account: object, timestamp: object, signature: object, secret: str,
                     max_age_seconds: int, now: Optional[float] = None) -> Optional[str]:
    """The account if the signature is valid and fresh, else None (anonymous)."""
    if not (isinstance(account, str) and account and isinstance(signature, str)):
        return None
    try:
        ts = int(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: a ts of Infinity
        return None
    current = time.time() if now is None else now
    if abs(current - ts) > max_age_seconds:
        return None
    if not hmac.compare_digest(sign(account, ts, secret), signature):
        return None
    return account
