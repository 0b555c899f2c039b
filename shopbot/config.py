"""Every setting read from the environment, in one place, with sane defaults.

Nothing else in the project reads os.environ. Values are read when `load()` is
called, not at import time, so tests and processes can set them first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import List, Mapping, Optional, Tuple


# Only for a developer's machine; `make run` warns when it is in use.
DEV_SECRET = "dev-only-secret-change-me"


@dataclass(frozen=True)
class Config:
    shop_dir: Path
    shop_db_url: str
    # Pins "now" for demos and tests (ISO 8601); None means the real clock.
    shop_now: Optional[datetime]
    desk_host: str
    # Served over HTTPS (TLS at nginx): the session cookie is then Secure.
    desk_https: bool
    desk_port: int
    desk_db_url: str
    rasa_url: str
    # The desk's own way to Rasa: the replicas it balances over, or just rasa_url.
    rasa_replica_urls: List[str]
    # Shared with the shop's pages, which sign the buyer's account with it.
    desk_secret: str
    # How long a signed hello counts, in seconds (signing.MAX_HELLO_AGE at most).
    signature_max_age: int
    # The storefront signs any ?account= (DESK_DEMO=1, make run only); else / is anonymous.
    desk_demo: bool
    domain_path: Path
    tracker_db_url: str
    # Rasa's HTTP API token (rasa run --auth-token), sent by the desk and the trainers' tools.
    rasa_token: Optional[str]
    # The REST channel trusts metadata.account only from a caller with this token (the desk).
    channel_token: Optional[str]
    # Rasa sends it to the action server, which refuses calls without it.
    actions_token: Optional[str]
    gate_margin: float
    # Several desk replicas share live events through Redis when this is set.
    redis_url: Optional[str]
    # Proxies in front of the desk whose X-Forwarded-For is believed (1 behind nginx).
    desk_proxies: int
    # Buyers' limits, (burst, per second): lines per socket, lines per address, new chats per address.
    socket_rate: Tuple[float, float]
    address_rate: Tuple[float, float]
    chats_rate: Tuple[float, float]
    # Logins per address (any names), (burst, per second).
    login_rate: Tuple[float, float]
    # Where buyers' photos are kept (shopbot.desk.photo_store), shared by the desk replicas.
    photo_dir: Path
    # Photos a chat may upload, (burst, per second): a case takes six.
    photo_rate: Tuple[float, float]
    # Signs the shop backend's order events (shopbot.desk.order_webhook); DESK_SECRET when unset.
    order_events_secret: str
    # Seconds between a desk's looks for unpaid orders due a reminder (催付); 0: never (test rigs).
    remind_every: float


def load(environ: Optional[Mapping[str, str]] = None) -> Config:
    env = os.environ if environ is None else environ
    shop_dir = Path(env.get("SHOP_DIR", "shop"))
    now = env.get("SHOP_NOW") or None
    rasa_url = env.get("RASA_URL") or f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"
    return Config(
        shop_dir=shop_dir,
        shop_db_url=env.get("SHOP_DB_URL") or f"sqlite:///{Path('var') / 'shop.db'}",
        shop_now=datetime.fromisoformat(now) if now else None,
        desk_host=env.get("DESK_HOST", "127.0.0.1"),
        desk_https=env.get("DESK_HTTPS", "") == "1",
        desk_port=int(env.get("DESK_PORT", "8000")),
        desk_db_url=env.get("DESK_DB_URL") or f"sqlite:///{Path('var') / 'desk.db'}",
        rasa_url=rasa_url,
        rasa_replica_urls=[u.strip() for u in env.get("RASA_REPLICA_URLS", "").split(",") if u.strip()]
        or [rasa_url],
        desk_secret=env.get("DESK_SECRET", DEV_SECRET),
        signature_max_age=int(env.get("DESK_SIGNATURE_MAX_AGE", "600")),
        desk_demo=env.get("DESK_DEMO", "") == "1",
        domain_path=Path(env.get("DOMAIN_PATH", "domain.yml")),
        tracker_db_url=env.get("TRACKER_STORE_URL")
        or f"sqlite:///{env.get('TRACKER_DB') or Path('var') / 'trackers.db'}",
        rasa_token=env.get("RASA_TOKEN") or None,
        channel_token=env.get("CHANNEL_TOKEN") or None,
        actions_token=env.get("ACTIONS_TOKEN") or None,
        gate_margin=float(env.get("NLU_GATE_MARGIN", "0.01")),
        redis_url=env.get("REDIS_URL") or None,
        desk_proxies=int(env.get("DESK_PROXIES", "0")),
        socket_rate=_rate(env, "DESK_SOCKET_RATE", "20,1"),
        address_rate=_rate(env, "DESK_ADDRESS_RATE", "60,3"),
        chats_rate=_rate(env, "DESK_CHATS_RATE", "20,0.2"),
        login_rate=_rate(env, "DESK_LOGIN_RATE", "20,0.2"),
        photo_dir=Path(env.get("PHOTO_DIR") or Path("var") / "uploads"),
        photo_rate=_rate(env, "DESK_PHOTO_RATE", "8,0.1"),
        order_events_secret=env.get("ORDER_EVENTS_SECRET") or env.get("DESK_SECRET", DEV_SECRET),
        remind_every=float(env.get("DESK_REMIND_EVERY", "60")),
    )


def _rate(env: Mapping[str, str], name: str, default: str) -> Tuple[float, float]:
    """A limit written "burst,per_second" (e.g. "20,1": 20 at once, then one a second)."""
    text = env.get(name) or default
    try:
        burst, per_second = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{name} must be written burst,per_second (like {default}), not {text!r}") from None
    if burst < 1 or per_second < 0:
        raise ValueError(f"{name}: the burst must be at least 1 and the rate not negative ({text!r})")
    return burst, per_second
