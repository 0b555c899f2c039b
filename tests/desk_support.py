"""A desk for tests: the real app built by `create_app()`, served in the test's own event
loop on a free port, with a stand-in for Rasa; and the helpers its tests share."""
from __future__ import annotations

import asyncio
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Dict, Optional

import aiohttp
from sanic import Sanic

from harness.cluster import free_port
from shopbot import config
from shopbot.desk import signing
from shopbot.desk.app import create_app
from shopbot.desk.auth import add_user
from shopbot.desk.frames import events_in
from shopbot.desk.rasa_client import RasaUnavailable

ROOT = Path(__file__).resolve().parent.parent
DESK_SECRET = "test-desk-secret"
# The sample shop's "now" (scripts/make_sample_orders.py): orders are dated around it.
SAMPLE_NOW = "2026-11-23T12:00:00+08:00"
AGENT_PASSWORD = "agentpass1"


class StandInRasa:
    """Answers like Rasa's REST channel; records what the desk asked of it."""

    def __init__(self):
        self.sent, self.paused, self.resumed = [], [], []
        self.pages = []  # the product page each line was sent from (None: none said)
        self.replies = lambda text: [{"recipient_id": "x", "text": f"亲,收到:{text}"}]
        self.down = False
        self.thinking_seconds = 0.0
        self.tracker = {}  # conversation -> [(the desk's name for the line, the replies)], as Rasa keeps them

    async def send(self, conversation_id, text, account, line=None, again=False, page_sku=None):
        await asyncio.sleep(self.thinking_seconds)
        self.pages.append(page_sku)
        if self.down:
            raise RasaUnavailable("connection refused")
        kept = [replies for named, replies in self.tracker.get(conversation_id, []) if line and named == line]
        if again and kept:
            return kept[-1]  # as shopbot.rasa_ext's patch 10: answered as before, not processed again
        self.sent.append((conversation_id, text, account))
        replies = self.replies(text)
        self.tracker.setdefault(conversation_id, []).append((line, replies))
        return replies

    async def pause(self, conversation_id):
        self.paused.append(conversation_id)

    async def resume(self, conversation_id):
        self.resumed.append(conversation_id)

    async def close(self):
        return None


def desk_environment(tmp: Path, **overrides: str) -> Dict[str, str]:
    """The settings of a test desk: its own databases under `tmp`, the sample shop's clock."""
    return dict(os.environ, DESK_DB_URL=f"sqlite:///{tmp / 'desk.db'}", SHOP_DB_URL=f"sqlite:///{tmp / 'shop.db'}",
                DESK_SECRET=DESK_SECRET, SHOP_NOW=SAMPLE_NOW, DOMAIN_PATH=str(ROOT / "domain.yml"),
                SHOP_DIR=str(ROOT / "shop"), **dict({"DESK_REMIND_EVERY": "0"}, **overrides))


class RunningDesk:
    """A desk app serving in this event loop: its URL, its app (and so its store), its Rasa."""

    def __init__(self, app, url: str, rasa):
        self.app, self.url, self.rasa = app, url, rasa

    @property
    def store(self):
        return self.app.ctx.store

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1)

    async def add_user(self, username: str, role: str = "agent", password: str = AGENT_PASSWORD,
                       nickname: Optional[str] = None) -> None:
        await add_user(self.store, username, password, role, nickname)

    async def session(self, username: str, password: str = AGENT_PASSWORD) -> aiohttp.ClientSession:
        """A logged-in HTTP session (close it when done)."""
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # unsafe: keeps an IP's cookies
        async with http.post(f"{self.url}/api/login", json={"username": username, "password": password}) as answer:
            assert answer.status == 200, await answer.text()
        return http


@asynccontextmanager
async def running_desk(tmp: Path, rasa=None, hub=None, **environment: str) -> AsyncIterator[RunningDesk]:
    """`create_app()` served on a free port of 127.0.0.1 until the block ends, then stopped as a desk stops."""
    rasa = rasa if rasa is not None else StandInRasa()
    # Sanic rewrites some of its own methods when an app starts; in test mode it keeps the
    # originals, so that many apps can start one after another in one process.
    Sanic.test_mode = True
    app = create_app(config.load(desk_environment(tmp, **environment)), hub=hub, rasa=rasa)
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield RunningDesk(app, f"http://127.0.0.1:{port}", rasa)
    finally:
        await server.before_stop()
        await server.close()
        for connection in list(server.connections):
            connection.close_if_idle()
        await server.after_stop()


def signed_hello(account: str, secret: str = DESK_SECRET, **extra) -> dict:
    ts = int(time.time())
    return dict({"type": "hello", "account": account, "ts": ts, "sig": signing.sign(account, ts, secret)}, **extra)


class Widget:
    """A buyer's widget on a socket: sends lines, reads the events the desk sends back."""

    def __init__(self, ws):
        self.ws = ws
        self.welcome: dict = {}
        self.events: list = []

    async def next_event(self, timeout: float = 5.0) -> dict:
        while not self.events:
            frame = await self.ws.receive_json(timeout=timeout)
            self.events.extend(events_in(frame))
        return self.events.pop(0)

    async def say(self, text: str, client_id: Optional[str] = None) -> None:
        await self.ws.send_json({"type": "message", "text": text, "client_id": client_id})

    async def until(self, predicate, timeout: float = 5.0) -> list:
        """Every event up to and including the first that `predicate` accepts."""
        seen = []
        while not seen or not predicate(seen[-1]):
            seen.append(await self.next_event(timeout))
        return seen


def bot_answer(event: dict) -> bool:
    return event.get("type") == "message" and event["message"]["sender"] in ("bot", "system")


@asynccontextmanager
async def widget(desk: RunningDesk, hello: dict) -> AsyncIterator[Widget]:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{desk.ws_url}/ws/buyer") as ws:
            opened = Widget(ws)
            await ws.send_json(hello)
            opened.welcome = await opened.next_event()
            yield opened
