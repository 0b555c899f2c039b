"""The writes on a buyer's path: a new chat, a buyer's line, the bot's reply, a notice.

Every bot answer stores two messages: the buyer's line before the widget is told
it is kept, the answer while the buyer is shown it (on PostgreSQL; after, on
SQLite). Through
SQLAlchemy each write ran in a worker thread (a write on the event loop held up
every buyer of the desk while PostgreSQL committed); the thread hop, the
thread's turn at the GIL and SQLAlchemy's own work cost the desk about 1 ms of
CPU per message more than asyncpg on the event loop does (a Sanic relay to Rasa
making the two writes either way: 3.2-3.4 against 2.2-2.3 ms per message, in
alternating 45 s phases of one run). So on PostgreSQL these writes go through
asyncpg; on the embedded SQLite default they stay on the store, in a thread.

Both give the store's answers: the stored Message, a resent client_id coming
back as the stored one with duplicate=True (the desk does not answer it again),
a buyer's line with the chat's state as of then, and a PostgreSQL restart
waited out.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, Dict, Optional, Tuple

import asyncpg

from shopbot.desk.off_loop import in_thread
from shopbot.desk.store import DB_RETRY_DELAYS, Conversation, DeskStore, Message, new_conversation

logger = logging.getLogger(__name__)

# Refused, cut off, "the database is starting up", or a connection left broken by one of those.
DROPPED = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError,
           asyncpg.InternalClientError)

# The line stored with the id its bot answer will be stored under, and the chat's state, in
# one round trip. Both ids come from the sequence desk_messages.id draws from, the smaller for
# the line, so the answer sorts after it. An id taken and never used is a gap, as after any
# rolled-back insert.
INSERT_BUYER = """
    INSERT INTO desk_messages (id, reply_id, conversation_id, sender, text, client_id, created_at, desk)
    SELECT least(a, b), greatest(a, b), $1, 'buyer', $2, $3, $4, $5
    FROM (SELECT nextval(pg_get_serial_sequence('desk_messages', 'id')) AS a,
                 nextval(pg_get_serial_sequence('desk_messages', 'id')) AS b) AS ids
    RETURNING id, (SELECT state FROM desk_conversations WHERE id = $1) AS state, reply_id"""
INSERT_MESSAGE = """
    INSERT INTO desk_messages (conversation_id, sender, text, payload, client_id, author, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"""
INSERT_SHOWN = """
    INSERT INTO desk_messages (id, conversation_id, sender, text, payload, client_id, author, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"""
INSERT_CONVERSATION = """
    INSERT INTO desk_conversations (id, account, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)"""
SELECT_RESENT = """
    SELECT id, conversation_id, sender, text, payload, client_id, author, created_at
    FROM desk_messages WHERE conversation_id = $1 AND client_id = $2"""


class ThreadedWrites:
    """The store's own writes, each in a worker thread (SQLite, or any database without asyncpg)."""

    def __init__(self, store: DeskStore):
        self.store = store

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def create_conversation(self, account: Optional[str]) -> Conversation:
        return await in_thread(self.store.create_conversation, account)

    async def add_buyer_message(self, conversation_id: str, text: str, client_id: Optional[str],
                                desk: Optional[str] = None) -> Tuple[Message, Optional[str]]:
        return await in_thread(self.store.add_buyer_message, conversation_id, text, client_id, desk)

    async def add_message(self, conversation_id: str, sender: str, text: str,
                          payload: Optional[Dict[str, Any]] = None, client_id: Optional[str] = None,
                          author: Optional[str] = None) -> Message:
        return await in_thread(self.store.add_message, conversation_id, sender, text,
                               payload, client_id, author)


async def _keep_session(conn: "asyncpg.Connection") -> None:
    """Nothing to undo when a connection goes back to the pool: these writes set no session state.

    asyncpg's default reset (unlock advisory locks, close cursors, unlisten, RESET
    ALL) is a round trip to PostgreSQL on every release, awaited before the write
    returns: with two writes per answer, two round trips on every buyer's wait
    (0.1-0.3 ms each on an idle machine, more under load). A transaction left
    open is still rolled back by the pool itself.
    """
    return None


def asyncpg_dsn(db_url: str) -> str:
    """SQLAlchemy's URL without its driver part (postgresql+psycopg2:// -> postgresql://)."""
    scheme, _, rest = db_url.partition("://")
    return f"{scheme.split('+')[0]}://{rest}"


class AsyncpgWrites:
    """The same writes on PostgreSQL, through asyncpg on the event loop (no thread, no GIL hand-over)."""

    def __init__(self, db_url: str, pool_size: int = 10):
        self.dsn = asyncpg_dsn(db_url)
        self.pool_size = pool_size
        self._pool = None
        self._shown_pool = None

    async def start(self) -> None:
        # min_size=0: a desk starting while PostgreSQL restarts connects on its first write.
        self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self.pool_size,
                                               reset=_keep_session)
        # Answers already shown commit without waiting for the disk: each flush of the
        # write-ahead log is one the Rasa replicas' own commits (the tracker store, same
        # server) may queue behind, on every message. An answer is also kept, durably, in
        # Rasa's tracker; what an operating-system crash can cost is the transcript's copy
        # of the last fraction of a second of answers (the sweep stores them again from there).
        self._shown_pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self.pool_size,
                                                     reset=_keep_session,
                                                     server_settings={"synchronous_commit": "off"})

    async def close(self) -> None:
        for pool in (self._pool, self._shown_pool):
            if pool is not None:
                await pool.close()

    async def _outlasting_restarts(self, method: str, query: str, *args: Any, pool=None) -> Any:
        """Like the store's outlasts_db_restarts: a refused or dropped connection is retried, nothing else."""
        for delay in DB_RETRY_DELAYS + (None,):
            try:
                async with (pool or self._pool).acquire() as conn:
                    try:
                        return await getattr(conn, method)(query, *args)
                    except DROPPED:
                        # Cut off by a restart, a pooled connection can come back to the pool
                        # half-broken and fail the next write with InternalClientError
                        # (asyncpg issue #1069): closed here, the pool opens a fresh one. One
                        # asyncpg saw die is already back in the pool, closed, and refuses this.
                        with contextlib.suppress(asyncpg.InterfaceError):
                            conn.terminate()
                        raise
            except DROPPED as error:
                if delay is None:
                    raise
                logger.warning("PostgreSQL unavailable for a desk write, retrying in %.1f s: %r", delay, error)
                await asyncio.sleep(delay)

    async def _resent(self, conversation_id: str, client_id: Optional[str]) -> Message:
        row = await self._outlasting_restarts("fetchrow", SELECT_RESENT, conversation_id, client_id)
        return Message(row["id"], row["conversation_id"], row["sender"], row["text"],
                       json.loads(row["payload"]) if row["payload"] else None, row["client_id"],
                       row["author"], row["created_at"], duplicate=True)

    async def create_conversation(self, account: Optional[str]) -> Conversation:
        """A widget opened on a new chat (about one in four buyer lines under load)."""
        conversation = new_conversation(account)
        await self._outlasting_restarts("execute", INSERT_CONVERSATION, conversation.id, account,
                                        conversation.state, conversation.created_at)
        return conversation

    async def add_buyer_message(self, conversation_id: str, text: str, client_id: Optional[str],
                                desk: Optional[str] = None) -> Tuple[Message, Optional[str]]:
        now = time.time()
        try:
            row = await self._outlasting_restarts("fetchrow", INSERT_BUYER, conversation_id, text or "",
                                                  client_id, now, desk)
        except asyncpg.UniqueViolationError:
            return await self._resent(conversation_id, client_id), None
        return (Message(row["id"], conversation_id, "buyer", text or "", None, client_id, None, now,
                        reply_id=row["reply_id"], desk=desk), row["state"])

    async def add_message(self, conversation_id: str, sender: str, text: str,
                          payload: Optional[Dict[str, Any]] = None, client_id: Optional[str] = None,
                          author: Optional[str] = None) -> Message:
        now = time.time()
        stored_payload = json.dumps(payload, ensure_ascii=False) if payload else None
        try:
            new_id = await self._outlasting_restarts("fetchval", INSERT_MESSAGE, conversation_id, sender, text or "",
                                                     stored_payload, client_id, author, now)
        except asyncpg.UniqueViolationError:
            return await self._resent(conversation_id, client_id)
        return Message(new_id, conversation_id, sender, text or "", payload or None, client_id, author, now)

    async def add_shown(self, message: Message) -> Message:
        """Store a bot answer already shown, under the id its line kept for it (Message.reply_id).

        Written again after a connection dropped at its commit, it is found stored: done.
        """
        payload = json.dumps(message.payload, ensure_ascii=False) if message.payload else None
        try:
            await self._outlasting_restarts("execute", INSERT_SHOWN, message.id, message.conversation_id,
                                            message.sender, message.text, payload, message.client_id,
                                            message.author, message.created_at, pool=self._shown_pool)
        except asyncpg.UniqueViolationError:
            pass
        return message


def message_writes_for(store: DeskStore, db_url: str):
    """asyncpg on PostgreSQL; the store in a thread on anything else (the embedded SQLite)."""
    if db_url.split("://", 1)[0].split("+")[0] in ("postgresql", "postgres"):
        return AsyncpgWrites(db_url)
    return ThreadedWrites(store)
