"""The desk over HTTP and WebSocket, as the widget and the console use it."""
import asyncio
import json
import time
import uuid

import aiohttp
import pytest
import requests

from shopbot.desk.frames import events_in
from shopbot.desk.signing import sign
from tests.conftest import DESK_SECRET

AGENT_ENDPOINTS = [
    ("GET", "/api/queue"), ("GET", "/api/me"), ("GET", "/api/quick-replies"),
    ("GET", "/api/conversations/abc"), ("POST", "/api/conversations/abc/claim"),
    ("POST", "/api/conversations/abc/messages"), ("POST", "/api/conversations/abc/hand-back"),
    ("POST", "/api/conversations/abc/close"), ("GET", "/api/stats/stages"),
]


@pytest.mark.parametrize("method,path", AGENT_ENDPOINTS)
def test_agent_endpoints_answer_401_without_a_session(desk, method, path):
    response = requests.request(method, desk.url + path, json={"text": "hi"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "请先登录"


def test_a_forged_session_token_is_401(desk):
    response = requests.get(desk.url + "/api/queue", headers={"Authorization": "Bearer forged"}, timeout=10)
    assert response.status_code == 401


def test_a_wrong_password_gets_a_clear_message(desk):
    response = requests.post(desk.url + "/api/login", json={"username": "alice", "password": "nope"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "用户名或密码错误"
    assert requests.post(desk.url + "/api/login", data=b"{bad json", timeout=10).status_code == 400


def agent_session(desk, username="alice"):
    session = requests.Session()
    assert session.post(desk.url + "/api/login", json={"username": username, "password": "agentpass1"},
                        timeout=10).ok
    return session


async def buyer_chat(desk, hello, messages, client_ids=None):
    """Open the widget's socket, send messages, collect events until the replies settle."""
    events = []
    client_ids = client_ids or [uuid.uuid4().hex for _ in messages]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(desk.url.replace("http", "ws") + "/ws/buyer") as ws:
            await ws.send_str(json.dumps(dict({"type": "hello"}, **hello)))
            for text, client_id in zip(messages, client_ids):
                await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=3)
                except asyncio.TimeoutError:
                    break
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                events.extend(events_in(json.loads(msg.data)))
    return events


def signed(account):
    ts = int(time.time())
    return {"account": account, "ts": ts, "sig": sign(account, ts, DESK_SECRET)}


def test_the_buyers_line_comes_back_in_one_frame_with_what_answers_it(desk):
    """The echo that confirms a line never costs the widget a frame of its own."""
    async def frames():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(desk.url.replace("http", "ws") + "/ws/buyer") as ws:
                await ws.send_str(json.dumps(dict({"type": "hello"}, **signed("tb_lily"))))
                await ws.receive(timeout=10)  # welcome
                await ws.send_str(json.dumps({"type": "message", "client_id": "one-frame", "text": "这款有货吗",
                                              "resend": False}))
                received = []
                while not any(e.get("type") == "message" and e["message"]["sender"] == "bot"
                              for frame in received for e in events_in(frame)):
                    received.append(json.loads((await ws.receive(timeout=30)).data))
                return received

    received = asyncio.run(frames())
    with_the_line = next(frame for frame in received if any(
        e.get("type") == "message" and e["message"].get("client_id") == "one-frame" for e in events_in(frame)))
    assert with_the_line["type"] == "batch"
    kinds = [(e["type"], e.get("on") or e.get("message", {}).get("sender")) for e in with_the_line["events"]]
    assert kinds[0] == ("message", "buyer") and kinds[1] in (("message", "bot"), ("typing", True))


def test_a_signed_buyer_gets_answers_about_their_own_orders(desk):
    events = asyncio.run(buyer_chat(desk, signed("tb_lily"), ["我的快递到哪了"]))
    assert events[0]["type"] == "welcome" and events[0]["account"] == "tb_lily"
    bot = [e["message"]["text"] for e in events if e["type"] == "message" and e["message"]["sender"] == "bot"]
    assert bot and "登录" not in bot[0]


def test_a_forged_signature_makes_an_anonymous_buyer_who_sees_no_order(desk):
    hello = dict(signed("tb_lily"), account="tb_wang88")
    events = asyncio.run(buyer_chat(desk, hello, ["我的快递到哪了"]))
    assert events[0]["account"] is None
    bot = [e["message"]["text"] for e in events if e["type"] == "message" and e["message"]["sender"] == "bot"]
    assert bot and "登录" in bot[0]


def test_an_agent_sees_how_long_this_desks_steps_of_a_bot_answer_take(desk):
    alice = agent_session(desk)
    before = alice.get(desk.url + "/api/stats/stages", timeout=10).json()["stages"]
    asyncio.run(buyer_chat(desk, signed("tb_lily"), ["这款有货吗"]))
    after = alice.get(desk.url + "/api/stats/stages", timeout=10).json()["stages"]
    for stage in ("store_line", "rasa", "shown", "answer", "whole"):
        assert after[stage]["count"] >= before[stage]["count"] + 1
        assert 0 < after[stage]["p50_ms"] <= after[stage]["p95_ms"]
    assert after["whole"]["p95_ms"] < 20_000


def test_a_complaint_reaches_the_queue_and_an_agent_can_answer(desk):
    events = asyncio.run(buyer_chat(desk, signed("tb_lily"), ["你们什么破服务 我要投诉"]))
    conversation_id = events[0]["conversation_id"]
    alice = agent_session(desk)
    waiting = alice.get(desk.url + "/api/queue", timeout=10).json()["waiting"]
    chat = next(c for c in waiting if c["id"] == conversation_id)
    assert chat["reason"] in ("complaint", "anger") and chat["priority"] == "high"
    assert alice.post(f"{desk.url}/api/conversations/{conversation_id}/claim", timeout=10).ok
    bob = agent_session(desk, "bob")
    second = bob.post(f"{desk.url}/api/conversations/{conversation_id}/claim", timeout=10)
    assert second.status_code == 409 and "alice" in second.json()["error"]
    reply = alice.post(f"{desk.url}/api/conversations/{conversation_id}/messages",
                       json={"text": "亲,非常抱歉,我来为您处理"}, timeout=10)
    assert reply.ok
    detail = alice.get(f"{desk.url}/api/conversations/{conversation_id}", timeout=10).json()
    senders = [m["sender"] for m in detail["messages"]]
    assert senders[0] == "buyer" and "agent" in senders


def test_a_rule_breaking_agent_reply_needs_confirmation(desk):
    events = asyncio.run(buyer_chat(desk, signed("tb_lily"), ["转人工"]))
    conversation_id = events[0]["conversation_id"]
    alice = agent_session(desk)
    alice.post(f"{desk.url}/api/conversations/{conversation_id}/claim", timeout=10)
    draft = {"text": "亲,这个是特价商品,不提供发票哦"}
    refused = alice.post(f"{desk.url}/api/conversations/{conversation_id}/messages", json=draft, timeout=10)
    assert refused.status_code == 422
    assert refused.json()["breaches"][0]["rule"] == "invoice_refused"
    confirmed = alice.post(f"{desk.url}/api/conversations/{conversation_id}/messages",
                           json=dict(draft, confirm=True), timeout=10)
    assert confirmed.ok


def test_a_desk_restart_mid_chat_loses_nothing(desk):
    events = asyncio.run(buyer_chat(desk, signed("tb_lily"), ["转人工", "我在等"]))
    conversation_id = events[0]["conversation_id"]
    alice = agent_session(desk)
    before = alice.get(f"{desk.url}/api/conversations/{conversation_id}", timeout=10).json()
    desk.stop()
    desk.start()
    alice = agent_session(desk)
    after = alice.get(f"{desk.url}/api/conversations/{conversation_id}", timeout=10).json()
    assert after["messages"] == before["messages"]
    assert after["conversation"]["state"] == "waiting"
    resumed = asyncio.run(buyer_chat(desk, dict(signed("tb_lily"), conversation_id=conversation_id), []))
    assert resumed[0]["conversation_id"] == conversation_id
    replayed = [e["message"]["text"] for e in resumed if e["type"] == "message"]
    assert "我在等" in replayed


def test_a_line_resent_on_a_new_socket_is_confirmed_to_the_widget_but_stored_and_answered_once(desk):
    """The widget resends what it saw no confirmation for; the desk says "stored" again, nothing more."""
    first = asyncio.run(buyer_chat(desk, signed("tb_lily"), ["芒果干有货吗"], client_ids=["line-1"]))
    conversation_id = first[0]["conversation_id"]
    messages = [e["message"] for e in first if e["type"] == "message"]
    echo = [m for m in messages if m["sender"] == "buyer"]
    assert [m["client_id"] for m in echo] == ["line-1"]  # the live echo is the confirmation
    bot_replies = [m for m in messages if m["sender"] == "bot"]
    assert bot_replies

    # As after a connection dropped before the echo arrived: everything seen is skipped, the line resent.
    seen = max(m["id"] for m in messages)
    again = asyncio.run(buyer_chat(desk, dict(signed("tb_lily"), conversation_id=conversation_id, after=seen),
                                   ["芒果干有货吗"], client_ids=["line-1"]))
    confirmed = [e["message"] for e in again if e["type"] == "message"]
    assert [(m["id"], m["client_id"]) for m in confirmed] == [(echo[0]["id"], "line-1")]

    stored = agent_session(desk).get(f"{desk.url}/api/conversations/{conversation_id}", timeout=10).json()["messages"]
    assert [m["text"] for m in stored if m["sender"] == "buyer"] == ["芒果干有货吗"]
    assert len([m for m in stored if m["sender"] == "bot"]) == len(bot_replies)
