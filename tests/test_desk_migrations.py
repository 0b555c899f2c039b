"""The desk's database is brought to the current schema by migrations, keeping what it holds.

A shop upgrading the desk keeps every chat, message, agent and flag its database
already has, whether it was made by a desk from before migrations existed or is
new; and the migrated schema is exactly the one the code declares.
"""
import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from shopbot.desk import migrations
from shopbot.desk.auth import add_user
from shopbot.desk.passwords import hash_password
from shopbot.desk.schema import metadata
from shopbot.desk.store import DeskStore
from tests.db_support import fresh_desk_db

pytestmark = pytest.mark.local_services

DATA = Path(__file__).parent / "data"

# What a shop's database held before the upgrade: two chats, their messages (one buyer
# line with the answer id an earlier desk reserved), an agent, a trainer's flag.
OLD_ROWS = [
    ("desk_conversations", {"id": "chat-old-1", "account": "tb_lily", "state": "waiting", "reason": "complaint",
                            "priority": "high", "summary": json.dumps({"intents": ["complain"]}), "agent": None,
                            "created_at": 100.0, "waiting_since": 105.0, "updated_at": 105.0}),
    ("desk_conversations", {"id": "chat-old-2", "account": None, "state": "closed", "reason": None,
                            "priority": None, "summary": None, "agent": None,
                            "created_at": 200.0, "waiting_since": None, "updated_at": 210.0}),
    ("desk_messages", {"id": 1, "conversation_id": "chat-old-1", "sender": "buyer", "text": "东西坏了 我要投诉",
                       "payload": None, "client_id": "w-1", "author": None, "created_at": 101.0,
                       "reply_id": 2, "desk": "desk-a"}),
    ("desk_messages", {"id": 2, "conversation_id": "chat-old-1", "sender": "bot", "text": "亲,非常抱歉",
                       "payload": json.dumps({"buttons": [{"title": "转人工", "payload": "/request_human"}]}),
                       "client_id": None, "author": None, "created_at": 102.0, "reply_id": None, "desk": None}),
    ("desk_messages", {"id": 5, "conversation_id": "chat-old-2", "sender": "agent", "text": "亲,已为您处理",
                       "payload": None, "client_id": None, "author": "alice", "created_at": 205.0,
                       "reply_id": None, "desk": None}),
    ("training_flags", {"id": 1, "text": "能寄到国外吗", "conversation_id": "chat-old-2", "flagged_by": "alice",
                        "note": None, "created_at": 206.0, "resolved": False}),
]


def load_old_desk(db_url: str) -> None:
    """A database exactly as a desk from before migrations left it, with OLD_ROWS in it."""
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    engine = sa.create_engine(migrations.sync_url(db_url))
    script = (DATA / f"desk_schema_before_migrations.{kind}.sql").read_text(encoding="utf-8")
    raw = engine.raw_connection()
    try:
        if kind == "sqlite":
            raw.executescript(script)
        else:
            raw.cursor().execute(script)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for table, row in OLD_ROWS:
            columns = ", ".join(row)
            conn.execute(sa.text(f"insert into {table} ({columns}) values ({', '.join(':' + c for c in row)})"), row)
        if kind == "postgresql":  # as the old desk's own inserts would have left the sequence
            conn.execute(sa.text("select setval('desk_messages_id_seq', 5)"))
    engine.dispose()


def schema_differences(db_url: str) -> list:
    engine = sa.create_engine(migrations.sync_url(db_url))
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    return differences


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return fresh_desk_db(request.param, tmp_path, "shopbot_desk_migrations_test")


def test_a_new_database_gets_exactly_the_declared_schema(db_url):
    migrations.upgrade(db_url)
    head = ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
    assert migrations.current_revision(db_url) == head
    assert schema_differences(db_url) == []
    migrations.upgrade(db_url)  # a second desk starting on it finds nothing to do
    assert migrations.current_revision(db_url) == head


async def test_a_database_from_before_migrations_keeps_every_chat_message_agent_and_flag(db_url):
    load_old_desk(db_url)
    engine = sa.create_engine(migrations.sync_url(db_url))
    with engine.begin() as conn:  # an agent made by the old desk, with its password
        conn.execute(sa.text("insert into desk_users (username, password_hash, role) values ('alice', :h, 'agent')"),
                     {"h": hash_password("agentpass1")})
    engine.dispose()

    store = await DeskStore(db_url).open()
    try:
        assert schema_differences(db_url) == []
        waiting = await store.conversation("chat-old-1")
        assert (waiting.state, waiting.reason, waiting.summary) == ("waiting", "complaint", {"intents": ["complain"]})
        assert [c.id for c in await store.queue()] == ["chat-old-1"]
        first = await store.transcript("chat-old-1")
        assert [(m.id, m.sender, m.text, m.client_id, m.desk) for m in first] == [
            (1, "buyer", "东西坏了 我要投诉", "w-1", "desk-a"), (2, "bot", "亲,非常抱歉", None, None)]
        assert first[1].payload == {"buttons": [{"title": "转人工", "payload": "/request_human"}]}
        assert [(m.id, m.author) for m in await store.transcript("chat-old-2")] == [(5, "alice")]
        assert [f.text for f in await store.open_flags()] == ["能寄到国外吗"]
        assert await store.password_hash("alice")  # the old agent can still log in
        # The widget resending an old line is still recognised; new lines go after the old ones.
        again = await store.add_message("chat-old-1", "buyer", "东西坏了 我要投诉", client_id="w-1")
        assert again.duplicate and again.id == 1
        new = await store.add_message("chat-old-1", "buyer", "人呢", client_id="w-2")
        assert new.id > 5 and [m.text for m in await store.transcript("chat-old-1")][-1] == "人呢"
        await add_user(store, "bob", "agentpass2")
    finally:
        await store.close()


async def test_desks_starting_together_on_a_new_postgresql_migrate_it_once(tmp_path):
    db_url = fresh_desk_db("postgresql", tmp_path, "shopbot_desk_migrations_race")
    stores = await asyncio.gather(*(DeskStore(db_url).open() for _ in range(4)))
    try:
        await asyncio.gather(*(store.add_flag(f"第{n}个旗标", flagged_by=f"desk{n}") for n, store in enumerate(stores)))
        assert sorted(f.flagged_by for f in await stores[0].open_flags()) == ["desk0", "desk1", "desk2", "desk3"]
        assert schema_differences(db_url) == []
    finally:
        for store in stores:
            await store.close()
