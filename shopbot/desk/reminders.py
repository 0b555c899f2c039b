"""催付: one tactful reminder for an order left unpaid (manual 004: never pushy, noted on the order).

Every desk runs `send_due` once a minute (DESK_REMIND_EVERY). An order unpaid for
`unpaid_after_minutes`, and not yet `within_hours` old (shop/settings.yml `reminders`;
past that the buyer has moved on), gets one reminder, outside the quiet hours, at most
`per_buyer_per_day` a buyer (one), never for a buyer who said 不用提醒. The order is
read again just before sending: a payment or a closing that arrived meanwhile (the
webhook) means no reminder. The reminder is said in the buyer's latest chat (a new
one if they have none), so an open widget shows it at once and a widget coming back
to its chat shows it then. Each is written down twice: in `order_reminders` (whose
insert claims it, so of several desks exactly one sends) and as a service note on the
order, for agents (GET /api/reminders).
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, time as clock, timedelta
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shopbot.desk.off_loop import in_thread
from shopbot.desk.schema import order_reminders, reminder_optouts

logger = logging.getLogger(__name__)

REMINDER = ("亲,您拍下的{items}还没有付款哦~{cutoff_line}有任何疑问(口味、规格、优惠)随时问我就好,"
            "不需要提醒的话回复「不用提醒」就可以啦。")
CUTOFF_LINE = "今天{cutoff}前付款,当天就能为您发出呢。"
# 不用了 / 不需要提醒 / 别催了: the buyer wants no more reminders.
OPT_OUT = re.compile(r"(不用|不需要|不要|别|无需)(再)?(提醒|催)")


@dataclass(frozen=True)
class ReminderRules:
    after: timedelta
    within: timedelta
    quiet_from: clock
    quiet_until: clock
    cutoff: str

    @classmethod
    def from_settings(cls, settings: Dict[str, Any]) -> "ReminderRules":
        reminders = settings.get("reminders") or {}
        quiet = str(reminders.get("quiet_hours") or "22:00-08:00")
        start, end = (clock.fromisoformat(part.strip()) for part in quiet.split("-"))
        return cls(timedelta(minutes=int(reminders.get("unpaid_after_minutes", 30))),
                   timedelta(hours=float(reminders.get("within_hours", 24))), start, end,
                   str((settings.get("dispatch") or {}).get("cutoff", "16:00")))

    def quiet(self, now: datetime) -> bool:
        at = now.time()
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= at < self.quiet_until
        return at >= self.quiet_from or at < self.quiet_until  # across midnight


def reminder_text(order: Dict[str, Any], rules: ReminderRules, now: datetime) -> str:
    names = "、".join(item["name"] for item in (order.get("items") or [])[:3])
    before_cutoff = now.time() < clock.fromisoformat(rules.cutoff)
    return REMINDER.format(items=names, cutoff_line=CUTOFF_LINE.format(cutoff=rules.cutoff) if before_cutoff else "")


class Reminders:
    """The desk's reminders: which are due, sending them, and the buyers who said no."""

    def __init__(self, engine, shop_store, service, rules: ReminderRules, now: Callable[[], datetime]):
        self.engine, self.shop_store, self.service = engine, shop_store, service
        self.rules, self.now = rules, now

    async def opt_out(self, account: Optional[str]) -> None:
        if not account:
            return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(reminder_optouts.insert().values(account=account, said_at=time.time()))
        except IntegrityError:
            pass  # said before

    async def heard(self, account: Optional[str], text: str) -> None:
        """A buyer's line: 不用提醒 stops their reminders for good."""
        if account and OPT_OUT.search(text or ""):
            await self.opt_out(account)

    async def _opted_out(self, account: str) -> bool:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(reminder_optouts.c.account)
                                       .where(reminder_optouts.c.account == account))).first() is not None

    async def _claim(self, order: Dict[str, Any], day: str) -> bool:
        """This desk sends the order's reminder: none was sent for it, nor to its buyer this day."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(order_reminders.insert().values(
                    order_id=order["order_id"], account=order["account"], day=day, sent_at=time.time()))
        except IntegrityError:
            return False
        return True

    async def send_due(self) -> int:
        """Send the reminders due now; how many were sent."""
        now = self.now()
        if self.rules.quiet(now):
            return 0
        sent = 0
        for order in await in_thread(self.shop_store.unpaid_orders):
            created = datetime.fromisoformat(order["created_at"]) if order.get("created_at") else None
            if created is None or not self.rules.after <= now - created <= self.rules.within \
                    or await self._opted_out(order["account"]):
                continue
            # Read again at the last moment: a payment may have come in since the list was read.
            current = await in_thread(self.shop_store.order, order["order_id"], order["account"])
            if current is None or current["status"] != "unpaid":
                continue
            if not await self._claim(current, now.date().isoformat()):
                continue
            await self._send(current, now)
            sent += 1
        return sent

    async def _send(self, order: Dict[str, Any], now: datetime) -> None:
        conversation = await self.service.store.conversation_for(order["account"])
        await self.service.bot_note(conversation.id, reminder_text(order, self.rules, now))
        async with self.engine.begin() as conn:
            await conn.execute(order_reminders.update().where(order_reminders.c.order_id == order["order_id"])
                               .values(conversation_id=conversation.id))
        await in_thread(self.shop_store.add_service_note, order["order_id"],
                             {"time": now.isoformat(timespec="minutes"), "by": "bot", "text": "已发送催付提醒"})
        logger.info("reminded %s of unpaid order %s", order["account"], order["order_id"])

    async def sent(self, limit: int = 200) -> List[Dict[str, Any]]:
        """The reminders sent, newest first: what agents see."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(order_reminders).order_by(order_reminders.c.sent_at.desc())
                                       .limit(limit))).all()
        return [dict(row._mapping) for row in rows]
