"""The production tracker store keeps conversations exactly as Rasa's own store does.

It skips Rasa's per-save count of stored events; these tests hold it to what
that count guaranteed: every event stored once, in order, whichever replica
handled the turn, and rows Rasa's own store reads back unchanged.
"""
import asyncio
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from shopbot.rasa_ext.tracker_store import LeanSQLTrackerStore

pytestmark = pytest.mark.local_services

PG_TEST_DB = "shopbot_tracker_store_test"


@pytest.fixture(scope="module")
def domain(project_root):
    return Domain.load(str(project_root / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_args(request, tmp_path):
    """Keyword arguments for a tracker store: the embedded SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "trackers.db")}
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("select 1 from pg_database where datname = :n"), {"n": PG_TEST_DB}).scalar():
            conn.execute(sa.text(f'create database "{PG_TEST_DB}"'))
    admin.dispose()
    return {"dialect": "postgresql", "host": "127.0.0.1", "port": 5432, "db": PG_TEST_DB, "username": "postgres"}


def turn(tracker, text, intent, answer):
    """One buyer message and the bot's answer, as the processor adds them."""
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}, [], {"text": text},
                               metadata={"account": "tb_lily"}))
    tracker.update(ActionExecuted(f"action_{intent}"))
    tracker.update(BotUttered(answer, metadata={"utter_action": f"utter_{intent}"}))
    tracker.update(ActionExecuted("action_listen"))


def stored(store, sender):
    tracker = asyncio.run(store.retrieve(sender))
    return [event.as_dict() for event in tracker.events] if tracker else []


def texts(events):
    return [e["text"] for e in events if e["event"] == "user"]


def play(store, sender, lines):
    """Each line in its own message: read the tracker, add the turn, save, as a replica does."""
    for number, text in enumerate(lines):
        tracker = asyncio.run(store.get_or_create_tracker(sender))
        turn(tracker, text, "ask_stock", f"亲,第{number}个问题的回答")
        asyncio.run(store.save(tracker))


def test_a_conversation_is_stored_once_in_order_and_rasas_store_reads_it_the_same(domain, store_args):
    lean, rasas = LeanSQLTrackerStore(domain, **store_args), SQLTrackerStore(domain, **store_args)
    sender = uuid.uuid4().hex
    play(lean, sender, ["在吗", "芒果干有货吗", "保质期多久"])

    events = stored(lean, sender)
    assert texts(events) == ["在吗", "芒果干有货吗", "保质期多久"]
    assert stored(rasas, sender) == events
    assert [e["event"] for e in events].count("bot") == 3


def test_rows_are_the_ones_rasas_own_store_writes(domain, store_args):
    lean, rasas = LeanSQLTrackerStore(domain, **store_args), SQLTrackerStore(domain, **store_args)
    ours, theirs = uuid.uuid4().hex, uuid.uuid4().hex
    play(lean, ours, ["在吗", "能便宜点吗"])
    play(rasas, theirs, ["在吗", "能便宜点吗"])

    def columns(sender):
        with rasas.engine.connect() as conn:
            table = rasas.SQLEvent.__table__
            return conn.execute(sa.select(table.c.type_name, table.c.intent_name, table.c.action_name)
                                .where(table.c.sender_id == sender).order_by(table.c.id)).all()

    assert columns(ours) == columns(theirs)


def test_turns_handled_by_two_replicas_in_turn_are_all_kept_once(domain, store_args):
    replicas = [LeanSQLTrackerStore(domain, **store_args), LeanSQLTrackerStore(domain, **store_args)]
    sender = uuid.uuid4().hex
    lines = ["你好", "发什么快递", "能发顺丰吗", "几天到上海", "好的"]
    for number, text in enumerate(lines):
        play(replicas[number % 2], sender, [text])

    assert texts(stored(replicas[0], sender)) == lines
    assert stored(replicas[0], sender) == stored(replicas[1], sender)


def test_a_tracker_the_store_did_not_read_is_saved_without_repeating_events(domain, store_args):
    store = LeanSQLTrackerStore(domain, **store_args)
    sender = uuid.uuid4().hex
    play(store, sender, ["在吗"])
    copy = asyncio.run(store.retrieve(sender)).copy()  # built anew: it carries no count
    turn(copy, "有发票吗", "ask_invoice", "亲,可以开发票的哦")
    asyncio.run(store.save(copy))

    assert texts(stored(store, sender)) == ["在吗", "有发票吗"]


def test_a_new_session_starts_the_stored_conversation_afresh_as_in_rasa(domain, store_args):
    lean, rasas = LeanSQLTrackerStore(domain, **store_args), SQLTrackerStore(domain, **store_args)
    sender = uuid.uuid4().hex
    play(lean, sender, ["在吗"])
    tracker = asyncio.run(lean.retrieve(sender))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, "我又来了", "greet", "亲,欢迎回来")
    asyncio.run(lean.save(tracker))
    play(lean, sender, ["还有货吗"])

    assert texts(stored(lean, sender)) == ["我又来了", "还有货吗"]
    assert stored(rasas, sender) == stored(lean, sender)
    full = asyncio.run(lean.retrieve_full_tracker(sender))
    assert texts([e.as_dict() for e in full.events]) == ["在吗", "我又来了", "还有货吗"]
