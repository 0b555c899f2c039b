"""What the desk tells a buyer when their order moves (manual 003 第2篇 §7: 核对地址 after payment).

Shipped: the courier and tracking number. Delivered: a check-in (回访) reminding the buyer
to check the goods, with a button to report a problem, whose words carry the order's
number so the bot finds that order (actions/problems.py).

After an `order.paid` event that took the order from unpaid to paid, the buyer hears
in their latest chat: thanks, the address (masked: the chat is no place for a full
phone number) and the courier to check, and the day it leaves by the shop's cut-off,
with a button to say the address is wrong. That button's words carry the order's
number, so the bot hands exactly that order to an agent (action_change_order); the bot
never edits an order itself. A failure here is logged: the event is kept whatever
the chat's fate.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Dict, Optional

logger = logging.getLogger(__name__)

PAID = ("亲,订单{order_id}已经付款成功啦,感谢您的支持~麻烦核对一下收货信息:{receiver};快递:{courier}。"
        "{ship_line}地址不对的话点下面的按钮告诉我,我马上请客服为您修改哦。")
SHIP_LINE = "预计{leaves_on}({day})从仓库发出。"
WRONG_ADDRESS = "订单{order_id}地址不对"
SHIPPED = "亲,您的订单{order_id}({items})已经发货啦~{courier}单号{tracking_no},在订单页就能看到物流进度哦。"
DELIVERED = ("亲,订单{order_id}显示已经签收啦~收到后记得先验货再享用哦。宝贝有任何破损、少发或者不满意,"
             "直接在这里告诉我或点下面的按钮,我马上帮您处理呢。")
REPORT_PROBLEM = "订单{order_id}收到的东西有问题"
# After an event, what the order went from and to: the notice to send.
NOTICES = {("order.paid", "paid"): "_paid", ("order.shipped", "shipped"): "_shipped",
           ("order.delivered", "delivered"): "_delivered"}


def masked(receiver: Dict[str, Any]) -> str:
    """The receiver as the buyer may see it in a chat: the name's first character, the phone's ends."""
    name = str(receiver.get("name") or "")
    phone = str(receiver.get("phone") or "")
    phone = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else phone
    place = "".join(str(receiver.get(key) or "") for key in ("region", "city", "address"))
    return " ".join(part for part in (name[:1] + "*" * max(len(name) - 1, 1) if name else "", phone, place) if part)


class OrderNotices:
    """Notices to buyers that order events call for."""

    def __init__(self, service, policy, now: Callable[[], datetime]):
        self.service, self.policy, self.now = service, policy, now

    async def after(self, event, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        try:
            notice = NOTICES.get((event.type, (after or {}).get("status")))
            # Only when the event moved the order on: a repeat or a late event says nothing.
            if notice and before and after and before.get("status") != after.get("status"):
                await getattr(self, notice)(after)
        except Exception:
            logger.exception("could not tell the buyer of order %s about %s", event.order_id, event.type)

    async def _chat_of(self, order: Dict[str, Any]) -> str:
        return (await self.service.store.conversation_for(order["account"])).id

    async def _shipped(self, order: Dict[str, Any]) -> None:
        items = "、".join(item["name"] for item in (order.get("items") or [])[:3])
        await self.service.bot_note(await self._chat_of(order), SHIPPED.format(
            order_id=order["order_id"], items=items, courier=order.get("courier") or "",
            tracking_no=order.get("tracking_no") or ""))

    async def _delivered(self, order: Dict[str, Any]) -> None:
        """The check-in after delivery (回访): check the goods, and where to report a problem."""
        button = REPORT_PROBLEM.format(order_id=order["order_id"])
        await self.service.bot_note(await self._chat_of(order), DELIVERED.format(order_id=order["order_id"]),
                                    {"buttons": [{"title": "收到的东西有问题", "payload": button}]})

    async def _paid(self, order: Dict[str, Any]) -> None:
        chat = await self._chat_of(order)
        paid_at = datetime.fromisoformat(order["paid_at"]) if order.get("paid_at") else self.now()
        ship = self.policy.ship_time(self.now(), paid_at=paid_at)
        ship_line = SHIP_LINE.format(leaves_on=ship.leaves_on, day=ship.leaves.strftime("%m月%d日")) \
            if ship.leaves else ""
        text = PAID.format(order_id=order["order_id"], receiver=masked(order.get("receiver") or {}),
                           courier=order.get("courier") or self.policy.default_courier, ship_line=ship_line)
        button = WRONG_ADDRESS.format(order_id=order["order_id"])
        await self.service.bot_note(chat, text, {"buttons": [{"title": "地址不对", "payload": button}]})
