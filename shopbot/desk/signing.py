"""Who the buyer is: an account the shop's server signed, then a token for that one chat.

The shop's server (in the demo, the storefront page under `DESK_DEMO=1`) signs
`account|timestamp` with the secret it shares with the desk (`hello_for`, or
`shopbot sign ACCOUNT`). A hello counts for `max_age` seconds (10 minutes at most)
and never from further in the future than a clock may drift. After the welcome,
the chat is resumed with its own token (`resume_token`), so a widget reconnecting
an hour later keeps its buyer without holding a fresh signature.

Anything malformed (a missing or non-text field, a non-ASCII signature, an account
no shop would have) makes an anonymous visitor: general questions work, no order
is ever shown, and nothing raises.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Optional

MAX_HELLO_AGE = 600  # seconds: the longest a shop may let a signed hello count
CLOCK_SKEW = 30  # seconds: how far in the future a hello's time may be
# Tmall account names: letters, digits, CJK, and a few separators; no "|" (the signed text's separator).
ACCOUNT = re.compile(r"[\w\u4e00-\u9fff.@\-]{1,64}")


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest raises on a str with non-ASCII characters: compare bytes instead.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def _seconds(value: object) -> Optional[int]:
    """A unix time given as an int or a string of digits (from JSON or a query string), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def sign(account: str, timestamp: int, secret: str) -> str:
    return _mac(secret, f"{account}|{int(timestamp)}")


def hello_for(account: str, secret: str, now: Optional[float] = None) -> dict:
    """The fields a shop's page gives the widget for a logged-in buyer (`data-buyer`)."""
    ts = int(time.time() if now is None else now)
    return {"account": account, "ts": ts, "sig": sign(account, ts, secret)}


def verified_account(account: object, timestamp: object, signature: object, secret: str,
                     max_age_seconds: int, now: Optional[float] = None) -> Optional[str]:
    """The account if the shop signed it and the signature is fresh, else None (anonymous)."""
    if not (isinstance(account, str) and ACCOUNT.fullmatch(account) and isinstance(signature, str)):
        return None
    ts = _seconds(timestamp)
    if ts is None:
        return None
    current = time.time() if now is None else now
    if ts > current + CLOCK_SKEW or current - ts > min(max_age_seconds, MAX_HELLO_AGE):
        return None
    if not _same(sign(account, ts, secret), signature):
        return None
    return account


def resume_token(conversation_id: str, account: Optional[str], secret: str) -> str:
    """The token that lets this chat's widget come back to it, as the same buyer."""
    return _mac(secret, f"resume|{conversation_id}|{account or ''}")


def may_resume(conversation_id: str, account: Optional[str], token: object, secret: str) -> bool:
    return isinstance(token, str) and _same(resume_token(conversation_id, account, secret), token)


# A photo URL is good for this long at most, whatever expiry it carries.
MAX_PHOTO_URL_SECONDS = 3600


def photo_signature(key: str, variant: str, viewer: str, expires: int, secret: str) -> str:
    """The signature of one photo's URL (its photo or thumbnail) for one viewer (a buyer's chat,
    or an agent), valid until `expires` (unix seconds). The desk also checks that the one
    fetching it is that viewer."""
    return _mac(secret, f"photo|{key}|{variant}|{viewer}|{int(expires)}")


def photo_url_valid(key: str, variant: str, viewer: str, expires: object, signature: object, secret: str,
                    now: Optional[float] = None) -> bool:
    """A photo URL the desk signed for this photo, variant and viewer, not expired, not too long-lived."""
    until = _seconds(expires)
    if until is None or not isinstance(signature, str):
        return False
    current = time.time() if now is None else now
    if until < current or until > current + MAX_PHOTO_URL_SECONDS:
        return False
    return _same(photo_signature(key, variant, viewer, until, secret), signature)
