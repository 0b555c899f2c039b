"""A simulated buyer that talks to the desk the way widget.js does.

The fault tests and `make bench-faults` need buyers who survive what real ones
survive: when the socket drops (a desk replica restarts, PostgreSQL blinks) the
widget reconnects with its conversation id and the last message id it saw, and
resends every message the desk has not acknowledged. This class does the same,
so "nothing lost" is checked against the widget's own protocol, not a kinder one.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import aiohttp

from shopbot.desk.frames import events_in
from shopbot.desk.signing import sign

ANSWERING_SENDERS = ("bot", "agent", "system")


@dataclass
class Turn:
    """One message the buyer sent and what became of it."""
    client_id: str
    text: str
    stored_id: Optional[int] = None  # the desk's id, from the echo of the line
    sent: bool = False  # sent on some socket already: a later send is a resend (the desk stores it before asking)
    answer: Optional[Dict] = None  # the first bot/agent/system message after it
    seconds: Optional[float] = None


@dataclass
class SimulatedBuyer:
    http: aiohttp.ClientSession
    desk_url: str
    account: Optional[str]
    secret: str
    conversation_id: Optional[str] = None
    turns: List[Turn] = field(default_factory=list)
    reconnects: int = 0
    _ws: Optional[aiohttp.ClientWebSocketResponse] = None
    _seen: Dict[int, Dict] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return self.desk_url.replace("http", "ws", 1) + "/ws/buyer"

    async def _connect(self, give_up_at: float) -> None:
        delay = 0.25
        while True:
            try:
                ws = await self.http.ws_connect(self.ws_url)
                ts = int(time.time())
                hello = {"type": "hello", "conversation_id": self.conversation_id,
                         "after": max(self._seen, default=0)}
                if self.account:
                    hello.update(account=self.account, ts=ts, sig=sign(self.account, ts, self.secret))
                await ws.send_str(json.dumps(hello))
                frame = await asyncio.wait_for(ws.receive(), 15)
                welcome = json.loads(frame.data) if frame.type == aiohttp.WSMsgType.TEXT else {}
                if welcome.get("type") != "welcome":
                    await ws.close()
                    raise ConnectionError(f"no welcome: {frame.type} {frame.data!r:.80}")
                if self.conversation_id is not None:
                    self.reconnects += 1
                self.conversation_id = welcome["conversation_id"]
                self._ws = ws
                for turn in self.turns:  # the widget's outbox: everything not acknowledged
                    if turn.stored_id is None:
                        await ws.send_str(json.dumps({"type": "message", "client_id": turn.client_id,
                                                      "text": turn.text, "resend": turn.sent}))
                        turn.sent = True
                return
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, ValueError, KeyError):
                if time.monotonic() + delay >= give_up_at:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def open(self, timeout: float = 30.0) -> float:
        """Open the chat as the widget does when the buyer clicks it; the seconds it took."""
        began = time.monotonic()
        await self._connect(began + timeout)
        return time.monotonic() - began

    async def say(self, text: str, timeout: float = 60.0) -> Turn:
        """Send one message and wait for the answer to it, reconnecting as often as needed."""
        began = time.monotonic()
        give_up_at = began + timeout
        turn = Turn(client_id=uuid.uuid4().hex, text=text)
        self.turns.append(turn)
        sent = False
        while turn.answer is None and time.monotonic() < give_up_at:
            try:
                if self._ws is None or self._ws.closed:
                    self._ws = None
                    await self._connect(give_up_at)  # resends the turn if it was not acknowledged
                    sent = True
                if not sent:
                    await self._ws.send_str(json.dumps({"type": "message", "client_id": turn.client_id,
                                                        "text": text, "resend": False}))
                    sent = turn.sent = True
                frame = await asyncio.wait_for(self._ws.receive(), max(0.1, give_up_at - time.monotonic()))
                if frame.type != aiohttp.WSMsgType.TEXT:
                    self._ws = None  # closed: reconnect on the next pass
                    continue
                for event in events_in(json.loads(frame.data)):
                    self._handle(event)
            except asyncio.TimeoutError:
                break
            except (aiohttp.ClientError, ConnectionError, ValueError):
                self._ws = None
        if turn.answer is not None:
            turn.seconds = time.monotonic() - began
        return turn

    def _handle(self, event: Dict) -> None:
        if event.get("type") == "message":
            message = event["message"]
            self._seen[message["id"]] = message
            if message["sender"] == "buyer":  # the echo of our own line: stored, with this id
                for turn in self.turns:
                    if turn.client_id == message.get("client_id"):
                        turn.stored_id = message["id"]
        self._match_answers()

    def _match_answers(self) -> None:
        for turn in self.turns:
            if turn.answer is None and turn.stored_id is not None:
                later = [m for i, m in sorted(self._seen.items())
                         if i > turn.stored_id and m["sender"] in ANSWERING_SENDERS]
                if later:
                    turn.answer = later[0]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


@dataclass
class TranscriptCheck:
    lost: int = 0
    duplicated: int = 0
    unanswered: int = 0
    conversations: int = 0


async def check_transcripts(agent_http: aiohttp.ClientSession, desk_url: str,
                            buyers: List[SimulatedBuyer]) -> TranscriptCheck:
    """Each message a buyer sent must be stored exactly once, with an answer after it.

    Read through the agents' API (a logged-in session), so it is the desk's
    stored transcript that is judged, not what the buyer happened to receive.
    """
    check = TranscriptCheck()
    for buyer in buyers:
        if buyer.conversation_id is None:
            check.lost += len(buyer.turns)
            continue
        check.conversations += 1
        async with agent_http.get(f"{desk_url}/api/conversations/{buyer.conversation_id}") as response:
            messages = (await response.json())["messages"]
        for turn in buyer.turns:
            stored = [m for m in messages if m["sender"] == "buyer" and m["client_id"] == turn.client_id]
            check.lost += not stored
            check.duplicated += max(0, len(stored) - 1)
            if stored and not any(m["id"] > stored[0]["id"] and m["sender"] in ANSWERING_SENDERS
                                  for m in messages):
                check.unanswered += 1
    return check


class SimulatedAgent:
    """Claims every handed-off chat, answers once and hands it back (load and fault drills).

    Errors are expected while a fault is on (a desk restarting, PostgreSQL
    blinking): the agent simply tries again on its next round, as a person would.
    """

    REPLY = "亲,我是人工客服,已经为您备注处理啦"

    def __init__(self, http: aiohttp.ClientSession, desk_url: str):
        self.http, self.desk_url = http, desk_url
        self.claimed = 0

    async def login(self, username: str, password: str) -> bool:
        async with self.http.post(f"{self.desk_url}/api/login",
                                  json={"username": username, "password": password}) as response:
            return response.status == 200

    async def run(self, until: float, every: float = 0.3) -> None:
        while time.monotonic() < until:
            try:
                await self.serve_queue()
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError):
                pass
            await asyncio.sleep(every)

    async def serve_queue(self) -> None:
        async with self.http.get(f"{self.desk_url}/api/queue") as response:
            waiting = (await response.json()).get("waiting", [])
        for chat in waiting:
            url = f"{self.desk_url}/api/conversations/{chat['id']}"
            async with self.http.post(f"{url}/claim") as response:
                if response.status != 200:
                    continue
            self.claimed += 1
            async with self.http.post(f"{url}/messages", json={"text": self.REPLY}):
                pass
            async with self.http.post(f"{url}/hand-back"):
                pass
