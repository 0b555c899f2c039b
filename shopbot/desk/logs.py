"""The desk's log: each line once, in one format, and no line per widget opened.

Sanic 21.12 gives its loggers handlers of their own and lets them propagate to
the root logger as well, so beside the desk's own logging each of Sanic's lines
was printed twice, in two formats. Sanic also hands its error logger to the
websockets library, which says "connection open" at INFO for every socket that
opens: under `make bench-load` that was 10,066 of a desk's 10,106 lines, under a
logger named sanic.error, which reads like an error to whoever is looking for one.
"""
from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What the websockets library says, through Sanic's error logger, of every socket.
HANDSHAKE_CHATTER = frozenset({"connection open"})


class WithoutHandshakeChatter(logging.Filter):
    """Drops the per-socket handshake lines below WARNING; anything worse still gets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.getMessage() not in HANDSHAKE_CHATTER


def configure(level: int = logging.INFO) -> None:
    """The desk process's logging (Sanic's own handlers are off: see create_app's Sanic)."""
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("sanic.error").addFilter(WithoutHandshakeChatter())
