"""Faults a busy day brings: the action server dies mid-conversation.

Runs against a private stack (ProjectStack) so killing its processes cannot
disturb other tests. Restarting the desk mid-chat is in test_desk_http.
"""
import asyncio
import json
import time
import uuid

import aiohttp
import requests

from shopbot.desk.frames import events_in
from shopbot.desk.service import NOTICE_BOT_DOWN
from shopbot.desk.signing import sign
from tests.conftest import DESK_SECRET, rasa_api


async def chat(stack, conversation_id, texts):
    """Send texts on the buyer socket; return the conversation id and every event."""
    events = []
    ts = int(time.time())
    hello = {"type": "hello", "account": "tb_lily", "ts": ts, "sig": sign("tb_lily", ts, DESK_SECRET),
             "conversation_id": conversation_id}
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(stack.desk_url.replace("http", "ws") + "/ws/buyer") as ws:
            await ws.send_str(json.dumps(hello))
            welcome = json.loads((await ws.receive(timeout=10)).data)
            for text in texts:
                client_id = uuid.uuid4().hex
                await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))
                stored = False
                while True:  # the echo of the line comes first; what answers it follows: read on briefly
                    try:
                        frame = await ws.receive(timeout=3 if stored else 60)
                    except asyncio.TimeoutError:
                        break
                    for event in events_in(json.loads(frame.data)):
                        events.append(event)
                        stored = stored or (event.get("type") == "message"
                                            and event["message"].get("client_id") == client_id)
    return welcome["conversation_id"], events


def said(events, sender):
    return [e["message"]["text"] for e in events if e.get("type") == "message" and e["message"]["sender"] == sender]


def test_action_server_dies_mid_conversation_the_buyer_is_asked_to_wait_and_handed_off(project_stack):
    stack = project_stack
    conversation, events = asyncio.run(chat(stack, None, ["这个芒果干还有货吗"]))
    assert any("芒果干" in t for t in said(events, "bot"))

    stack.kill_actions()
    try:
        _, events = asyncio.run(chat(stack, conversation, ["保质期多久"]))
        assert NOTICE_BOT_DOWN in said(events, "system"), events
        agent = requests.Session()
        agent.post(stack.desk_url + "/api/login", json={"username": "alice", "password": "agentpass1"}, timeout=10)
        queue = agent.get(stack.desk_url + "/api/queue", timeout=10).json()["waiting"]
        waiting = next(c for c in queue if c["id"] == conversation)
        assert waiting["reason"] == "bot_unavailable" and waiting["priority"] == "high"
        transcript = agent.get(f"{stack.desk_url}/api/conversations/{conversation}", timeout=10).json()
        assert [m["text"] for m in transcript["messages"] if m["sender"] == "buyer"] == ["这个芒果干还有货吗", "保质期多久"]
        assert requests.get(stack.rasa_url + "/status", params=rasa_api(), timeout=10).ok  # Rasa did not crash
    finally:
        stack.start_actions()

    agent.post(f"{stack.desk_url}/api/conversations/{conversation}/claim", timeout=10)
    agent.post(f"{stack.desk_url}/api/conversations/{conversation}/hand-back", timeout=10)
    _, events = asyncio.run(chat(stack, conversation, ["这个芒果干保质期多久"]))
    assert any("保质期" in t for t in said(events, "bot")), events
