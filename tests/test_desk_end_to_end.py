"""The desk as `make run` starts it: its own process, in front of the real Rasa and action server."""
import asyncio
import uuid

import requests

from tests.desk_support import bot_answer, signed_hello, widget


class Remote:
    """The `widget()` helper's view of a desk process."""

    def __init__(self, url):
        self.url, self.ws_url = url, url.replace("http", "ws", 1)


def own_echo(event):
    return event["type"] == "message" and event["message"]["sender"] == "buyer"


async def chat(desk, hello, lines, answered=bot_answer):
    """Say each line, waiting for what `answered` accepts after it; the welcome and every event."""
    async with widget(Remote(desk.url), hello) as buyer:
        events = []
        for line in lines:
            await buyer.say(line, uuid.uuid4().hex)
            events += await buyer.until(answered, timeout=30)
        return buyer.welcome, events


def bot_texts(events):
    return [e["message"]["text"] for e in events if e["type"] == "message" and e["message"]["sender"] == "bot"]


def agent_session(desk, username="alice"):
    session = requests.Session()
    assert session.post(desk.url + "/api/login", json={"username": username, "password": "agentpass1"},
                        timeout=10).ok
    return session


def test_a_signed_buyer_gets_answers_about_their_own_orders_and_a_forger_sees_none(desk):
    welcome, events = asyncio.run(chat(desk, signed_hello("tb_lily"), ["我的快递到哪了"]))
    assert welcome["account"] == "tb_lily"
    assert bot_texts(events) and "登录" not in bot_texts(events)[0]
    welcome, events = asyncio.run(chat(desk, dict(signed_hello("tb_lily"), account="tb_wang88"), ["我的快递到哪了"]))
    assert welcome["account"] is None
    assert bot_texts(events) and "登录" in bot_texts(events)[0]


def test_a_desk_restart_mid_chat_loses_nothing(desk):
    welcome, _ = asyncio.run(chat(desk, signed_hello("tb_lily"), ["转人工"]))
    asyncio.run(chat(desk, signed_hello("tb_lily", conversation_id=welcome["conversation_id"], after=10 ** 6),
                     ["我在等"], answered=own_echo))
    chat_id = welcome["conversation_id"]
    before = agent_session(desk).get(f"{desk.url}/api/conversations/{chat_id}", timeout=10).json()
    assert before["conversation"]["state"] == "waiting"
    desk.stop()
    desk.start()
    after = agent_session(desk).get(f"{desk.url}/api/conversations/{chat_id}", timeout=10).json()
    assert after == before

    async def resume():
        async with widget(Remote(desk.url), signed_hello("tb_lily", conversation_id=chat_id)) as buyer:
            return buyer.welcome, await buyer.until(lambda e: e["message"]["text"] == "我在等", timeout=30)

    welcome, replayed = asyncio.run(resume())
    assert welcome["conversation_id"] == chat_id and replayed[0]["message"]["text"] == "转人工"
