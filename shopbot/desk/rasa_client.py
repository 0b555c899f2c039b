"""Talking to Rasa: the REST channel for messages, the tracker API for pause/resume."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import aiohttp


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, restarting, or too slow)."""


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float = 20.0, token: Optional[str] = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.params = {"token": token} if token else {}
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, conversation_id: str, text: str, account: Optional[str]) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"sender": conversation_id, "message": text}
        body["metadata"] = {"account": account} if account else {}
        return await self._post("/webhooks/rest/webhook", body)

    async def pause(self, conversation_id: str) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events", [{"event": "pause"}])

    async def resume(self, conversation_id: str) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events", [{"event": "resume"}])

    async def _post(self, path: str, body: Any) -> Any:
        try:
            async with self._client().post(self.base_url + path, json=body, params=self.params) as response:
                if response.status >= 400:
                    raise RasaUnavailable(f"Rasa answered {response.status} on {path}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa is not reachable: {error}") from error
