"""The desk's persistent state: conversations, every message, agents and sessions.

Every message of both modes is written here before anything else happens to it,
so a restart of the desk loses nothing. SQLite by default, PostgreSQL by URL.
State changes are single conditional UPDATEs: when two agents claim one chat at
the same moment, exactly one UPDATE matches.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from shopbot.desk import states

metadata = sa.MetaData()

conversations = sa.Table(
    "desk_conversations", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(100)),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(50)),
    sa.Column("priority", sa.String(10)),
    sa.Column("summary", sa.Text),
    sa.Column("agent", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("waiting_since", sa.Float),
    sa.Column("updated_at", sa.Float, nullable=False),
)

messages = sa.Table(
    "desk_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("sender", sa.String(10), nullable=False),  # buyer / bot / agent / system
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("payload", sa.Text),  # buttons, images, custom payloads (JSON)
    sa.Column("client_id", sa.String(64)),
    sa.Column("author", sa.String(100)),  # the agent who wrote it
    sa.Column("created_at", sa.Float, nullable=False),
    # A buyer's line only, on PostgreSQL: the id its bot answer is stored under (taken with
    # the line, so the answer can be shown while it is stored, and stored under the same id
    # by whichever desk finishes the job).
    sa.Column("reply_id", sa.Integer),
    # A buyer's line only: the desk replica that took it (the hub's name for it), so a sweep
    # can tell a line whose desk died from one a live desk may still be answering.
    sa.Column("desk", sa.String(100)),
    sa.UniqueConstraint("conversation_id", "client_id", name="uq_desk_message_client_id"),
)

users = sa.Table(
    "desk_users", metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
)

sessions = sa.Table(
    "desk_sessions", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# The recovery sweep looks for recent messages by age; without this it would scan them all.
messages_by_age = sa.Index("ix_desk_messages_created_at", messages.c.created_at)
# The agents' queue and their open chats are read by state, on every console refresh and every
# handoff: without this each read scanned every chat the shop ever had (a year of them, in time).
conversations_by_state = sa.Index("ix_desk_conversations_state", conversations.c.state)

# Built once: building the statement per message cost more than its round trip.
INSERT_RETURNING_STATE = messages.insert().returning(
    messages.c.id,
    sa.select(conversations.c.state).where(conversations.c.id == sa.bindparam("of")).scalar_subquery())

PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
UNANSWERED_AT_ONCE = 50  # abandoned messages one recovery sweep takes on
ROLES = ("agent", "trainer")


@dataclass
class Conversation:
    id: str
    account: Optional[str]
    state: str
    reason: Optional[str]
    priority: Optional[str]
    summary: Dict[str, Any]
    agent: Optional[str]
    created_at: float
    waiting_since: Optional[float]

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Message:
    id: int
    conversation_id: str
    sender: str
    text: str
    payload: Optional[Dict[str, Any]]
    client_id: Optional[str]
    author: Optional[str]
    created_at: float
    duplicate: bool = field(default=False)
    # A buyer's line only, where the store can give it: the id its bot answer will be stored
    # under, taken with the line's own insert, so the answer can be shown while it is stored.
    reply_id: Optional[int] = field(default=None)
    desk: Optional[str] = field(default=None)  # a buyer's line only: the desk replica that took it

    def as_dict(self) -> Dict[str, Any]:
        data = dict(self.__dict__)
        for internal in ("duplicate", "reply_id", "desk"):
            data.pop(internal)
        return data


def _conversation(row) -> Conversation:
    return Conversation(row.id, row.account, row.state, row.reason, row.priority,
                        json.loads(row.summary) if row.summary else {}, row.agent,
                        row.created_at, row.waiting_since)


def _message(row, duplicate: bool = False) -> Message:
    return Message(row.id, row.conversation_id, row.sender, row.text,
                   json.loads(row.payload) if row.payload else None, row.client_id,
                   row.author, row.created_at, duplicate, row.reply_id, row.desk)


def _add_missing_columns(engine: sa.engine.Engine) -> None:
    """Columns added to a table since a desk's database was created (create_all adds tables only).

    Two desks starting together on an old database both try; the loser finds it done.
    """
    def present(table: sa.Table) -> set:
        return {column["name"] for column in sa.inspect(engine).get_columns(table.name)}

    for table in (messages,):
        there = present(table)
        for column in [column for column in table.columns if column.name not in there]:
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} "
                                         f"{column.type.compile(engine.dialect)}"))
            except sa.exc.DBAPIError:
                if column.name not in present(table):
                    raise


def new_conversation(account: Optional[str]) -> Conversation:
    """A chat as it is stored when a buyer opens the widget: the bot's, no reason, agent or summary yet.

    Returned as stored, so a new chat costs its insert and no read-back.
    """
    return Conversation(secrets.token_urlsafe(18), account, states.BOT, None, None, {}, None, time.time(), None)


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt_hex)).split("$")[2], digest_hex)


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    """A hash no password matches, made on first use (a login), not at import."""
    return hash_password(secrets.token_urlsafe(32))


# PostgreSQL restarting (an upgrade, a failover) is waited out for about 10 s.
DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 3.0, 4.0)


def outlasts_db_restarts(method):
    """Retry a store call while the database cannot be reached, instead of failing it.

    A restart of PostgreSQL takes a few seconds; failing every message in that
    window would hand chats to people for nothing. The desk calls the store in
    worker threads (shopbot/desk/off_loop.py), so the wait holds up only the
    request that made the call. Only OperationalError (refused, dropped) is
    retried: a constraint or a bug is not.
    """
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        for delay in DB_RETRY_DELAYS:
            try:
                return method(self, *args, **kwargs)
            except OperationalError:
                time.sleep(delay)
        return method(self, *args, **kwargs)
    return wrapper


class DeskStore:
    def __init__(self, db_url: str):
        if db_url.startswith("sqlite:///"):
            Path(db_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # No pool_pre_ping (a round trip before every query): a connection that died with a
        # database restart fails with OperationalError, which outlasts_db_restarts retries
        # on a fresh one.
        # AUTOCOMMIT: every write here is one statement, atomic on its own (a claim is one
        # conditional UPDATE), so the driver's BEGIN and COMMIT/ROLLBACK around each
        # would only add two round trips to every query on the per-message path.
        self.engine = sa.create_engine(db_url, future=True, isolation_level="AUTOCOMMIT")
        metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        for index in (messages_by_age, conversations_by_state):  # also on a desk created before they existed
            index.create(self.engine, checkfirst=True)

    @contextmanager
    def _transaction(self):
        """A real transaction, for the rare change of more than one statement."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level=self.engine.dialect.default_isolation_level)
            with conn.begin():
                yield conn

    # -- conversations ------------------------------------------------------------
    @outlasts_db_restarts
    def create_conversation(self, account: Optional[str]) -> Conversation:
        conversation = new_conversation(account)
        with self.engine.begin() as conn:
            conn.execute(conversations.insert(), {
                "id": conversation.id, "account": account, "state": conversation.state,
                "created_at": conversation.created_at, "updated_at": conversation.created_at})
        return conversation

    @outlasts_db_restarts
    def conversation(self, conversation_id: str) -> Optional[Conversation]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(conversations).where(
                conversations.c.id == conversation_id)).first()
        return _conversation(row) if row else None

    @outlasts_db_restarts
    def transition(self, conversation_id: str, action: str, *, agent: Optional[str] = None,
                   expect_agent: Optional[str] = None, **fields: Any) -> Conversation:
        """Move a conversation along the state machine, atomically.

        Raises TransitionError when the conversation is not in a state allowing
        the step (including: another agent claimed it a moment earlier).
        """
        sources, destination = states.TRANSITIONS[action]
        values: Dict[str, Any] = {"state": destination, "updated_at": time.time()}
        if action == "handoff":
            values["waiting_since"] = time.time()
            values.update({k: (json.dumps(v, ensure_ascii=False) if k == "summary" else v)
                           for k, v in fields.items()})
        if action == "claim":
            values["agent"] = agent
        if action in ("hand_back", "close", "reopen"):
            values.update({"agent": None, "waiting_since": None})
        condition = (conversations.c.id == conversation_id) & conversations.c.state.in_(sources)
        if expect_agent is not None:
            condition &= conversations.c.agent == expect_agent
        with self.engine.begin() as conn:
            updated = conn.execute(conversations.update().where(condition).values(**values)).rowcount
        current = self.conversation(conversation_id)
        if current is None:
            raise states.TransitionError("no such conversation")
        if updated != 1:
            owner = f" (agent {current.agent})" if current.agent else ""
            raise states.TransitionError(f"cannot {action}: the conversation is {current.state}{owner}")
        return current

    @outlasts_db_restarts
    def queue(self) -> List[Conversation]:
        """Waiting chats, most urgent first, then longest waiting."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(conversations).where(
                conversations.c.state == states.WAITING)).all()
        waiting = [_conversation(r) for r in rows]
        return sorted(waiting, key=lambda c: (PRIORITY_RANK.get(c.priority or "normal", 1),
                                              c.waiting_since or 0))

    @outlasts_db_restarts
    def active(self, agent: Optional[str] = None) -> List[Conversation]:
        query = sa.select(conversations).where(conversations.c.state == states.AGENT)
        if agent:
            query = query.where(conversations.c.agent == agent)
        with self.engine.connect() as conn:
            return [_conversation(r) for r in conn.execute(query.order_by(conversations.c.updated_at))]

    # -- messages -------------------------------------------------------------------
    @outlasts_db_restarts
    def add_message(self, conversation_id: str, sender: str, text: str,
                    payload: Optional[Dict[str, Any]] = None, client_id: Optional[str] = None,
                    author: Optional[str] = None, desk: Optional[str] = None) -> Message:
        """Append a message; a repeated client_id returns the stored one (duplicate=True)."""
        row = {"conversation_id": conversation_id, "sender": sender, "text": text or "",
               "payload": json.dumps(payload, ensure_ascii=False) if payload else None,
               "client_id": client_id, "author": author, "created_at": time.time(), "desk": desk}
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(messages.insert(), row).inserted_primary_key[0]
        except IntegrityError:
            with self.engine.connect() as conn:
                existing = conn.execute(sa.select(messages).where(
                    (messages.c.conversation_id == conversation_id)
                    & (messages.c.client_id == client_id))).first()
            return _message(existing, duplicate=True)
        return Message(new_id, conversation_id, sender, row["text"], payload or None, client_id, author,
                       row["created_at"], desk=desk)

    @outlasts_db_restarts
    def add_buyer_message(self, conversation_id: str, text: str, client_id: Optional[str],
                          desk: Optional[str] = None) -> Tuple[Message, Optional[str]]:
        """Store a buyer's message; also the chat's state as of then, which decides who answers.

        On PostgreSQL both come back from the one INSERT (a round trip less on every
        message); elsewhere the state is read after it. `desk`: the replica taking it.
        """
        if self.engine.dialect.name != "postgresql":
            message = self.add_message(conversation_id, "buyer", text, client_id=client_id, desk=desk)
            current = self.conversation(conversation_id)
            return message, current.state if current else None
        row = {"conversation_id": conversation_id, "sender": "buyer", "text": text or "",
               "client_id": client_id, "created_at": time.time(), "desk": desk}
        try:
            with self.engine.begin() as conn:
                new_id, current_state = conn.execute(INSERT_RETURNING_STATE, dict(row, of=conversation_id)).one()
        except IntegrityError:
            return self.add_message(conversation_id, "buyer", text, client_id=client_id), None
        return Message(new_id, conversation_id, "buyer", row["text"], None, client_id, None,
                       row["created_at"], desk=desk), current_state

    @outlasts_db_restarts
    def transcript(self, conversation_id: str, after_id: int = 0) -> List[Message]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(messages).where(
                (messages.c.conversation_id == conversation_id) & (messages.c.id > after_id)
            ).order_by(messages.c.id)).all()
        return [_message(r) for r in rows]

    @outlasts_db_restarts
    def latest(self, conversation_id: str, limit: int) -> List[Message]:
        """The last `limit` messages, oldest first (cheap: for per-message checks)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(messages).where(messages.c.conversation_id == conversation_id)
                                .order_by(messages.c.id.desc()).limit(limit)).all()
        return [_message(r) for r in reversed(rows)]

    @outlasts_db_restarts
    def unanswered(self, sent_between: Tuple[float, float],
                   limit: int = UNANSWERED_AT_ONCE) -> List[Tuple[Message, Conversation]]:
        """Buyer messages sent in that window that are still the last word of a chat the bot has.

        Nobody is working on those any more (see DeskService.recover_unanswered).
        Two plain queries, so PostgreSQL's planner has no join to get wrong: the
        last message of each chat that has been quiet since `until` (from the
        created_at index), then those rows by primary key. A single statement was
        tried twice and went wrong both times once the statistics lagged behind a
        busy day's inserts: an anti-join ran 9 s, and an IN over the grouped
        subquery became a nested loop of 15 million comparisons, 2.2 s of
        PostgreSQL's CPU per sweep (found with pg_stat_statements under load).
        """
        since, until = sent_between
        last_of_quiet_chats = (sa.select(sa.func.max(messages.c.id)).where(messages.c.created_at >= since)
                               .group_by(messages.c.conversation_id)
                               .having(sa.func.max(messages.c.created_at) <= until))
        with self.engine.connect() as conn:
            ids = [message_id for (message_id,) in conn.execute(last_of_quiet_chats)]
            if not ids:
                return []
            query = (sa.select(messages, conversations.c.account)
                     .join(conversations, conversations.c.id == messages.c.conversation_id)
                     .where(messages.c.id.in_(ids), messages.c.sender == "buyer",
                            conversations.c.state == states.BOT)
                     .order_by(messages.c.id).limit(limit))
            rows = conn.execute(query).all()
        return [(_message(row), Conversation(row.conversation_id, row.account, states.BOT, None, None, {}, None,
                                             row.created_at, None)) for row in rows]

    # -- agents and sessions -----------------------------------------------------------
    def add_user(self, username: str, password: str, role: str = "agent") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username or len(password) < 8:
            raise ValueError("a username and a password of at least 8 characters are needed")
        with self._transaction() as conn:  # two statements: a login never sees the user missing
            conn.execute(users.delete().where(users.c.username == username))
            conn.execute(users.insert(), {"username": username, "role": role,
                                          "password_hash": hash_password(password)})

    @outlasts_db_restarts
    def login(self, username: str, password: str, ttl_seconds: float = 12 * 3600) -> Optional[str]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            # Checked all the same: an unknown name then takes as long as a wrong password,
            # so the time of the answer does not tell which agents' names exist.
            verify_password(password, _unknown_user_hash())
            return None
        if not verify_password(password, row.password_hash):
            return None
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(sessions.insert(), {"token": token, "username": username,
                                             "expires_at": time.time() + ttl_seconds})
        return token

    @outlasts_db_restarts
    def session_user(self, token: Optional[str]) -> Optional[Dict[str, str]]:
        if not token:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users.c.username, users.c.role)
                .select_from(sessions.join(users, sessions.c.username == users.c.username))
                .where((sessions.c.token == token) & (sessions.c.expires_at > time.time()))
            ).first()
        return {"username": row.username, "role": row.role} if row else None

    @outlasts_db_restarts
    def logout(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token == token))
