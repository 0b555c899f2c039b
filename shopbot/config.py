"""Every setting read from the environment, in one place, with sane defaults.

Nothing else in the project reads os.environ. Values are read when `load()` is
called, not at import time, so tests and processes can set them first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Mapping, Optional


@dataclass(frozen=True)
class Config:
    shop_dir: Path
    shop_db_url: str
    # Pins "now" for demos and tests (ISO 8601); None means the real clock.
    shop_now: Optional[datetime]


def load(environ: Optional[Mapping[str, str]] = None) -> Config:
    env = os.environ if environ is None else environ
    shop_dir = Path(env.get("SHOP_DIR", "shop"))
    now = env.get("SHOP_NOW") or None
    return Config(
        shop_dir=shop_dir,
        shop_db_url=env.get("SHOP_DB_URL") or f"sqlite:///{Path('var') / 'shop.db'}",
        shop_now=datetime.fromisoformat(now) if now else None,
    )
