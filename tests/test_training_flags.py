"""Flags for the trainers: every flag is kept, shown in the inbox, and leaves it once labelled."""
import asyncio

import pytest
import sqlalchemy as sa

from shopbot.desk.store import DeskStore
from shopbot.training.inbox import build_inbox, flags_to_resolve
from tests.db_support import fresh_pg_database

pytestmark = pytest.mark.local_services

TRAINERS = 8


async def test_flags_sent_at_once_by_many_trainers_on_a_new_deployment_are_all_in_the_inbox(tmp_path):
    store = await DeskStore(fresh_pg_database("shopbot_training_flags_test")).open()
    texts = [f"这个{n}号链接的赠品呢" for n in range(TRAINERS)]
    try:
        await asyncio.gather(*(store.add_flag(text, flagged_by="trainer") for text in texts))
        tracker = sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")  # no chats yet
        inbox = build_inbox(tracker, await store.open_flags())
        assert sorted(item.text for item in inbox if "flagged" in item.reasons) == sorted(texts)
    finally:
        await store.close()


async def test_labelling_a_flagged_text_resolves_its_flags_however_it_was_spelt(tmp_path):
    store = await DeskStore(f"sqlite:///{tmp_path / 'desk.db'}").open()
    await store.add_flag("發什麼快遞?", flagged_by="alice")  # traditional characters, a question mark
    await store.add_flag("发什么快递", flagged_by="bob")
    await store.add_flag("能开发票吗", flagged_by="bob")
    await store.resolve_flags(flags_to_resolve(await store.open_flags(), "发什么快递"))
    tracker = sa.create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")
    assert [item.text for item in build_inbox(tracker, await store.open_flags())] == ["能开发票吗"]
    await store.close()
