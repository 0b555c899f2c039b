"""What every desk endpoint shares: reading a JSON body safely, and the JSON error shape."""
from __future__ import annotations

from typing import Any, Dict

from sanic import Request, response


def json_error(message: str, status: int, **extra: Any):
    """The API's one error shape: {"error": "<what the user should know>", ...}."""
    return response.json({"error": message, **extra}, status=status)


def scrub(value: Any) -> Any:
    """JSON with its lone surrogates ("\\ud800") replaced: they cannot be stored as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def body_of(request: Request) -> Dict[str, Any]:
    """The request's JSON object, scrubbed; {} for anything else (malformed JSON included)."""
    try:
        data = request.json
    except Exception:  # Sanic raises on malformed JSON
        return {}
    return scrub(data) if isinstance(data, dict) else {}


def client_address(request) -> str:
    """The buyer's or agent's address, for the limits: the peer's, or behind nginx
    (DESK_PROXIES) the one it forwards."""
    return request.remote_addr or request.ip
