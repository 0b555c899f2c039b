"""Nobody chats as another buyer: the attacks on the buyer's identity, against the real app.

The storefront signs accounts only in the demo (DESK_DEMO=1, `make run`); a hello counts
for ten minutes and not from the future; a chat is resumed with its own token or a fresh
signature of its own account; anything malformed is an anonymous visitor, never an error.
"""
import html
import json
import re
import time

import aiohttp

from shopbot.desk import signing
from tests.desk_support import DESK_SECRET, bot_answer, running_desk, signed_hello, widget


async def storefront_hello(desk, query: str) -> dict:
    """What the storefront page at `/?query` hands its widget (data-buyer), as the widget sends it."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{desk.url}/?{query}") as answer:
            assert answer.status == 200
            page = await answer.text()
    buyer = json.loads(html.unescape(re.search(r'data-buyer="([^"]*)"', page).group(1)))
    return dict(buyer, type="hello")


async def asks_for_orders(desk, hello: dict):
    """Open a widget with `hello`, ask where the order is; the welcome's account and the account Rasa got."""
    async with widget(desk, hello) as buyer:
        await buyer.say("我的快递到哪了", "c1")
        await buyer.until(bot_answer)
        return buyer.welcome["account"], desk.rasa.sent[-1][2]


async def test_outside_the_demo_the_storefront_signs_no_account_a_visitor_asks_for(tmp_path):
    async with running_desk(tmp_path) as desk:
        hello = await storefront_hello(desk, "account=tb_wang88")
        assert "tb_wang88" not in json.dumps(hello) and "sig" not in hello
        assert await asks_for_orders(desk, hello) == (None, None)


async def test_the_demo_storefront_signs_its_buyer(tmp_path):
    async with running_desk(tmp_path, DESK_DEMO="1") as desk:
        hello = await storefront_hello(desk, "account=tb_wang88")
        assert await asks_for_orders(desk, hello) == ("tb_wang88", "tb_wang88")
        anonymous = await storefront_hello(desk, "account=tb_wang88&anonymous=1")
        assert await asks_for_orders(desk, anonymous) == (None, None)


async def test_a_hello_signed_eleven_minutes_ago_or_for_five_minutes_ahead_is_anonymous(tmp_path):
    async with running_desk(tmp_path) as desk:
        for moment in (time.time() - 11 * 60, time.time() + 5 * 60):
            hello = dict(signing.hello_for("tb_lily", DESK_SECRET, now=moment), type="hello")
            assert await asks_for_orders(desk, hello) == (None, None)


async def test_a_non_ascii_or_wrongly_typed_field_is_never_an_error_and_never_someone_else(tmp_path):
    async with running_desk(tmp_path) as desk:
        for broken in ({"sig": "签名" * 32}, {"sig": ["x"]}, {"ts": "明天"}, {"ts": True}, {"ts": 1e300},
                       {"account": {"a": 1}}, {"account": "tb|lily"}):
            assert await asks_for_orders(desk, dict(signed_hello("tb_lily"), **broken)) == (None, None), broken
        # A broken chat reference leaves a signed buyer signed, in a chat of their own.
        for broken in ({"conversation_id": ["x"]}, {"conversation_id": "x" * 10000}, {"resume": {"a": 1}},
                       {"conversation_id": "x", "resume": "签名"}):
            assert await asks_for_orders(desk, dict(signed_hello("tb_lily"), **broken)) == ("tb_lily",) * 2, broken


async def test_a_chat_comes_back_with_its_own_token_after_the_signature_expired(tmp_path):
    async with running_desk(tmp_path) as desk:
        async with widget(desk, signed_hello("tb_lily")) as lily:
            await lily.say("我的快递到哪了", "c1")
            await lily.until(bot_answer)
            chat_id, token = lily.welcome["conversation_id"], lily.welcome["resume"]
        stale = dict(signing.hello_for("tb_lily", DESK_SECRET, now=time.time() - 3600), type="hello")
        async with widget(desk, dict(stale, conversation_id=chat_id, resume=token)) as again:
            assert (again.welcome["conversation_id"], again.welcome["account"]) == (chat_id, "tb_lily")
            assert [e["message"]["text"] for e in await again.until(bot_answer)][0] == "我的快递到哪了"


async def test_knowing_a_chats_id_or_another_chats_token_does_not_open_it(tmp_path):
    async with running_desk(tmp_path) as desk:
        async with widget(desk, {"type": "hello"}) as visitor:
            await visitor.say("我的手机号是13800000000", "c1")
            await visitor.until(bot_answer)
            anonymous_chat = visitor.welcome["conversation_id"]
        async with widget(desk, signed_hello("tb_lily")) as lily:
            lily_chat, lily_token = lily.welcome["conversation_id"], lily.welcome["resume"]
        async with widget(desk, {"type": "hello", "conversation_id": anonymous_chat}) as snoop:
            assert snoop.welcome["conversation_id"] != anonymous_chat and snoop.events == []
        async with widget(desk, {"type": "hello", "conversation_id": anonymous_chat, "resume": lily_token}) as snoop:
            assert snoop.welcome["conversation_id"] != anonymous_chat and snoop.events == []
        async with widget(desk, {"type": "hello", "conversation_id": lily_chat, "resume": "0" * 64}) as snoop:
            assert snoop.welcome["conversation_id"] != lily_chat and snoop.welcome["account"] is None
