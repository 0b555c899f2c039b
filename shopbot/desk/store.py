"""Every read and write of the desk's database (tables: `shopbot.desk.schema`).

Every message of both modes is written here before anything else happens to it,
so a restart of the desk loses nothing. SQLite by default, PostgreSQL by URL,
both through SQLAlchemy's asyncio engine (aiosqlite, asyncpg): the event loop
that serves every buyer of a desk never waits on the database.

State changes are single conditional UPDATEs: when two agents claim one chat at
the same moment, exactly one UPDATE matches. A database that cannot be reached
(PostgreSQL restarting) is waited out for about ten seconds before a call fails.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from functools import wraps
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shopbot.desk import migrations, states
from shopbot.desk.records import Conversation, Message, new_conversation
from shopbot.desk.schema import conversations, messages, sessions, training_flags, users

logger = logging.getLogger(__name__)

# A buyer's line stored, and the chat's state as of then, in one round trip: the state
# decides who answers the line. Plain SQL because SQLAlchemy 1.4 compiles RETURNING for
# PostgreSQL only, though SQLite has it too (3.35 and later).
INSERT_BUYER_LINE = sa.text(
    "INSERT INTO desk_messages (conversation_id, sender, text, client_id, created_at, desk) "
    "VALUES (:conversation_id, 'buyer', :text, :client_id, :created_at, :desk) "
    "RETURNING id, (SELECT state FROM desk_conversations WHERE id = :conversation_id) AS state")

PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
UNANSWERED_AT_ONCE = 50  # abandoned messages one recovery sweep takes on
ROLES = ("agent", "trainer", "admin")  # admin: the shop's owner (auth.ALLOWED)
SESSION_SECONDS = 12 * 3600
DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 3.0, 4.0)


def async_url(db_url: str) -> str:
    """The URL with the asyncio driver: sqlite:///x -> sqlite+aiosqlite:///x, postgresql:// -> +asyncpg."""
    scheme, _, rest = db_url.partition("://")
    base = scheme.split("+")[0]
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(base, scheme)
    return f"{driver}://{rest}"


# What asyncpg raises, unwrapped by SQLAlchemy, while PostgreSQL restarts or fails over: refused,
# cut off, "the database system is starting up" (an operator intervention, class 57), or a
# connection the cut left half-broken, which fails its next statement with "cannot switch to
# state" (asyncpg issue #1069).
CUT_OFF = (asyncpg.InternalClientError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
           asyncpg.OperatorInterventionError, ConnectionError, asyncio.TimeoutError)


def _unreachable(error: BaseException) -> bool:
    """The database refused or dropped the connection (not a constraint, not a bug)."""
    if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) + CUT_OFF):
        return True
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def _discard_cut_off_connections(context) -> None:
    """SQLAlchemy's handle_error hook: a connection the server cut off is thrown away, not pooled again."""
    if isinstance(context.original_exception, CUT_OFF):
        context.is_disconnect = True


def outlasts_db_restarts(method):
    """Retry a call while the database cannot be reached, instead of failing it.

    A restart of PostgreSQL takes a few seconds; failing every message in that
    window would hand chats to people for nothing.
    """
    @wraps(method)
    async def wrapper(self, *args, **kwargs):
        for delay in DB_RETRY_DELAYS:
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:
                if not _unreachable(error):
                    raise
                logger.warning("desk database unreachable, retrying in %.1f s: %r", delay, error)
                await asyncio.sleep(delay)
        return await method(self, *args, **kwargs)
    return wrapper


def _conversation(row) -> Conversation:
    return Conversation(row.id, row.account, row.state, row.reason, row.priority,
                        json.loads(row.summary) if row.summary else {}, row.agent,
                        row.created_at, row.waiting_since)


def _message(row, duplicate: bool = False) -> Message:
    return Message(row.id, row.conversation_id, row.sender, row.text,
                   json.loads(row.payload) if row.payload else None, row.client_id,
                   row.author, row.created_at, duplicate, row.desk)


class DeskStore:
    """The desk's database. `await open()` migrates it and connects; `await close()` lets go."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.engine: Optional[AsyncEngine] = None

    async def open(self) -> "DeskStore":
        if self.db_url.startswith("sqlite:///"):
            Path(self.db_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.get_running_loop().run_in_executor(None, migrations.upgrade, self.db_url)
        # AUTOCOMMIT: every write here is one statement, atomic on its own (a claim is one
        # conditional UPDATE), so a BEGIN and COMMIT around each would only add round trips.
        options: Dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
        if self.db_url.startswith("sqlite"):
            # One connection kept open rather than one opened per statement (SQLAlchemy's
            # default for SQLite files): aiosqlite starts a thread for each connection.
            options["poolclass"] = sa.pool.AsyncAdaptedQueuePool
        self.engine = create_async_engine(async_url(self.db_url), **options)
        sa.event.listen(self.engine.sync_engine, "handle_error", _discard_cut_off_connections)
        return self

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()

    async def _rows(self, query) -> list:
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).all()

    async def _first(self, query):
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).first()

    async def _write(self, statement, params: Any = None) -> Any:
        async with self.engine.connect() as conn:
            return await conn.execute(statement, params)

    # -- conversations ------------------------------------------------------------------
    @outlasts_db_restarts
    async def create_conversation(self, account: Optional[str]) -> Conversation:
        """A new chat, returned as stored."""
        conversation = new_conversation(account)
        await self._write(conversations.insert(), {
            "id": conversation.id, "account": account, "state": conversation.state,
            "created_at": conversation.created_at, "updated_at": conversation.created_at})
        return conversation

    @outlasts_db_restarts
    async def conversation(self, conversation_id: str) -> Optional[Conversation]:
        row = await self._first(sa.select(conversations).where(conversations.c.id == conversation_id))
        return _conversation(row) if row else None

    @outlasts_db_restarts
    async def transition(self, conversation_id: str, action: str, *, agent: Optional[str] = None,
                         expect_agent: Optional[str] = None, from_states: Optional[Set[str]] = None,
                         **fields: Any) -> Conversation:
        """Move a conversation along the state machine (`states`), atomically.

        `expect_agent`: only if that agent holds it; `from_states`: only from these of the
        step's sources. Raises TransitionError when the conversation is not in a state
        allowing the step (including: another agent claimed it a moment earlier).
        """
        sources, destination = states.TRANSITIONS[action]
        if from_states is not None:
            sources = sources & from_states
        now = time.time()
        values: Dict[str, Any] = {"state": destination, "updated_at": now}
        if action == "handoff":
            values["waiting_since"] = now
            values.update({k: (json.dumps(v, ensure_ascii=False) if k == "summary" else v)
                           for k, v in fields.items()})
        if action == "claim":
            values["agent"] = agent
        if action in ("hand_back", "close", "reopen"):
            values.update({"agent": None, "waiting_since": None})
        condition = (conversations.c.id == conversation_id) & conversations.c.state.in_(sources)
        if expect_agent is not None:
            condition &= conversations.c.agent == expect_agent
        updated = (await self._write(conversations.update().where(condition).values(**values))).rowcount
        current = await self.conversation(conversation_id)
        if current is None:
            raise states.TransitionError("no such conversation")
        if updated != 1:
            owner = f" (agent {current.agent})" if current.agent else ""
            raise states.TransitionError(f"cannot {action}: the conversation is {current.state}{owner}")
        return current

    @outlasts_db_restarts
    async def queue(self) -> List[Conversation]:
        """Waiting chats, most urgent first, then longest waiting."""
        rows = await self._rows(sa.select(conversations).where(conversations.c.state == states.WAITING))
        return sorted((_conversation(r) for r in rows),
                      key=lambda c: (PRIORITY_RANK.get(c.priority or "normal", 1), c.waiting_since or 0))

    @outlasts_db_restarts
    async def active(self, agent: Optional[str] = None) -> List[Conversation]:
        """Chats agents have now (`agent`'s only, if given), the longest unchanged first."""
        query = sa.select(conversations).where(conversations.c.state == states.AGENT)
        if agent:
            query = query.where(conversations.c.agent == agent)
        return [_conversation(r) for r in await self._rows(query.order_by(conversations.c.updated_at))]

    @outlasts_db_restarts
    async def latest_conversation_of(self, account: str) -> Optional[Conversation]:
        """The buyer's most recently active chat: where the desk speaks to them first."""
        row = await self._first(sa.select(conversations).where(conversations.c.account == account)
                                .order_by(conversations.c.updated_at.desc()).limit(1))
        return _conversation(row) if row else None

    async def conversation_for(self, account: str) -> Conversation:
        """Where the desk speaks to a buyer unasked (a reminder, an order's news): their latest chat,
        or a new one, which their widget then opens to."""
        return await self.latest_conversation_of(account) or await self.create_conversation(account)

    # -- messages -------------------------------------------------------------------------
    @outlasts_db_restarts
    async def add_message(self, conversation_id: str, sender: str, text: str,
                          payload: Optional[Dict[str, Any]] = None, client_id: Optional[str] = None,
                          author: Optional[str] = None, desk: Optional[str] = None) -> Message:
        """Append a message; a client_id stored before returns the stored one (duplicate=True)."""
        row = {"conversation_id": conversation_id, "sender": sender, "text": text or "",
               "payload": json.dumps(payload, ensure_ascii=False) if payload else None,
               "client_id": client_id, "author": author, "created_at": time.time(), "desk": desk}
        try:
            result = await self._write(messages.insert(), row)
        except IntegrityError:
            existing = await self._first(sa.select(messages).where(
                (messages.c.conversation_id == conversation_id) & (messages.c.client_id == client_id)))
            if existing is None:
                raise
            return _message(existing, duplicate=True)
        return Message(result.inserted_primary_key[0], conversation_id, sender, row["text"], payload or None,
                       client_id, author, row["created_at"], desk=desk)

    @outlasts_db_restarts
    async def add_buyer_line(self, conversation_id: str, text: str, client_id: Optional[str],
                             desk: Optional[str] = None) -> Tuple[Message, Optional[str]]:
        """Store a buyer's line; also the chat's state as of then (None for a line stored before:
        the stored one comes back with duplicate=True)."""
        now = time.time()
        try:
            row = (await self._write(INSERT_BUYER_LINE, {"conversation_id": conversation_id, "text": text or "",
                                                         "client_id": client_id, "created_at": now,
                                                         "desk": desk})).one()
        except IntegrityError:
            return await self.add_message(conversation_id, "buyer", text, client_id=client_id, desk=desk), None
        return Message(row.id, conversation_id, "buyer", text or "", None, client_id, None, now, desk=desk), row.state

    @outlasts_db_restarts
    async def transcript(self, conversation_id: str, after_id: int = 0) -> List[Message]:
        rows = await self._rows(sa.select(messages).where(
            (messages.c.conversation_id == conversation_id) & (messages.c.id > after_id)).order_by(messages.c.id))
        return [_message(r) for r in rows]

    @outlasts_db_restarts
    async def latest(self, conversation_id: str, limit: int) -> List[Message]:
        """The last `limit` messages, oldest first."""
        rows = await self._rows(sa.select(messages).where(messages.c.conversation_id == conversation_id)
                                .order_by(messages.c.id.desc()).limit(limit))
        return [_message(r) for r in reversed(rows)]

    @outlasts_db_restarts
    async def unanswered(self, sent_between: Tuple[float, float],
                         limit: int = UNANSWERED_AT_ONCE) -> List[Tuple[Message, Conversation]]:
        """Buyer messages sent in that window that are still the last word of a chat the bot has.

        Nobody is working on those any more (see DeskService.recover_unanswered).
        Two plain queries, so PostgreSQL's planner has no join to get wrong on a
        busy day's stale statistics: the last message of each chat quiet since the
        window's end (through the created_at index), then those rows by key.
        """
        since, until = sent_between
        last_of_quiet_chats = (sa.select(sa.func.max(messages.c.id)).where(messages.c.created_at >= since)
                               .group_by(messages.c.conversation_id)
                               .having(sa.func.max(messages.c.created_at) <= until))
        ids = [message_id for (message_id,) in await self._rows(last_of_quiet_chats)]
        if not ids:
            return []
        rows = await self._rows(sa.select(messages, conversations.c.account)
                                .join(conversations, conversations.c.id == messages.c.conversation_id)
                                # a photo (payload) is for the case and the agents, not for the bot
                                .where(messages.c.id.in_(ids), messages.c.sender == "buyer",
                                       messages.c.payload.is_(None),
                                       conversations.c.state == states.BOT)
                                .order_by(messages.c.id).limit(limit))
        return [(_message(row), Conversation(row.conversation_id, row.account, states.BOT, None, None, {}, None,
                                             row.created_at, None)) for row in rows]

    @outlasts_db_restarts
    async def take_over_line(self, message_id: int, from_desk: Optional[str], to_desk: str) -> bool:
        """Name `to_desk` as the desk answering a buyer's line, if `from_desk` still is: one
        conditional update, so of several desks sweeping at once exactly one gets it."""
        held = messages.c.desk.is_(None) if from_desk is None else messages.c.desk == from_desk
        taken = await self._write(messages.update().where((messages.c.id == message_id) & held)
                                  .values(desk=to_desk))
        return taken.rowcount == 1

    # -- agents and their sessions ---------------------------------------------------------
    async def save_user(self, username: str, password_hash: str, role: str, nickname: Optional[str] = None) -> None:
        """Create the user, or give an existing one this password and role (and nickname, if
        given) and end every session they had (a reset password locks out the old one's holder)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        values = {"password_hash": password_hash, "role": role}
        if nickname is not None:
            values["nickname"] = nickname
        updated = await self._write(users.update().where(users.c.username == username).values(**values))
        if updated.rowcount == 0:
            await self._write(users.insert(), dict(values, username=username))
        else:
            await self.end_sessions_of(username)

    @outlasts_db_restarts
    async def password_hash(self, username: str) -> Optional[str]:
        row = await self._first(sa.select(users.c.password_hash).where(users.c.username == username))
        return row.password_hash if row else None

    @outlasts_db_restarts
    async def start_session(self, username: str, seconds: float = SESSION_SECONDS) -> str:
        """A new session token for `username`, valid for `seconds`."""
        token = secrets.token_urlsafe(32)
        await self._write(sessions.insert(), {"token": token, "username": username,
                                              "expires_at": time.time() + seconds})
        return token

    @outlasts_db_restarts
    async def session_user(self, token: Optional[str]) -> Optional[Dict[str, str]]:
        """The user a session token belongs to, while it lasts."""
        if not token:
            return None
        row = await self._first(
            sa.select(users.c.username, users.c.role, users.c.nickname)
            .select_from(sessions.join(users, sessions.c.username == users.c.username))
            .where((sessions.c.token == token) & (sessions.c.expires_at > time.time())))
        return {"username": row.username, "role": row.role, "nickname": row.nickname} if row else None

    @outlasts_db_restarts
    async def end_session(self, token: str) -> None:
        await self._write(sessions.delete().where(sessions.c.token == token))

    @outlasts_db_restarts
    async def end_sessions_of(self, username: str) -> None:
        """Every session of `username`, on every device, ends."""
        await self._write(sessions.delete().where(sessions.c.username == username))

    # -- trainers' flags --------------------------------------------------------------------
    @outlasts_db_restarts
    async def add_flag(self, text: str, conversation_id: Optional[str] = None,
                       flagged_by: Optional[str] = None, note: Optional[str] = None) -> None:
        """A message an agent or trainer wants the trainers to look at."""
        await self._write(training_flags.insert(), {"text": text, "conversation_id": conversation_id,
                                                    "flagged_by": flagged_by, "note": note,
                                                    "created_at": time.time(), "resolved": False})

    @outlasts_db_restarts
    async def open_flags(self) -> list:
        """The flags no label has resolved yet, oldest first."""
        return await self._rows(sa.select(training_flags).where(training_flags.c.resolved.is_(False))
                                .order_by(training_flags.c.id))

    @outlasts_db_restarts
    async def resolve_flags(self, flag_ids: List[int]) -> None:
        if flag_ids:
            await self._write(training_flags.update().where(training_flags.c.id.in_(flag_ids)).values(resolved=True))
