"""The sample shop's orders told again as the events a shop's backend would have sent.

For the demo and for trying the webhook (`shopbot orders replay`): each order of
orders.json becomes order.created, then order.paid, order.shipped, order.delivered
or order.closed as far as it went, each at the time the order records, with an id
made from the order and the step, so a second replay changes nothing.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from shopbot.shop.order_events import signing_event


def events_of(order: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    """The events of one order, in the order they happened."""
    order_id = str(order["order_id"])

    def event(kind: str, at: str, **data: Any) -> Dict[str, Any]:
        return {"id": f"replay-{order_id}-{kind}", "type": f"order.{kind}", "order_id": order_id, "at": at,
                "data": data}

    created = {key: order[key] for key in ("account", "items", "total", "postage", "receiver", "remark",
                                          "created_at", "freight_insurance") if key in order}
    yield event("created", order["created_at"], **created)
    if order.get("paid_at"):
        yield event("paid", order["paid_at"])
    if order.get("shipped_at"):
        yield event("shipped", order["shipped_at"], courier=order.get("courier"), tracking_no=order.get("tracking_no"))
    signed = signing_event(order)
    if signed and order["status"] in ("delivered", "completed"):
        yield event("delivered", signed["time"], event=signed["event"][:200])
    if order["status"] == "closed":
        yield event("closed", order.get("created_at"), reason="买家取消")


def replay_events(orders_file: Path, account: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every order's events (of one buyer's orders, with `account`), oldest first."""
    orders = json.loads(Path(orders_file).read_text(encoding="utf-8")).get("orders") or []
    events = [e for order in orders if account is None or order.get("account") == account for e in events_of(order)]
    return sorted(events, key=lambda e: (e["at"], e["id"]))
