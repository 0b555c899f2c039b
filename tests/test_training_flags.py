"""Flags for the trainers on a new deployment: the first ones, sent at once, are all kept."""
import threading

import sqlalchemy as sa

from shopbot.training.inbox import build_inbox, flag
from tests.test_message_writes import fresh_pg_database

TRAINERS = 8


def flag_all_at_once(engine: sa.engine.Engine, texts) -> list:
    """Each text flagged by its own thread, all released together; the errors they met."""
    start = threading.Barrier(len(texts))
    errors = []

    def one(text: str) -> None:
        start.wait()
        try:
            flag(engine, text, flagged_by="trainer")
        except Exception as error:  # noqa: BLE001 - the test reports whatever a trainer would have met
            errors.append(repr(error))

    threads = [threading.Thread(target=one, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_the_first_flags_of_a_new_deployment_sent_at_once_are_all_kept(tmp_path):
    # Every desk replica and thread finds no flags table and makes it: only one can.
    for attempt in range(3):
        engine = sa.create_engine(fresh_pg_database("shopbot_training_flags_test"))
        texts = [f"这个{n}号链接的赠品呢 (try {attempt})" for n in range(TRAINERS)]
        try:
            assert flag_all_at_once(engine, texts) == []
            tracker = sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")  # no chats yet
            inbox = build_inbox(tracker, engine)
            assert sorted(item.text for item in inbox if "flagged" in item.reasons) == sorted(texts)
        finally:
            engine.dispose()
