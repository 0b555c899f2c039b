"""催付 on the shop's pinned clock: one tactful reminder an unpaid order, none in quiet hours,
none after payment or after 不用提醒, one a buyer a day; noted on the order and for agents."""
import json
from datetime import datetime

import aiohttp
import pytest

from shopbot.desk.order_webhook import signed_headers
from tests.desk_support import DESK_SECRET, bot_answer, running_desk, signed_hello, widget

LILY_UNPAID = "3116410457500407933"  # created 2026-11-23 around the sample "now"
NOON = "2026-11-23T12:00:00+08:00"


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running:
        await running.add_user("alice")
        yield running


def at(desk, when):
    desk.app.ctx.reminders.now = lambda: datetime.fromisoformat(when)


async def reminders_to(desk, account):
    chat = await desk.store.latest_conversation_of(account)
    messages = await desk.store.transcript(chat.id) if chat else []
    return [m.text for m in messages if "还没有付款" in m.text]


async def test_an_unpaid_order_gets_one_reminder_naming_its_items_and_never_a_second(desk):
    at(desk, NOON)
    assert await desk.app.ctx.reminders.send_due() >= 1
    assert await desk.app.ctx.reminders.send_due() == 0
    [text] = await reminders_to(desk, "tb_lily")
    order = desk.app.ctx.shop_store.order(LILY_UNPAID, "tb_lily")
    assert order["items"][0]["name"] in text and "16:00前付款" in text and "不用提醒" in text
    assert order["service_notes"][-1]["by"] == "bot"
    agent = await desk.session("alice")
    async with agent.get(f"{desk.url}/api/reminders") as answer:
        listed = (await answer.json())["reminders"]
    await agent.close()
    assert LILY_UNPAID in {r["order_id"] for r in listed}


async def test_a_buyer_with_two_unpaid_orders_hears_once_a_day(desk):
    at(desk, NOON)
    await desk.app.ctx.reminders.send_due()
    unpaid = [o for o in desk.app.ctx.shop_store.orders_of("sunny_day") if o["status"] == "unpaid"]
    assert len(unpaid) >= 2 and len(await reminders_to(desk, "sunny_day")) == 1


async def test_none_in_the_quiet_hours(desk):
    at(desk, "2026-11-23T23:30:00+08:00")
    assert await desk.app.ctx.reminders.send_due() == 0
    assert await reminders_to(desk, "tb_lily") == []


async def test_a_payment_arriving_first_means_no_reminder(desk):
    body = json.dumps({"id": "evt-1", "type": "order.paid", "order_id": LILY_UNPAID, "at": NOON, "data": {}}).encode()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{desk.url}/api/orders/events", data=body,
                             headers=signed_headers(DESK_SECRET, body)) as answer:
            assert answer.status == 200
    at(desk, NOON)
    await desk.app.ctx.reminders.send_due()
    assert await reminders_to(desk, "tb_lily") == []


async def test_a_buyer_who_says_no_reminders_gets_none(desk):
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("不需要提醒 我想好了再买", "c1")
        await buyer.until(bot_answer)
    at(desk, NOON)
    await desk.app.ctx.reminders.send_due()
    assert await reminders_to(desk, "tb_lily") == []


async def test_the_reminder_reaches_an_open_widget_at_once(desk):
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("在吗", "c1")
        await buyer.until(bot_answer)
        at(desk, NOON)
        await desk.app.ctx.reminders.send_due()
        shown = await buyer.until(lambda e: e["type"] == "message" and "还没有付款" in e["message"]["text"])
    assert shown[-1]["message"]["sender"] == "bot"


async def test_an_order_unpaid_for_days_is_not_reminded_and_the_reminder_keeps_the_rules(desk):
    from shopbot.compliance import check_reply
    from shopbot.desk.reminders import reminder_text

    at(desk, "2026-11-26T12:00:00+08:00")  # three days on: the buyer has moved on
    assert await desk.app.ctx.reminders.send_due() == 0
    order = desk.app.ctx.shop_store.order(LILY_UNPAID, "tb_lily")
    for when in ("2026-11-23T12:00:00+08:00", "2026-11-23T17:00:00+08:00"):
        text = reminder_text(order, desk.app.ctx.reminders.rules, datetime.fromisoformat(when))
        assert check_reply(text) == [] and text.startswith("亲")
        assert ("16:00前付款" in text) == (when.endswith("12:00:00+08:00"))  # the cut-off only before it
