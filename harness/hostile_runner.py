"""Sending harness.hostile cases to running servers and judging what came back.

Shared by tests/test_hostile_inputs.py and bench/faults.py. Judged as a user
would notice: a 5xx, a reply with another account's order ids or tracking
numbers, a forged hello that got signed in, a malformed frame that broke the
chat, an oversized frame that did not close its socket (or closed another), a
Rasa command that reached Rasa from the desk.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp
from yarl import URL

from harness.hostile import WS_MAX_SIZE, HostileCase, foreign_identifiers, load_accounts, materialize_hello
from shopbot.desk.frames import events_in
from shopbot.desk.signing import sign

NORMAL_QUESTION = "包邮吗"
WS_LEAK_QUESTION = "我的快递到哪了"


@dataclass
class Problem:
    kind: str       # the case kind (or "survival" / "normal_reply")
    what: str       # server_error / leak / forged_login / broken_socket / oversize / injection / ...
    detail: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.what}: {self.detail}"


@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)          # (channel, kind) -> cases sent
    statuses: Counter = field(default_factory=Counter)        # (channel, status) -> count
    problems: List[Problem] = field(default_factory=list)
    injections: List[Tuple[str, str]] = field(default_factory=list)  # (conversation_id, client_id)
    survived: Optional[bool] = None

    def add(self, kind: str, what: str, detail: str) -> None:
        self.problems.append(Problem(kind, what, detail[:400]))

    def of(self, what: str) -> List[Problem]:
        return [p for p in self.problems if p.what == what]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def _request(http: aiohttp.ClientSession, method: str, url: Any, data: Optional[bytes],
                   headers: Dict[str, str]) -> Tuple[int, str]:
    """One request; once more if a pooled keep-alive connection was closed under us."""
    for attempt in (1, 2):
        try:
            async with http.request(method, url, data=data, headers=headers, allow_redirects=False) as response:
                return response.status, (await response.read()).decode("utf-8", "replace")
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _leaks(text: str, forbidden: Sequence[str], typed: str) -> List[str]:
    """Forbidden identifiers in `text` that the buyer did not type themselves."""
    return [ident for ident in forbidden if ident in text and ident not in typed]


class HostileRunner:
    def __init__(self, rasa_url: str, desk_url: str, secret: str, agent: Optional[Tuple[str, str]] = None,
                 concurrency: int = 4, ws_connections: int = 4, timeout: float = 60.0,
                 rasa_token: Optional[str] = None, channel_token: Optional[str] = None):
        self.rasa_url = rasa_url.rstrip("/")
        # Rasa is called as the desk calls it: its API with the token, the channel with its token.
        self.rasa_api = {"token": rasa_token} if rasa_token else {}
        self.channel_headers = {"Authorization": f"Bearer {channel_token}"} if channel_token else {}
        self.desk_url = desk_url.rstrip("/")
        self.ws_url = self.desk_url.replace("http", "ws", 1) + "/ws/buyer"
        self.secret = secret
        self.agent = agent
        self.concurrency = concurrency
        self.ws_connections = ws_connections
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.accounts = load_accounts()
        self.report = Report()
        self.lily_conversation = ""
        self.session_token: Optional[str] = None

    # -- helpers ----------------------------------------------------------------------------------
    def _signed(self, account: str) -> Dict[str, Any]:
        now = int(time.time())
        return {"type": "hello", "account": account, "ts": now, "sig": sign(account, now, self.secret)}

    def _status(self, channel: str, kind: str, status: int, detail: str) -> None:
        self.report.statuses[(channel, status)] += 1
        if status >= 500:
            self.report.add(kind, "server_error", f"{channel} answered {status} to {detail}")

    async def _login(self, http: aiohttp.ClientSession) -> None:
        if not self.agent:
            return
        async with http.post(self.desk_url + "/api/login",
                             json={"username": self.agent[0], "password": self.agent[1]}) as response:
            if response.status != 200:
                self.report.add("setup", "login_failed", f"agent login answered {response.status}")
                return
            cookie = response.cookies.get("desk_session")
            self.session_token = cookie.value if cookie else None

    # -- Rasa REST ----------------------------------------------------------------------------------
    async def _rest_one(self, http: aiohttp.ClientSession, case: HostileCase, index: int) -> None:
        account: Optional[str] = None
        typed = ""
        if case.target == "text":
            account = "tb_lily" if index % 2 else None
            body = {"sender": f"hostile-rest-{index}-{uuid.uuid4().hex[:6]}", "message": case.payload,
                    "metadata": {"account": account} if account else {}}
            data, typed = json.dumps(body, ensure_ascii=False).encode(), case.payload
        elif "json" in case.payload:
            body = case.payload["json"]
            data, typed = json.dumps(body).encode(), json.dumps(body, ensure_ascii=False)
            metadata = body.get("metadata") if isinstance(body, dict) else None
            raw = metadata.get("account") if isinstance(metadata, dict) else None
            account = raw.strip() if isinstance(raw, str) and raw.strip() else None
        else:
            data = case.payload["raw"]
            typed = data.decode("utf-8", "replace")
        self.report.counts[("rest", case.kind)] += 1
        try:
            status, text = await _request(http, "POST", self.rasa_url + "/webhooks/rest/webhook", data,
                                          {"Content-Type": "application/json", **self.channel_headers})
            self._status("rasa", case.kind, status, case.short())
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self.report.add(case.kind, "no_answer", f"Rasa did not answer {case.short()}: {error!r}")
            return
        leaked = _leaks(text, foreign_identifiers(self.accounts, account), typed)
        if leaked:
            self.report.add(case.kind, "leak", f"Rasa reply for account {account!r} shows {leaked[:3]} ({case.short()})")

    # -- desk APIs ----------------------------------------------------------------------------------
    async def _api_one(self, http: aiohttp.ClientSession, case: HostileCase) -> None:
        payload = case.payload
        headers = {"Content-Type": "application/json"}
        if payload["auth"] == "session" and self.session_token:
            headers["Authorization"] = f"Bearer {self.session_token}"
        elif payload["auth"] == "forged":
            headers["Authorization"] = "Bearer " + uuid.uuid4().hex
        self.report.counts[("api", case.kind)] += 1
        url = self.desk_url + payload["path"]
        try:
            status, text = await _request(http, payload["method"], URL(url, encoded=True), payload["body"], headers)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            self.report.add(case.kind, "no_answer", f"desk did not answer {case.short()}: {error!r}")
            return
        self._status("desk", case.kind, status, case.short())
        protected = payload["path"].startswith("/api/") and payload["path"] not in ("/api/login", "/api/logout")
        if payload["auth"] != "session" and protected and 200 <= status < 300:
            self.report.add(case.kind, "unauthorised", f"{status} without a session: {case.short()}")
        if payload["auth"] != "session" or payload["path"].startswith("/static"):
            leaked = _leaks(text, foreign_identifiers(self.accounts, None), payload["path"])
            if leaked:
                self.report.add(case.kind, "leak", f"{payload['path']} showed {leaked[:3]}")

    # -- buyer socket ---------------------------------------------------------------------------------
    async def _ws_open(self, http: aiohttp.ClientSession, hello: Dict[str, Any]):
        ws = await http.ws_connect(self.ws_url, max_msg_size=0)
        await ws.send_str(json.dumps(hello))
        msg = await asyncio.wait_for(ws.receive(), 30)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return ws, None
        return ws, json.loads(msg.data)

    @staticmethod
    async def _collect(ws, events: List[Dict[str, Any]], until_stored: str, timeout: float) -> bool:
        """Read events until the echo of the line sent as `until_stored`; False if the socket closed or time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await asyncio.wait_for(ws.receive(), max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return False
            if msg.type != aiohttp.WSMsgType.TEXT:
                return False
            frame = events_in(json.loads(msg.data))
            events.extend(frame)  # all of it: the echo comes in one frame with the answer
            if any(event.get("type") == "message" and event["message"].get("client_id") == until_stored
                   for event in frame):
                return True
        return False

    @staticmethod
    async def _drain(ws, events: List[Dict[str, Any]], quiet: float = 0.3) -> None:
        while True:
            try:
                msg = await asyncio.wait_for(ws.receive(), quiet)
            except asyncio.TimeoutError:
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            events.extend(events_in(json.loads(msg.data)))

    def _check_ws_events(self, kind: str, account: Optional[str], events: List[Dict[str, Any]], typed: str) -> None:
        forbidden = foreign_identifiers(self.accounts, account)
        for event in events:
            if event.get("type") == "message" and (event.get("message") or {}).get("sender") == "buyer":
                continue  # the buyer's own words, echoed
            leaked = _leaks(json.dumps(event, ensure_ascii=False), forbidden, typed)
            if leaked:
                self.report.add(kind, "leak", f"socket of {account!r} got {leaked[:3]} in {str(event)[:200]}")

    async def _ws_stream(self, http: aiohttp.ClientSession, account: Optional[str],
                         cases: List[Tuple[int, HostileCase]]) -> None:
        """Many text cases and malformed frames on one buyer socket, then a sentinel message."""
        hello = self._signed(account) if account else {"type": "hello"}
        ws, welcome = await self._ws_open(http, hello)
        kinds = sorted({c.kind for _, c in cases})
        if not welcome or welcome.get("type") != "welcome" or welcome.get("account") != account:
            self.report.add(",".join(kinds), "bad_welcome", f"{account!r} got {welcome!r}")
            await ws.close()
            return
        conversation_id = welcome["conversation_id"]
        events: List[Dict[str, Any]] = []
        typed_parts: List[str] = []
        reader_events = events
        for index, case in cases:
            self.report.counts[("ws", case.kind)] += 1
            if case.target == "text":
                client_id = f"h{index}"
                if case.kind == "rasa_command":
                    self.report.injections.append((conversation_id, client_id))
                await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": case.payload}))
                typed_parts.append(case.payload)
            else:
                frame = case.payload
                if "binary" in frame:
                    await ws.send_bytes(frame["binary"])
                    typed_parts.append(frame["binary"].decode("utf-8", "replace"))
                else:
                    text = frame["text"].replace("<lily_conversation>", self.lily_conversation)
                    await ws.send_str(text)
                    typed_parts.append(text)
            if len(typed_parts) % 20 == 0:  # keep the desk's queue and ours short
                sentinel = f"s{index}"
                await ws.send_str(json.dumps({"type": "message", "client_id": sentinel, "text": "好的"}))
                if not await self._collect(ws, reader_events, sentinel, 120):
                    self.report.add(",".join(kinds), "broken_socket",
                                    f"{account!r} socket stopped answering after {case.short()}")
                    break
        else:
            sentinel = "final-" + uuid.uuid4().hex[:6]
            await ws.send_str(json.dumps({"type": "message", "client_id": sentinel, "text": "好的"}))
            if not await self._collect(ws, reader_events, sentinel, 120):
                self.report.add(",".join(kinds), "broken_socket", f"{account!r} socket stopped answering at the end")
            await self._drain(ws, reader_events)
        await ws.close()
        self._check_ws_events(",".join(kinds), account, events, "\n".join(typed_parts))

    async def _ws_hello_one(self, http: aiohttp.ClientSession, case: HostileCase) -> None:
        self.report.counts[("ws", case.kind)] += 1
        hello = materialize_hello(case.payload, self.secret, int(time.time()), self.lily_conversation)
        expected = case.payload.get("_expect_account")
        try:
            ws, welcome = await self._ws_open(http, hello)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self.report.add(case.kind, "no_answer", f"{case.short()}: {error!r}")
            return
        try:
            if not welcome or welcome.get("type") != "welcome":
                self.report.add(case.kind, "bad_welcome", f"{case.short()} got {welcome!r}")
                return
            if welcome.get("account") != expected:
                self.report.add(case.kind, "forged_login", f"{case.short()} signed in as {welcome.get('account')!r}")
            if expected is None and self.lily_conversation and welcome.get("conversation_id") == self.lily_conversation:
                self.report.add(case.kind, "forged_resume", f"{case.short()} resumed tb_lily's conversation")
            events = [welcome]
            client_id = "q-" + uuid.uuid4().hex[:8]
            await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": WS_LEAK_QUESTION}))
            if not await self._collect(ws, events, client_id, 60):
                self.report.add(case.kind, "broken_socket", f"the line after {case.short()} was never echoed as stored")
            await self._drain(ws, events)
            self._check_ws_events(case.kind, welcome.get("account"), events, "")
        finally:
            await ws.close()

    async def _ws_oversize_one(self, http: aiohttp.ClientSession, case: HostileCase, bystander) -> None:
        self.report.counts[("ws", case.kind)] += 1
        if case.target == "text":  # a 100 KB text or an emoji flood: its frame is over the limit too
            data = json.dumps({"type": "message", "text": case.payload})
            frame = {"size": len(data.encode()), "binary": False, "data": data}
        else:
            frame = case.payload
        try:
            ws, welcome = await self._ws_open(http, {"type": "hello"})
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            self.report.add(case.kind, "no_answer", f"{case.short()}: {error!r}")
            return
        closed = False
        try:
            if frame["binary"]:
                await ws.send_bytes(b"\x00" * frame["size"])
            else:
                await ws.send_str(frame.get("data") or json.dumps({"type": "message", "text": "大" * (frame["size"] // 3 + 1)}))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                msg = await asyncio.wait_for(ws.receive(), max(0.1, deadline - time.monotonic()))
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                                aiohttp.WSMsgType.ERROR):
                    closed = True
                    break
        except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError):
            closed = True  # refused mid-send, or the server closed under us
        finally:
            await ws.close()
        if not closed:
            self.report.add(case.kind, "oversize", f"a {frame['size']}-byte frame did not close its socket")
        # The socket next door carries on.
        client_id = "by-" + uuid.uuid4().hex[:8]
        await bystander.send_str(json.dumps({"type": "message", "client_id": client_id, "text": "好的"}))
        if not await self._collect(bystander, [], client_id, 60):
            self.report.add(case.kind, "oversize", "another buyer's socket stopped working after an oversized frame")

    # -- after -----------------------------------------------------------------------------------------
    async def check_injections(self, http: aiohttp.ClientSession) -> None:
        """Rasa commands sent through the desk are stored with a full-width slash, never as commands."""
        if not self.session_token:
            return
        headers = {"Authorization": f"Bearer {self.session_token}"}
        by_conversation: Dict[str, List[str]] = {}
        for conversation_id, client_id in self.report.injections:
            by_conversation.setdefault(conversation_id, []).append(client_id)
        for conversation_id, client_ids in by_conversation.items():
            async with http.get(f"{self.desk_url}/api/conversations/{conversation_id}", headers=headers) as response:
                detail = await response.json()
            stored = {m["client_id"]: m["text"] for m in detail["messages"] if m["sender"] == "buyer"}
            for client_id in client_ids:
                text = stored.get(client_id)
                if text is None:
                    self.report.add("rasa_command", "injection", f"{client_id} missing from transcript {conversation_id}")
                elif text.startswith("/"):
                    self.report.add("rasa_command", "injection", f"stored as a command: {text[:80]!r}")
            async with http.get(f"{self.rasa_url}/conversations/{conversation_id}/tracker",
                                params=self.rasa_api) as response:
                tracker = await response.json() if response.status == 200 else {"events": []}
            for event in tracker.get("events") or []:
                if event.get("event") == "user" and (event.get("text") or "").startswith("/"):
                    self.report.add("rasa_command", "injection", f"Rasa got a command from the desk: {event['text'][:80]!r}")

    async def normal_replies(self, http: aiohttp.ClientSession) -> List[str]:
        """Both servers answer "包邮吗" with the postage reply; problems otherwise."""
        failures = []
        try:
            async with http.post(self.rasa_url + "/webhooks/rest/webhook",
                                 json={"sender": "after-" + uuid.uuid4().hex, "message": NORMAL_QUESTION}) as response:
                texts = [m.get("text", "") for m in await response.json()] if response.status == 200 else []
            if not any("包邮" in t for t in texts):
                failures.append(f"Rasa answered {NORMAL_QUESTION!r} with {texts!r}")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            failures.append(f"Rasa did not answer {NORMAL_QUESTION!r}: {error!r}")
        try:
            ws, welcome = await self._ws_open(http, self._signed("tb_lily"))
            events: List[Dict[str, Any]] = []
            await ws.send_str(json.dumps({"type": "message", "client_id": "n1", "text": NORMAL_QUESTION}))
            await self._collect(ws, events, "n1", 60)
            await self._drain(ws, events, quiet=1.0)
            await ws.close()
            bot = [e["message"]["text"] for e in events if e.get("type") == "message"
                   and e["message"]["sender"] == "bot"]
            if not (welcome and welcome.get("account") == "tb_lily" and any("包邮" in t for t in bot)):
                failures.append(f"the desk answered {NORMAL_QUESTION!r} with {bot!r} (welcome {welcome!r})")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            failures.append(f"the desk did not answer {NORMAL_QUESTION!r}: {error!r}")
        return failures

    # -- the whole run ----------------------------------------------------------------------------------
    async def run(self, rest_cases: Sequence[HostileCase], ws_cases: Sequence[HostileCase],
                  api_cases: Sequence[HostileCase]) -> Report:
        limit = asyncio.Semaphore(self.concurrency)
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            await self._login(http)
            lily, lily_welcome = await self._ws_open(http, self._signed("tb_lily"))
            self.lily_conversation = (lily_welcome or {}).get("conversation_id", "")
            await lily.close()

            async def bounded(coro):
                async with limit:
                    await coro

            streams = [(i, c) for i, c in enumerate(ws_cases) if c.target in ("text", "ws_frame")
                       and not over_limit(c)]
            hellos = [c for c in ws_cases if c.target == "ws_hello"]
            oversized = [c for c in ws_cases if c.target == "ws_oversize" or over_limit(c)]
            n = max(1, self.ws_connections)
            chunks = [streams[k::n] for k in range(n)]
            jobs = [bounded(self._rest_one(http, c, i)) for i, c in enumerate(rest_cases)]
            jobs += [bounded(self._api_one(http, c)) for c in api_cases]
            jobs += [bounded(self._ws_stream(http, "tb_lily" if k % 2 else None, chunk))
                     for k, chunk in enumerate(chunks) if chunk]
            jobs += [bounded(self._ws_hello_one(http, c)) for c in hellos]
            results = await asyncio.gather(*jobs, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    self.report.add("runner", "exception", repr(result))
            # A socket that stays open next to the oversized frames (opened now: an unread socket
            # would miss the desk's pings and be closed for that).
            bystander, _ = await self._ws_open(http, self._signed("tb_lily"))
            for case in oversized:
                try:
                    await self._ws_oversize_one(http, case, bystander)
                except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError) as error:
                    self.report.add(case.kind, "oversize", f"another buyer's socket broke: {error!r}")
                    break
            await bystander.close()
            await self.check_injections(http)
            failures = await self.normal_replies(http)
            for failure in failures:
                self.report.add("survival", "normal_reply", failure)
            self.report.survived = not failures
        return self.report


def over_limit(case: HostileCase) -> bool:
    """A text case whose WebSocket frame is over the desk's limit (it closes the socket by design)."""
    return case.target == "text" and len(json.dumps({"type": "message", "text": case.payload}).encode()) > WS_MAX_SIZE


def split(cases: Sequence[HostileCase]) -> Tuple[List[HostileCase], List[HostileCase], List[HostileCase]]:
    """Text cases alternate between Rasa's REST channel and the buyer socket."""
    rest, ws, api = [], [], []
    text_turn = 0
    for case in cases:
        if case.target == "text":
            (rest if text_turn % 2 == 0 else ws).append(case)
            text_turn += 1
        elif case.target == "rest_body":
            rest.append(case)
        elif case.target == "api":
            api.append(case)
        else:
            ws.append(case)
    return rest, ws, api
