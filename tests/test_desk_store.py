"""The desk's state machine and storage: claims, restarts, duplicates, sessions, flags.

Every test runs on the embedded default (SQLite) and on production's PostgreSQL.
"""
import asyncio
import threading
import time

import asyncpg
import pytest
import sqlalchemy as sa

from shopbot.desk import states
from shopbot.desk.schema import users
from shopbot.desk.store import DeskStore
from tests.db_support import fresh_desk_db, fresh_pg_database

pytestmark = pytest.mark.local_services


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return fresh_desk_db(request.param, tmp_path)


@pytest.fixture
async def store(db_url):
    opened = await DeskStore(db_url).open()
    yield opened
    await opened.close()


async def waiting_chat(store):
    conversation = await store.create_conversation("tb_lily")
    return await store.transition(conversation.id, "handoff", reason="complaint", priority="high",
                                  summary={"intents": ["complain"]})


async def test_a_chat_moves_bot_waiting_agent_bot_closed(store):
    conversation = await store.create_conversation("tb_lily")
    assert conversation.state == states.BOT
    assert await store.conversation(conversation.id) == conversation  # handed back as stored
    chat = await waiting_chat(store)
    assert chat.state == states.WAITING and chat.summary == {"intents": ["complain"]}
    assert (await store.transition(chat.id, "claim", agent="alice")).agent == "alice"
    back = await store.transition(chat.id, "hand_back", expect_agent="alice")
    assert (back.state, back.agent) == (states.BOT, None)
    assert (await store.transition(chat.id, "close")).state == states.CLOSED


@pytest.mark.parametrize("state_action,then", [("close", "claim"), (None, "claim"), (None, "hand_back")])
async def test_steps_the_state_does_not_allow_are_refused(store, state_action, then):
    conversation = await store.create_conversation(None)
    if state_action:
        await store.transition(conversation.id, state_action)
    with pytest.raises(states.TransitionError):
        await store.transition(conversation.id, then, agent="alice")


async def test_only_the_claiming_agent_can_hand_back(store):
    chat = await waiting_chat(store)
    await store.transition(chat.id, "claim", agent="alice")
    with pytest.raises(states.TransitionError):
        await store.transition(chat.id, "hand_back", expect_agent="bob")


async def test_two_agents_claiming_one_chat_at_once_exactly_one_wins(store):
    chat = await waiting_chat(store)

    async def claim(agent):
        try:
            await store.transition(chat.id, "claim", agent=agent)
            return agent
        except states.TransitionError:
            return None

    results = await asyncio.gather(*(claim(f"agent{i}") for i in range(8)))
    winners = [agent for agent in results if agent]
    assert len(winners) == 1
    assert (await store.conversation(chat.id)).agent == winners[0]


async def test_a_restarted_desk_has_every_chat_and_message(db_url):
    store = await DeskStore(db_url).open()
    chat = await waiting_chat(store)
    for sender, text in [("buyer", "我要投诉"), ("bot", "亲,马上为您转人工"), ("system", "已转接")]:
        await store.add_message(chat.id, sender, text)
    await store.close()
    restarted = await DeskStore(db_url).open()
    assert (await restarted.conversation(chat.id)).state == states.WAITING
    assert [m.text for m in await restarted.transcript(chat.id)] == ["我要投诉", "亲,马上为您转人工", "已转接"]
    assert [c.id for c in await restarted.queue()] == [chat.id]
    await restarted.close()


async def test_a_resent_line_is_stored_once_and_comes_back_as_the_stored_one(store):
    chat = await store.create_conversation(None)
    first = await store.add_message(chat.id, "buyer", "在吗", client_id="c-1", desk="desk-a")
    again = await store.add_message(chat.id, "buyer", "在吗", client_id="c-1", desk="desk-b")
    assert not first.duplicate and again.duplicate and again.id == first.id and again.desk == "desk-a"
    assert [m.text for m in await store.transcript(chat.id)] == ["在吗"]


async def test_a_buyers_line_comes_back_with_the_state_that_decides_who_answers(store):
    chat = await store.create_conversation("tb_lily")
    line, state = await store.add_buyer_line(chat.id, "在吗", "c-1", desk="desk-a")
    assert (state, line.text, line.duplicate, line.desk) == (states.BOT, "在吗", False, "desk-a")
    await store.transition(chat.id, "handoff", reason="complaint", priority="high", summary={})
    _, state = await store.add_buyer_line(chat.id, "人呢", "c-2")
    assert state == states.WAITING
    again, state = await store.add_buyer_line(chat.id, "人呢", "c-2")
    assert again.duplicate and state is None
    assert [(m.id, m.text) for m in await store.transcript(chat.id)] == [(line.id, "在吗"), (again.id, "人呢")]


async def test_bot_agent_and_system_messages_read_back_with_their_buttons_and_author(store):
    chat = await store.create_conversation("tb_lily")
    buttons = {"buttons": [{"title": "查物流", "payload": "/ask_logistics"}]}
    await store.add_message(chat.id, "bot", "亲,请选择", buttons)
    await store.add_message(chat.id, "agent", "我来帮您", author="alice")
    await store.add_message(chat.id, "system", "已转接")
    read = [(m.sender, m.text, m.payload, m.author) for m in await store.transcript(chat.id)]
    assert read == [("bot", "亲,请选择", buttons, None), ("agent", "我来帮您", None, "alice"),
                    ("system", "已转接", None, None)]
    assert [m.text for m in await store.transcript(chat.id, after_id=(await store.transcript(chat.id))[0].id)] \
        == ["我来帮您", "已转接"]


async def test_queue_is_ordered_by_priority_then_waiting_time(store):
    ids = []
    for priority in ("normal", "high", "normal", "low"):
        chat = await store.create_conversation(None)
        await store.transition(chat.id, "handoff", reason="x", priority=priority, summary={})
        ids.append(chat.id)
        await asyncio.sleep(0.01)
    assert [c.id for c in await store.queue()] == [ids[1], ids[0], ids[2], ids[3]]


async def test_sessions_belong_to_their_user_and_end(store):
    await store.save_user("alice", "scrypt$00$00", "agent")
    token = await store.start_session("alice")
    assert await store.session_user(token) == {"username": "alice", "role": "agent", "nickname": None}
    assert await store.session_user("forged") is None
    await store.end_session(token)
    assert await store.session_user(token) is None
    expired = await store.start_session("alice", seconds=-1)
    assert await store.session_user(expired) is None


async def test_saving_a_user_again_changes_their_password_and_role(store):
    await store.save_user("alice", "scrypt$aa$01", "agent")
    await store.save_user("alice", "scrypt$bb$02", "trainer")
    assert await store.password_hash("alice") == "scrypt$bb$02"
    token = await store.start_session("alice")
    assert (await store.session_user(token))["role"] == "trainer"
    with pytest.raises(ValueError):
        await store.save_user("mallory", "scrypt$cc$03", "owner")
    assert await store.password_hash("nobody") is None


async def test_the_latest_messages_come_oldest_first_and_only_that_many(store):
    chat = await store.create_conversation(None)
    for n in range(6):
        await store.add_message(chat.id, "buyer", f"消息{n}")
    assert [m.text for m in await store.latest(chat.id, 3)] == ["消息3", "消息4", "消息5"]


async def test_unanswered_finds_only_a_bot_chat_whose_last_word_is_the_buyers_in_the_window(store):
    left, answered, queued = [await store.create_conversation("tb_lily") for _ in range(3)]
    question = await store.add_message(left.id, "buyer", "有货吗", client_id="c1")
    await store.add_message(answered.id, "buyer", "有货吗", client_id="c2")
    await store.add_message(answered.id, "bot", "亲,有货的哦")
    await store.add_message(queued.id, "buyer", "人呢", client_id="c3")
    await store.transition(queued.id, "handoff", reason="complaint", priority="high", summary={})

    found = await store.unanswered((question.created_at - 1, question.created_at + 60))
    assert [(m.id, c.id, c.account) for m, c in found] == [(question.id, left.id, "tb_lily")]
    assert await store.unanswered((question.created_at + 1, question.created_at + 60)) == []


async def test_flags_stay_open_until_resolved(store):
    await store.add_flag("这个能退吗", "chat-1", "alice", "没答上来")
    await store.add_flag("发什么快递", None, "cli")
    opened = await store.open_flags()
    assert [(f.text, f.conversation_id, f.flagged_by, f.note) for f in opened] == [
        ("这个能退吗", "chat-1", "alice", "没答上来"), ("发什么快递", None, "cli", None)]
    await store.resolve_flags([opened[0].id])
    assert [f.text for f in await store.open_flags()] == ["发什么快递"]


async def test_the_agents_queue_is_read_through_an_index_however_many_chats_the_shop_has_had(store, db_url):
    """A console refreshes its queue every few seconds; it must not read every chat ever opened."""
    now = time.time()
    async with store.engine.connect() as conn:
        await conn.execute(sa.text("insert into desk_conversations (id, state, created_at, updated_at) "
                                   "values (:id, :state, :t, :t)"),
                           [{"id": f"old{n}", "state": states.CLOSED if n % 2 else states.BOT, "t": now}
                            for n in range(5000)])
    waiting = await waiting_chat(store)
    async with store.engine.connect() as conn:
        await conn.execute(sa.text("analyze"))
        explain = "explain query plan" if db_url.startswith("sqlite") else "explain"
        plan = " ".join(str(row[-1]) for row in (await conn.execute(
            sa.text(f"{explain} select * from desk_conversations where state = 'waiting'"))).all())
    assert "ix_desk_conversations_state" in plan, plan
    assert [chat.id for chat in await store.queue()] == [waiting.id]


async def test_passwords_are_never_stored_as_typed(tmp_path):
    from shopbot.desk.auth import add_user

    store = await DeskStore(f"sqlite:///{tmp_path / 'desk.db'}").open()
    await add_user(store, "alice", "correct horse")
    async with store.engine.connect() as conn:
        stored = (await conn.execute(sa.select(users.c.password_hash))).scalar()
    assert "correct horse" not in stored and stored.startswith("scrypt$")
    with pytest.raises(ValueError):
        await add_user(store, "bob", "short")
    await store.close()


async def test_a_message_arriving_while_postgresql_restarts_is_stored_once_it_is_back():
    """Real PostgreSQL, stopped for a moment: the store waits for it instead of failing."""
    from harness.cluster import ensure_postgres_running, pg_ctlcluster

    store = await DeskStore(fresh_pg_database("shopbot_store_restart_test")).open()
    chat = await store.create_conversation("tb_lily")
    await store.add_message(chat.id, "buyer", "在吗", client_id="c0")  # the pool holds a connection
    try:
        assert pg_ctlcluster("stop").returncode == 0
        threading.Timer(1.5, lambda: pg_ctlcluster("start")).start()
        began = time.monotonic()
        stored = await store.add_message(chat.id, "buyer", "还有货吗", client_id="c1")
        assert time.monotonic() - began >= 1.0  # it really had to wait
    finally:
        ensure_postgres_running()
    assert [(m.id, m.text) for m in await store.transcript(chat.id)][1:] == [(stored.id, "还有货吗")]
    await store.close()


async def test_writes_go_on_after_postgresql_cuts_off_every_connection_the_pool_holds():
    """What a restart or a failover does to a busy desk: many pooled connections dropped at once."""
    name = "shopbot_store_cut_test"
    store = await DeskStore(fresh_pg_database(name)).open()
    chat = await store.create_conversation("tb_lily")
    await asyncio.gather(*(store.add_message(chat.id, "buyer", f"第{n}句", client_id=f"a-{n}") for n in range(8)))
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        cut = conn.execute(sa.text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                   "where datname = :name and pid <> pg_backend_pid() "
                                   "and backend_type = 'client backend'"), {"name": name}).scalar()
    admin.dispose()
    later = await asyncio.gather(*(store.add_message(chat.id, "buyer", f"又{n}句", client_id=f"b-{n}")
                                   for n in range(8)))
    assert cut >= 2  # the pool really held several connections, and lost them
    assert not any(line.duplicate for line in later)
    assert sorted(m.client_id for m in await store.transcript(chat.id)) == sorted(
        [f"a-{n}" for n in range(8)] + [f"b-{n}" for n in range(8)])
    await store.close()


@pytest.mark.parametrize("error", [
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    ConnectionRefusedError(111, "Connection refused"), asyncio.TimeoutError()])
async def test_a_postgresql_restart_in_any_of_its_moments_is_waited_out_not_failed(tmp_path, error):
    """Each is what a desk met while PostgreSQL restarted under load; the buyer's line must still be stored."""
    store = await DeskStore(f"sqlite:///{tmp_path / 'desk.db'}").open()
    chat = await store.create_conversation("tb_lily")
    failures = [error]
    store_line = store._write

    async def restarting(*args, **kwargs):
        if failures:
            raise failures.pop()
        return await store_line(*args, **kwargs)

    store._write = restarting
    line, state = await store.add_buyer_line(chat.id, "还有货吗", "c1")
    assert state == states.BOT and [m.text for m in await store.transcript(chat.id)] == ["还有货吗"]
    with pytest.raises(sa.exc.IntegrityError):  # a constraint or a bug is not retried
        failures.append(sa.exc.IntegrityError("insert", {}, Exception("duplicate key")))
        await store.create_conversation("tb_lily")
    await store.close()
