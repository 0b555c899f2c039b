"""Helpers shared by the tests/test_actions_*.py files.

They read the shop through the `shop` fixture (never hard-coded numbers), build
variants of the shop (another clock, edited settings) and turn what an action
dispatched into what the buyer would read.
"""
from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

import sqlalchemy as sa
import yaml

from shopbot.desk.service import INSTRUCTIONS
from shopbot.shop.policy import ShopPolicy
from shopbot.shop.service import Shop, reset_shop
from shopbot.shop.store import orders_table, products_table
from tests.actions_support import ROOT, domain, run, tracker, user

SHOP_DIR = ROOT / "shop"


# -- what the buyer got ---------------------------------------------------------
def responses(messages: List[Dict[str, Any]]) -> List[Optional[str]]:
    """The reply scripts sent, in order; the desk's instructions beside them are not replies."""
    return [m.get("response") for m in messages if not instruction_of(m)]


def shown(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What the buyer reads, without the instructions to the desk."""
    return [m for m in messages if not instruction_of(m)]


def instruction_of(message: Dict[str, Any]) -> Optional[str]:
    custom = message.get("custom")
    return next((name for name in INSTRUCTIONS if isinstance(custom, dict) and name in custom), None)


def instructions(messages: List[Dict[str, Any]], name: str) -> List[Dict[str, Any]]:
    """What the action told the desk under `name` (case, return_parcel, case_progress...)."""
    return [m["custom"][name] for m in messages if instruction_of(m) == name]


def render(message: Dict[str, Any], slots: Optional[Dict[str, Any]] = None) -> str:
    """The text the buyer reads: the domain template filled from the message's values.

    Fails if a placeholder of the template was left without a value, which the
    buyer would see as a raw "{name}".
    """
    name = message.get("response")
    if not name:
        return message.get("text") or json.dumps(message.get("custom") or {}, ensure_ascii=False)
    template = domain()["responses"][name][0]["text"]
    values = dict(slots or {})
    values.update({k: v for k, v in message.items() if k not in (
        "text", "buttons", "elements", "custom", "template", "response", "image", "attachment")})
    missing = set(re.findall(r"\{([a-z_]+)\}", template)) - set(values)
    assert not missing, f"{name} sent without {sorted(missing)}"
    return template.format(**values)


def everything_sent(messages: List[Dict[str, Any]]) -> str:
    """All a buyer (or the desk) could see: rendered texts plus raw values, buttons, payloads."""
    return "\n".join(render(m) for m in messages) + "\n" + json.dumps(messages, ensure_ascii=False)


def slot_sets(events: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """Slot name -> the last value the events set it to."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def followups(events: Iterable[Dict[str, Any]]) -> List[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


def assert_hands_off(events: List[Dict[str, Any]], reason: str, priority: str) -> None:
    slots = slot_sets(events)
    assert slots.get("handoff_reason") == reason
    assert slots.get("handoff_priority") == priority
    assert followups(events) == ["action_handoff"]


def assert_no_handoff(events: List[Dict[str, Any]]) -> None:
    assert followups(events) == []
    assert "handoff_reason" not in slot_sets(events)


# -- asking an action something -------------------------------------------------
def ask(action_obj, text: str, intent: str, entities: Optional[Dict[str, str]] = None,
        slots: Optional[Dict[str, Any]] = None, account: Optional[str] = None,
        history: Optional[List[Dict[str, Any]]] = None, page_sku: Optional[str] = None):
    """Run `action_obj` on one buyer message; entities as {name: value}.

    `account` is the verified account the channel vouched for (the message's metadata);
    `page_sku` the product page the widget is on.
    """
    ents = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    metadata = {"account": account} if account is not None else {}
    if page_sku is not None:
        metadata["page_sku"] = page_sku
    events = list(history or []) + [user(text, intent, ents, metadata=metadata)]
    return run(action_obj, tracker(events, dict(slots or {})))


# -- the shop's data ------------------------------------------------------------
def all_orders(shop: Shop) -> List[Dict[str, Any]]:
    with shop.store.engine.connect() as conn:
        docs = conn.execute(sa.select(orders_table.c.document)).scalars().all()
    return sorted((json.loads(d) for d in docs), key=lambda o: o["order_id"])


def pick_order(shop: Shop, wanted: Callable[[Dict[str, Any]], bool]) -> Dict[str, Any]:
    for order in all_orders(shop):
        if wanted(order):
            return order
    raise AssertionError("the sample orders have no order of this kind")


def order_status_in_db(shop: Shop, order_id: str) -> str:
    with shop.store.engine.connect() as conn:
        return conn.execute(sa.select(orders_table.c.status)
                            .where(orders_table.c.order_id == order_id)).scalar_one()


def signed_at(order: Dict[str, Any]) -> Optional[datetime]:
    for event in reversed(order.get("logistics") or []):
        if "签收" in event["event"]:
            return datetime.fromisoformat(event["time"])
    return None


def last_logistics_at(order: Dict[str, Any]) -> Optional[datetime]:
    events = order.get("logistics") or []
    return datetime.fromisoformat(events[-1]["time"]) if events else None


def hours_since(shop: Shop, value: Optional[str]) -> float:
    return (shop.now() - datetime.fromisoformat(value)) / timedelta(hours=1)


def set_product(shop: Shop, name: str, **values: Any) -> None:
    with shop.store.engine.begin() as conn:
        conn.execute(products_table.update().where(products_table.c.name == name).values(**values))


def products_in_category(shop: Shop, category: str) -> List[str]:
    return [p.name for p in shop.store.products() if p.category == category]


# -- variants of the shop -------------------------------------------------------
def shop_at(shop: Shop, when: str, policy: Optional[ShopPolicy] = None) -> Shop:
    """The same shop data with the clock at `when` (Beijing time), installed for the actions."""
    moment = datetime.fromisoformat(when)
    variant = Shop(policy or shop.policy, shop.store, lambda: moment)
    reset_shop(variant)
    return variant


def shop_dir_copy(tmp_path: Path, edit_settings: Callable[[Dict[str, Any]], None]) -> Path:
    """A copy of shop/ whose settings.yml went through `edit_settings`, as a merchant would edit it."""
    target = tmp_path / "edited_shop"
    shutil.copytree(SHOP_DIR, target)
    path = target / "settings.yml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit_settings(settings)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def restart_with(shop: Shop, shop_dir: Path) -> Shop:
    """What restarting the action server does after the merchant edited shop/: a new policy."""
    variant = Shop(ShopPolicy(shop_dir), shop.store, shop.clock)
    reset_shop(variant)
    return variant
