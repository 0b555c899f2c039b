"""The writes on a buyer's path, on SQLite (the store, in a thread) and PostgreSQL (asyncpg).

Whichever way a message is written, the store reads it back the same: the
transcript, a resend stored once (flagged, so the desk does not answer it
again), the chat's state, and a PostgreSQL restart waited out rather than failed.
"""
import asyncio
import threading
import time

import pytest
import sqlalchemy as sa

from shopbot.desk import states
from shopbot.desk.message_writes import AsyncpgWrites, ThreadedWrites, message_writes_for
from shopbot.desk.store import DeskStore, Message

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_pg_database(name: str) -> str:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        conn.execute(sa.text(f'create database "{name}"'))
    admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


async def asyncpg_desk(database: str):
    """A fresh PostgreSQL desk with its asyncpg writes started, and one buyer's chat in it."""
    url = fresh_pg_database(database)
    store = DeskStore(url)
    writes = AsyncpgWrites(url)
    await writes.start()
    return store, writes, store.create_conversation("tb_lily")


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_and_writes(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'desk.db'}" if request.param == "sqlite"
           else fresh_pg_database("shopbot_message_writes_test"))
    store = DeskStore(url)
    writes = message_writes_for(store, url)
    await writes.start()
    yield store, writes
    await writes.close()
    store.engine.dispose()


def test_postgresql_gets_asyncpg_and_everything_else_the_store_in_a_thread(tmp_path):
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}")
    assert isinstance(message_writes_for(store, f"sqlite:///{tmp_path / 'desk.db'}"), ThreadedWrites)
    for url in ("postgresql://postgres@127.0.0.1:5432/x", "postgresql+psycopg2://postgres@127.0.0.1:5432/x"):
        writes = message_writes_for(store, url)
        assert isinstance(writes, AsyncpgWrites) and writes.dsn == "postgresql://postgres@127.0.0.1:5432/x"


async def test_a_new_chat_comes_back_as_stored_for_a_buyer_and_for_a_visitor(store_and_writes):
    store, writes = store_and_writes
    for account in ("tb_lily", None):
        chat = await writes.create_conversation(account)
        assert chat.state == states.BOT and chat.account == account
        assert store.conversation(chat.id) == chat  # what the widget is told is what was stored
    assert len({(await writes.create_conversation("tb_lily")).id for _ in range(20)}) == 20


async def test_a_buyer_line_comes_back_stored_with_the_state_that_decides_who_answers(store_and_writes):
    store, writes = store_and_writes
    chat = store.create_conversation("tb_lily")
    line, state = await writes.add_buyer_message(chat.id, "这个芒果干还有货吗", "c-1", desk="desk-8001")
    assert state == states.BOT and not line.duplicate
    store.transition(chat.id, "handoff", reason="complaint", priority="high", summary={})
    second, state = await writes.add_buyer_message(chat.id, "人呢", "c-2", desk="desk-8002")
    assert state == states.WAITING and second.id > line.id
    # Each line names the desk that took it: a sweep can tell when that desk has died.
    assert [(m.id, m.sender, m.text, m.client_id, m.desk) for m in store.transcript(chat.id)] == [
        (line.id, "buyer", "这个芒果干还有货吗", "c-1", "desk-8001"), (second.id, "buyer", "人呢", "c-2", "desk-8002")]


async def test_a_resent_line_is_stored_once_and_comes_back_as_the_stored_one(store_and_writes):
    store, writes = store_and_writes
    chat = store.create_conversation("tb_lily")
    first, _ = await writes.add_buyer_message(chat.id, "有发票吗", "c-1")
    again, _ = await writes.add_buyer_message(chat.id, "有发票吗", "c-1")
    assert again.duplicate and again.id == first.id and not first.duplicate
    assert [m.text for m in store.transcript(chat.id)] == ["有发票吗"]


async def test_bot_agent_and_system_messages_read_back_with_their_buttons_and_author(store_and_writes):
    store, writes = store_and_writes
    chat = store.create_conversation(None)
    buttons = {"buttons": [{"title": "查物流", "payload": "/ask_logistics"}]}
    bot = await writes.add_message(chat.id, "bot", "亲,请问还有什么可以帮您的呢~", buttons)
    agent = await writes.add_message(chat.id, "agent", "您好,我是小美", author="xiaomei")
    system = await writes.add_message(chat.id, "system", "人工客服已接入")
    assert [m.as_dict() for m in store.transcript(chat.id)] == [m.as_dict() for m in (bot, agent, system)]
    assert store.transcript(chat.id)[0].payload == buttons and store.transcript(chat.id)[1].author == "xiaomei"


async def test_a_write_while_postgresql_restarts_waits_for_it_and_is_stored_once():
    """Real PostgreSQL, stopped with the pool's connection open: the write is retried, not failed."""
    from harness.cluster import ensure_postgres_running, pg_ctlcluster

    store, writes, chat = await asyncpg_desk("shopbot_message_writes_restart_test")
    await writes.add_buyer_message(chat.id, "在吗", "c-1")  # the pool now holds a connection that will die
    try:
        assert pg_ctlcluster("stop").returncode == 0
        threading.Timer(1.5, lambda: pg_ctlcluster("start")).start()
        began = time.monotonic()
        line, state = await writes.add_buyer_message(chat.id, "还有货吗", "c-2")
        assert time.monotonic() - began >= 1.0  # it really had to wait
    finally:
        await asyncio.to_thread(ensure_postgres_running)
        await writes.close()
    assert state == states.BOT and not line.duplicate
    assert [(m.id, m.text) for m in store.transcript(chat.id)][1:] == [(line.id, "还有货吗")]
    store.engine.dispose()


async def test_a_bot_chat_on_postgresql_is_stored_line_then_answer_and_the_buyer_sees_both():
    """The desk as production runs it: asyncpg writes, the store's reads, one buyer's socket."""
    from shopbot.desk.hub import LocalHub, conversation_channel
    from shopbot.desk.service import DeskService
    from shopbot.desk.triggers import Triggers

    class Rasa:
        async def send(self, conversation_id, text, account, line=None):
            return [{"text": f"亲,{account}您好,这款有货哦~"}]

    url = fresh_pg_database("shopbot_message_writes_test")
    store = DeskStore(url)
    writes = message_writes_for(store, url)
    await writes.start()
    hub = LocalHub()
    service = DeskService(store, Rasa(), hub, Triggers.from_settings({}), [], agents_online=lambda: 1,
                          writes=writes)
    chat = store.create_conversation("tb_lily")
    socket = hub.subscribe(conversation_channel(chat.id))
    try:
        await service.buyer_message(chat, "还有货吗", "c-1")
    finally:
        await writes.close()
    seen = [socket.get_nowait()["message"] for _ in range(socket.qsize())]
    assert [(m["sender"], m["text"]) for m in seen] == [("buyer", "还有货吗"), ("bot", "亲,tb_lily您好,这款有货哦~")]
    assert [m.as_dict() for m in store.transcript(chat.id)] == seen
    store.engine.dispose()


async def test_writes_go_on_after_postgresql_cuts_off_every_connection_the_pool_holds():
    """What a restart or a failover does to a busy desk: many pooled connections dropped at once."""
    store, writes, chat = await asyncpg_desk("shopbot_message_writes_cut_test")
    try:
        await asyncio.gather(*(writes.add_buyer_message(chat.id, f"第{n}句", f"a-{n}") for n in range(8)))
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            cut = conn.execute(sa.text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                       "where datname = 'shopbot_message_writes_cut_test' and application_name = ''"
                                       " and pid <> pg_backend_pid() and backend_type = 'client backend'")).scalar()
        admin.dispose()
        later = await asyncio.gather(*(writes.add_buyer_message(chat.id, f"又{n}句", f"b-{n}") for n in range(8)))
    finally:
        await writes.close()
    assert cut >= 2  # the pool really held several connections, and lost them
    assert all(state == states.BOT and not line.duplicate for line, state in later)
    assert sorted(m.client_id for m in store.transcript(chat.id)) == sorted(
        [f"a-{n}" for n in range(8)] + [f"b-{n}" for n in range(8)])
    store.engine.dispose()


async def test_on_postgresql_a_buyer_line_keeps_the_id_its_answer_is_stored_under():
    store, writes, chat = await asyncpg_desk("shopbot_message_writes_reply_id")
    try:
        line, _ = await writes.add_buyer_message(chat.id, "这个芒果干还有货吗", "c-1")
        assert line.reply_id > line.id and "reply_id" not in line.as_dict()  # never sent to a socket
        assert store.transcript(chat.id)[0].reply_id == line.reply_id  # kept with the line, for a sweep
        answer = Message(line.reply_id, chat.id, "bot", "亲,有货的哦", {"buttons": []}, None, None, time.time())
        await writes.add_shown(answer)
        await writes.add_shown(answer)  # again, as after a connection dropped at its commit: stored once
        notice = await writes.add_message(chat.id, "system", "人工客服已接入")
        assert [(m.id, m.sender, m.text) for m in store.transcript(chat.id)] == [
            (line.id, "buyer", "这个芒果干还有货吗"), (answer.id, "bot", "亲,有货的哦"), (notice.id, "system", "人工客服已接入")]
        assert store.transcript(chat.id)[1] == answer  # its time and payload as shown
    finally:
        await writes.close()
        store.engine.dispose()


async def test_on_sqlite_a_buyer_line_keeps_no_id_and_its_answer_is_stored_before_it_is_shown(tmp_path):
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}")
    line, _ = await ThreadedWrites(store).add_buyer_message(store.create_conversation("tb_lily").id, "在吗", "c-1")
    assert line.reply_id is None
