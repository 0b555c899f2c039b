"""The shop as the actions see it: policy, data and the clock, built once per process.

Built on first use, not at import time, so the action server starts even when
the database is briefly unavailable and tests can point it elsewhere first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from shopbot import config
from shopbot.shop.policy import ShopPolicy
from shopbot.shop.store import ShopStore, now_from


@dataclass
class Shop:
    policy: ShopPolicy
    store: ShopStore
    clock: Callable[[], datetime]

    def now(self) -> datetime:
        return self.clock()


_shop: Optional[Shop] = None


def get_shop() -> Shop:
    global _shop
    if _shop is None:
        settings = config.load()
        store = ShopStore(settings.shop_db_url)
        store.sync_from_files(settings.shop_dir)
        _shop = Shop(ShopPolicy(settings.shop_dir), store, lambda: now_from(settings.shop_now))
    return _shop


def reset_shop(shop: Optional[Shop] = None) -> None:
    """Forget (or replace) the process's shop; tests and reloads use this."""
    global _shop
    _shop = shop
