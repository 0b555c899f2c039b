"""The desk's state machine and storage: claims, restarts, duplicates, logins."""
import threading
import time

import pytest

from shopbot.desk import states
from shopbot.desk.store import DeskStore


PG_TEST_DB = "shopbot_desk_store_test"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Every store test runs on the embedded default and on production's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    import sqlalchemy as sa

    from shopbot.desk.store import metadata

    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("select 1 from pg_database where datname = :n"), {"n": PG_TEST_DB}).scalar():
            conn.execute(sa.text(f'create database "{PG_TEST_DB}"'))
    admin.dispose()
    url = f"postgresql://postgres@127.0.0.1:5432/{PG_TEST_DB}"
    engine = sa.create_engine(url)
    metadata.drop_all(engine)  # a clean desk for each test
    engine.dispose()
    return url


def waiting_chat(store):
    conversation = store.create_conversation("tb_lily")
    return store.transition(conversation.id, "handoff", reason="complaint", priority="high",
                            summary={"intents": ["complain"]})


def test_a_chat_moves_bot_waiting_agent_bot_closed(db_url):
    store = DeskStore(db_url)
    conversation = store.create_conversation("tb_lily")
    assert conversation.state == states.BOT
    assert store.conversation(conversation.id) == conversation  # handed back as stored
    assert waiting_chat(store).state == states.WAITING
    chat = waiting_chat(store)
    assert store.transition(chat.id, "claim", agent="alice").agent == "alice"
    back = store.transition(chat.id, "hand_back", expect_agent="alice")
    assert (back.state, back.agent) == (states.BOT, None)
    assert store.transition(chat.id, "close").state == states.CLOSED


@pytest.mark.parametrize("state_action,then", [("close", "claim"), (None, "claim"), (None, "hand_back")])
def test_steps_the_state_does_not_allow_are_refused(db_url, state_action, then):
    store = DeskStore(db_url)
    conversation = store.create_conversation(None)
    if state_action:
        store.transition(conversation.id, state_action)
    with pytest.raises(states.TransitionError):
        store.transition(conversation.id, then, agent="alice")


def test_only_the_claiming_agent_can_hand_back(db_url):
    store = DeskStore(db_url)
    chat = waiting_chat(store)
    store.transition(chat.id, "claim", agent="alice")
    with pytest.raises(states.TransitionError):
        store.transition(chat.id, "hand_back", expect_agent="bob")


def test_two_agents_claiming_one_chat_at_once_exactly_one_wins(db_url):
    store = DeskStore(db_url)
    chat = waiting_chat(store)
    winners, losers = [], []
    start = threading.Barrier(8)

    def claim(agent):
        start.wait()
        try:
            store.transition(chat.id, "claim", agent=agent)
            winners.append(agent)
        except states.TransitionError:
            losers.append(agent)

    threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 7
    assert store.conversation(chat.id).agent == winners[0]


def test_a_desk_database_from_before_the_kept_reply_id_and_desk_is_upgraded_and_keeps_its_messages(db_url):
    """A shop upgrading the desk keeps its transcripts; the new column is added, not the table replaced."""
    import sqlalchemy as sa

    from shopbot.desk.store import messages

    before = sa.MetaData()  # desk_messages as desks before these columns created it
    sa.Table(messages.name, before, *[c.copy() for c in messages.columns if c.name not in ("reply_id", "desk")],
             sa.UniqueConstraint("conversation_id", "client_id", name="uq_desk_message_client_id"))
    engine = sa.create_engine(db_url)
    before.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO desk_messages (conversation_id, sender, text, client_id, created_at) "
                             "VALUES ('c-old', 'buyer', '还有货吗', 'x1', 1.0)"))
    engine.dispose()

    store = DeskStore(db_url)
    DeskStore(db_url)  # a second desk starting on it finds the columns there
    old = store.transcript("c-old")
    assert [(m.text, m.client_id, m.reply_id, m.desk) for m in old] == [("还有货吗", "x1", None, None)]
    chat = store.create_conversation("tb_lily")
    store.add_buyer_message(chat.id, "在吗", "c-1", "desk-8001")
    assert [(m.text, m.desk) for m in store.transcript(chat.id)] == [("在吗", "desk-8001")]
    store.engine.dispose()


def test_a_restarted_desk_has_every_chat_and_message(db_url):
    store = DeskStore(db_url)
    chat = waiting_chat(store)
    for sender, text in [("buyer", "我要投诉"), ("bot", "亲,马上为您转人工"), ("system", "已转接")]:
        store.add_message(chat.id, sender, text)
    restarted = DeskStore(db_url)
    assert restarted.conversation(chat.id).state == states.WAITING
    assert [m.text for m in restarted.transcript(chat.id)] == ["我要投诉", "亲,马上为您转人工", "已转接"]
    assert [c.id for c in restarted.queue()] == [chat.id]


def test_a_resent_message_is_stored_once(db_url):
    store = DeskStore(db_url)
    chat = store.create_conversation(None)
    first = store.add_message(chat.id, "buyer", "在吗", client_id="c-1")
    again = store.add_message(chat.id, "buyer", "在吗", client_id="c-1")
    assert again.duplicate and again.id == first.id
    assert len(store.transcript(chat.id)) == 1


def test_queue_is_ordered_by_priority_then_waiting_time(db_url):
    store = DeskStore(db_url)
    ids = []
    for priority in ("normal", "high", "normal", "low"):
        chat = store.create_conversation(None)
        store.transition(chat.id, "handoff", reason="x", priority=priority, summary={})
        ids.append(chat.id)
        time.sleep(0.01)
    assert [c.id for c in store.queue()] == [ids[1], ids[0], ids[2], ids[3]]


def test_login_needs_the_right_password_and_sessions_end(db_url):
    store = DeskStore(db_url)
    store.add_user("alice", "correct horse", "agent")
    assert store.login("alice", "wrong password") is None
    assert store.login("nobody", "correct horse") is None
    token = store.login("alice", "correct horse")
    assert store.session_user(token) == {"username": "alice", "role": "agent"}
    store.logout(token)
    assert store.session_user(token) is None
    expired = store.login("alice", "correct horse", ttl_seconds=-1)
    assert store.session_user(expired) is None


def test_an_unknown_name_costs_the_same_password_check_as_a_wrong_password(db_url, monkeypatch):
    """Else the time of a refusal would tell an attacker which agents' names exist."""
    from shopbot.desk import store as store_module

    store = DeskStore(db_url)
    store.add_user("alice", "correct horse", "agent")
    checked = []
    real_check = store_module.verify_password
    monkeypatch.setattr(store_module, "verify_password",
                        lambda password, stored: checked.append(stored) or real_check(password, stored))
    assert store.login("alice", "wrong password") is None
    assert store.login("nobody", "wrong password") is None
    assert len(checked) == 2 and all(s.startswith("scrypt$") for s in checked)
    assert store.login("nobody", "") is None  # no password matches the stand-in hash


def test_passwords_are_stored_hashed(db_url):
    import sqlalchemy as sa

    from shopbot.desk.store import users

    store = DeskStore(db_url)
    store.add_user("alice", "correct horse", "agent")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar()
    assert "correct horse" not in stored and stored.startswith("scrypt$")


def test_the_latest_messages_come_oldest_first_and_only_that_many(db_url):
    store = DeskStore(db_url)
    chat = store.create_conversation(None)
    for n in range(6):
        store.add_message(chat.id, "buyer", f"消息{n}")
    assert [m.text for m in store.latest(chat.id, 3)] == ["消息3", "消息4", "消息5"]


def test_a_message_arriving_while_postgresql_restarts_is_stored_once_it_is_back():
    """Real PostgreSQL, stopped for a moment: the store waits for it instead of failing."""
    import sqlalchemy as sa

    from harness.cluster import pg_ctlcluster, ensure_postgres_running

    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("drop database if exists shopbot_store_restart_test"))
        conn.execute(sa.text("create database shopbot_store_restart_test"))
    admin.dispose()
    store = DeskStore("postgresql://postgres@127.0.0.1:5432/shopbot_store_restart_test")
    chat = store.create_conversation("tb_lily")
    try:
        assert pg_ctlcluster("stop").returncode == 0
        threading.Timer(1.5, lambda: pg_ctlcluster("start")).start()
        began = time.monotonic()
        stored = store.add_message(chat.id, "buyer", "还有货吗", client_id="c1")
        assert time.monotonic() - began >= 1.0  # it really had to wait
    finally:
        ensure_postgres_running()
    assert [(m.text, m.client_id) for m in store.transcript(chat.id)] == [("还有货吗", "c1")]
    assert stored.id == store.transcript(chat.id)[0].id
    store.engine.dispose()


def test_a_buyer_message_comes_back_with_the_state_that_decides_who_answers(db_url):
    store = DeskStore(db_url)
    chat = store.create_conversation("tb_lily")
    message, state = store.add_buyer_message(chat.id, "在吗", "c-1")
    assert state == states.BOT and message.text == "在吗" and not message.duplicate
    store.transition(chat.id, "handoff", reason="complaint", priority="high", summary={})
    _, state = store.add_buyer_message(chat.id, "人呢", "c-2")
    assert state == states.WAITING
    again, _ = store.add_buyer_message(chat.id, "人呢", "c-2")
    assert again.duplicate and [m.text for m in store.transcript(chat.id)] == ["在吗", "人呢"]


def test_unanswered_finds_only_a_bot_chat_whose_last_word_is_the_buyers_in_the_window(db_url):
    store = DeskStore(db_url)
    left, answered, queued = (store.create_conversation("tb_lily") for _ in range(3))
    question, _ = store.add_buyer_message(left.id, "有货吗", "c1")
    store.add_buyer_message(answered.id, "有货吗", "c2")
    store.add_message(answered.id, "bot", "亲,有货的哦")
    store.add_buyer_message(queued.id, "人呢", "c3")
    store.transition(queued.id, "handoff", reason="complaint", priority="high", summary={})

    found = store.unanswered((question.created_at - 1, question.created_at + 60))
    assert [(m.id, c.id, c.account) for m, c in found] == [(question.id, left.id, "tb_lily")]
    assert store.unanswered((question.created_at + 1, question.created_at + 60)) == []


def test_the_agents_queue_is_read_through_an_index_however_many_chats_the_shop_has_had(db_url):
    """A console refreshes its queue every few seconds; it must not read every chat ever opened."""
    import sqlalchemy as sa

    store = DeskStore(db_url)
    now = time.time()
    with store.engine.begin() as conn:
        conn.execute(sa.text("insert into desk_conversations (id, state, created_at, updated_at) "
                             "values (:id, :state, :t, :t)"),
                     [{"id": f"old{n}", "state": states.CLOSED if n % 2 else states.BOT, "t": now}
                      for n in range(5000)])
    waiting = waiting_chat(store)
    with store.engine.connect() as conn:
        conn.execute(sa.text("analyze"))
        explain = "explain query plan" if db_url.startswith("sqlite") else "explain"
        plan = " ".join(str(row[-1]) for row in conn.execute(
            sa.text(f"{explain} select * from desk_conversations where state = 'waiting'")))
    assert "ix_desk_conversations_state" in plan, plan
    assert [chat.id for chat in store.queue()] == [waiting.id]
