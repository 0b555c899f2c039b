"""What the shop's backend says happened to an order, and the order after it.

The backend posts one event per change (shopbot/desk/order_webhook.py):

    {"id": "evt-1", "type": "order.paid", "order_id": "3116410457500407933",
     "at": "2026-11-23T12:05:00+08:00", "data": {...}}

`order.created` carries the whole order as orders.json holds one (account, items,
total, receiver...); `order.paid` nothing more; `order.shipped` the courier and
tracking number; `order.delivered` the signing event's words, if any; `order.closed`
a reason. Events may arrive late or out of order (a retry after a timeout): an order
never goes back to an earlier state, and a `paid` arriving after `shipped` only fills
in the payment time. Everything here is pure: the store keeps the events and the
orders (shopbot.shop.store).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional

TYPES = ("order.created", "order.paid", "order.shipped", "order.delivered", "order.closed")
EVENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ORDER_ID = re.compile(r"\d{6,32}")
# How far along an order is: a late event never moves it back.
STAGES = {"unpaid": 0, "paid": 1, "shipped": 2, "delivered": 3, "completed": 4, "closed": 5}
MAX_TEXT = 200


class EventRejected(ValueError):
    """The event cannot be taken as sent; the message says why, for the shop's developers."""


@dataclass(frozen=True)
class OrderEvent:
    id: str
    type: str
    order_id: str
    at: datetime
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def at_text(self) -> str:
        return self.at.isoformat(timespec="seconds")


def _text(value: Any, name: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise EventRejected(f"data.{name} must be text of at most {MAX_TEXT} characters")
    return value


def parse_event(body: Any) -> OrderEvent:
    """The event in a webhook's JSON body, checked field by field."""
    if not isinstance(body, dict):
        raise EventRejected("the body must be a JSON object")
    event_id, kind, order_id, at = body.get("id"), body.get("type"), body.get("order_id"), body.get("at")
    if not (isinstance(event_id, str) and EVENT_ID.fullmatch(event_id)):
        raise EventRejected("id must be 1 to 64 letters, digits or _.:-")
    if kind not in TYPES:
        raise EventRejected(f"type must be one of {', '.join(TYPES)}")
    if not (isinstance(order_id, str) and ORDER_ID.fullmatch(order_id)):
        raise EventRejected("order_id must be the order's number, as text")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise EventRejected("at must be an ISO 8601 time with its offset, like 2026-11-23T12:05:00+08:00")
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise EventRejected("data must be an object")
    if kind == "order.created":
        _check_new_order(data, order_id)
    return OrderEvent(event_id, kind, order_id, when, data)


def _check_new_order(order: Dict[str, Any], order_id: str) -> None:
    if str(order.get("order_id", order_id)) != order_id:
        raise EventRejected("data.order_id differs from the event's order_id")
    if not (isinstance(order.get("account"), str) and order["account"].strip()):
        raise EventRejected("data.account (the buyer) is required for order.created")
    items = order.get("items")
    if not (isinstance(items, list) and items and all(isinstance(i, dict) and isinstance(i.get("name"), str)
                                                      for i in items)):
        raise EventRejected("data.items must list the order's items, each with its name")


def signing_event(order: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """The order's latest logistics event recording the parcel signed for, if any."""
    return next((e for e in reversed(order.get("logistics") or []) if "签收" in e.get("event", "")), None)


def new_order(event: OrderEvent) -> Dict[str, Any]:
    """The order an `order.created` event describes, as orders.json would hold it."""
    order = copy.deepcopy(event.data)
    order.update(order_id=event.order_id, status="unpaid", created_at=order.get("created_at") or event.at_text)
    for name, empty in (("paid_at", None), ("shipped_at", None), ("courier", None), ("tracking_no", None),
                        ("logistics", []), ("refund", None), ("invoice", None), ("remark", "")):
        order.setdefault(name, empty)
    return order


def applied(order: Dict[str, Any], event: OrderEvent) -> Dict[str, Any]:
    """The order after `event` (a copy). `order.created` for an order already known changes nothing."""
    order = copy.deepcopy(order)
    if event.type == "order.created":
        return order
    data = event.data
    if event.type == "order.paid":
        order["paid_at"] = order.get("paid_at") or event.at_text
        _advance(order, "paid")
    elif event.type == "order.shipped":
        order["paid_at"] = order.get("paid_at") or event.at_text
        order["courier"] = _text(data.get("courier"), "courier") or order.get("courier")
        order["tracking_no"] = _text(data.get("tracking_no"), "tracking_no") or order.get("tracking_no")
        order["shipped_at"] = order.get("shipped_at") or event.at_text
        _advance(order, "shipped")
    elif event.type == "order.delivered":
        words = _text(data.get("event"), "event") or "已签收"
        logistics = order.setdefault("logistics", [])
        if not any(entry.get("time") == event.at_text and "签收" in entry.get("event", "") for entry in logistics):
            logistics.append({"time": event.at_text, "event": words if "签收" in words else f"已签收,{words}"})
        _advance(order, "delivered")
    elif event.type == "order.closed":
        if STAGES.get(order.get("status"), 0) <= STAGES["paid"] and not order.get("shipped_at"):
            order["status"] = "closed"  # a shipped order is not closed by a late event
            order["closed_reason"] = _text(data.get("reason"), "reason")
    return order


def _advance(order: Dict[str, Any], status: str) -> None:
    if order.get("status") != "closed" and STAGES.get(order.get("status"), 0) < STAGES[status]:
        order["status"] = status
