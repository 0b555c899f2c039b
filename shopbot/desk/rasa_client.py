"""Talking to Rasa: the REST channel for messages, the tracker API for pause/resume.

Given several replicas, the client sends each message to the one with the
fewest of this desk's messages still in flight, taking them in turn among
equals (no balancer hop on every message). A Rasa replica works on one
message's model at a time, so a message sent to a busy one waits for it while
the other may sit idle; taking them strictly in turn did that whenever two
buyers' messages came close together. A replica that refuses the connection
never saw the message, so the next one is asked at once, and the refusing one
goes last for a few seconds.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import aiohttp

from shopbot.line_replies import AGAIN_KEY, LINE_KEY, PAGE_KEY

# Rasa answered "not processed" (our REST channel's 503), or the balancer found no
# replica (502/504): the message never reached a tracker, so sending it again is safe.
RETRYABLE_STATUSES = {502, 503, 504}
# Rasa answers an appended event with the whole tracker since the last restart (every event
# of a long chat: hundreds of KB to serialise, send and parse, per handoff and hand-back).
# The desk reads none of it.
TRACKER_UNREAD = {"include_events": "NONE"}


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, restarting, or too slow)."""

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def _messages(answer: Any) -> List[Dict[str, Any]]:
    """The REST channel's list of messages; anything else counts as Rasa unavailable (not retried).

    A proxy's page or a half-upgraded server would otherwise fail deep in the desk
    with the buyer left unanswered; as "unavailable" the chat goes to a person.
    """
    if not isinstance(answer, list) or not all(isinstance(message, dict) for message in answer):
        raise RasaUnavailable(f"Rasa's answer is not a list of messages: {str(answer)[:80]}")
    return answer


class _Refused(Exception):
    """The replica could not be connected to: the message never reached it."""


class RasaClient:
    def __init__(self, base_urls: Union[str, Sequence[str]], timeout_seconds: float = 20.0,
                 token: Optional[str] = None, retry_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
                 refused_seconds: float = 5.0, channel_token: Optional[str] = None):
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self.base_urls = [url.rstrip("/") for url in urls]
        self.refused_seconds = refused_seconds
        self._turn = itertools.count()
        self._refused_until: Dict[str, float] = {}
        self._in_flight: Dict[str, int] = {url: 0 for url in self.base_urls}
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.params = {"token": token} if token else {}  # Rasa's HTTP API (--auth-token)
        # The REST channel believes the buyer's account only with this.
        self.headers = {"Authorization": f"Bearer {channel_token}"} if channel_token else {}
        self.retry_delays = tuple(retry_delays)
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, conversation_id: str, text: str, account: Optional[str],
                   line: Optional[str] = None, again: bool = False,
                   page_sku: Optional[str] = None) -> List[Dict[str, Any]]:
        """The bot's replies; a replica dying or a store blinking is retried a few times.

        A timeout is not retried: Rasa may still be working on the message, and a
        second copy would be processed twice. `line`: the desk's name for the buyer's
        line (the widget's client id), kept with it in Rasa's tracker. `again`: the line
        may have been sent before (by a desk that died): Rasa answers it as it did then,
        if it did (shopbot.rasa_ext patch 10). `page_sku`: the product page the buyer is on.
        """
        body: Dict[str, Any] = {"sender": conversation_id, "message": text}
        body["metadata"] = {"account": account} if account else {}
        if page_sku:
            body["metadata"][PAGE_KEY] = page_sku
        if line:
            body["metadata"][LINE_KEY] = line
            if again:
                body["metadata"][AGAIN_KEY] = True
        for delay in self.retry_delays + (None,):
            try:
                return _messages(await self._post("/webhooks/rest/webhook", body))
            except RasaUnavailable as error:
                if delay is None or not error.retryable:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def pause(self, conversation_id: str) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events", [{"event": "pause"}], TRACKER_UNREAD)

    async def resume(self, conversation_id: str) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events", [{"event": "resume"}], TRACKER_UNREAD)

    def _in_turn(self) -> List[str]:
        """Every replica, least busy first, from the next in turn among equals; those that refused lately come last."""
        start = next(self._turn) % len(self.base_urls)
        rotated = self.base_urls[start:] + self.base_urls[:start]
        now = time.monotonic()
        return sorted(rotated, key=lambda url: (self._refused_until.get(url, 0.0) > now, self._in_flight[url]))

    async def _get(self, path: str, params: Dict[str, str]) -> Any:
        return await self._request("get", path, None, params)

    async def _post(self, path: str, body: Any, params: Optional[Dict[str, str]] = None) -> Any:
        return await self._request("post", path, body, params)

    async def _request(self, method: str, path: str, body: Any, params: Optional[Dict[str, str]]) -> Any:
        refusals = []
        for base_url in self._in_turn():
            try:
                return await self._request_to(base_url, method, path, body, params or {})
            except _Refused as error:
                self._refused_until[base_url] = time.monotonic() + self.refused_seconds
                refusals.append(str(error))
        raise RasaUnavailable(f"Rasa is not reachable: {'; '.join(refusals)}", retryable=True)

    async def _request_to(self, base_url: str, method: str, path: str, body: Any, params: Dict[str, str]) -> Any:
        self._in_flight[base_url] += 1
        try:
            return await self._request_once(base_url, method, path, body, params)
        finally:
            self._in_flight[base_url] -= 1

    async def _request_once(self, base_url: str, method: str, path: str, body: Any, params: Dict[str, str]) -> Any:
        try:
            async with self._client().request(method, base_url + path, json=body,
                                              params={**params, **self.params}) as response:
                if response.status >= 400:
                    raise RasaUnavailable(f"Rasa answered {response.status} on {path}",
                                          retryable=response.status in RETRYABLE_STATUSES)
                return await response.json(content_type=None)
        except asyncio.TimeoutError as error:  # first: aiohttp's read timeouts are connection errors too
            raise RasaUnavailable(f"Rasa did not answer in time: {error!r}") from error
        except aiohttp.ClientConnectorError as error:
            raise _Refused(f"{base_url}: {error}") from error
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
            # Dropped before an answer (killed mid-message). A dropped message may have been
            # saved by the dead replica only if it died after saving, in the last instant
            # before answering; we accept that rare duplicate in Rasa's tracker rather than
            # leave the buyer without a bot.
            self._refused_until[base_url] = time.monotonic() + self.refused_seconds
            raise RasaUnavailable(f"Rasa is not reachable: {error}", retryable=True) from error
        except aiohttp.ClientError as error:
            raise RasaUnavailable(f"Rasa is not reachable: {error}") from error
