"""Routing each message by the chat's state, with a stand-in for Rasa."""
import asyncio
import time

import pytest

from shopbot.desk import service as service_module
from shopbot.desk import states
from shopbot.desk.hub import AGENTS, LocalHub, conversation_channel
from shopbot.desk.service import DeskService, clean_buyer_text
from shopbot.desk.store import DeskStore
from shopbot.desk.triggers import Triggers
from tests.db_support import fresh_desk_db
from tests.desk_support import StandInRasa

pytestmark = pytest.mark.local_services

REPHRASE = "亲,不好意思,我没太明白您的意思呢~可以换个说法再告诉我一次吗?"


class Desk:
    """A desk's service over a real store, a local hub and a stand-in Rasa."""

    def __init__(self, store):
        self.store, self.rasa, self.hub = store, StandInRasa(), LocalHub()
        self.online = {"count": 1}
        self.service = DeskService(store, self.rasa, self.hub, Triggers.from_settings({}), [REPHRASE],
                                   agents_online=lambda: self.online["count"], agent_hours="每天 09:00-23:00")

    async def texts(self, conversation_id, sender=None):
        return [m.text for m in await self.store.transcript(conversation_id) if sender in (None, m.sender)]

    async def chat(self, account="tb_lily", handed_off=False):
        chat = await self.store.create_conversation(account)
        if handed_off:
            chat = await self.store.transition(chat.id, "handoff", reason="buyer_request", priority="normal",
                                               summary={})
        return chat


@pytest.fixture
async def desk(tmp_path):
    store = await DeskStore(f"sqlite:///{tmp_path / 'desk.db'}").open()
    yield Desk(store)
    await store.close()


def drained(queue):
    return [queue.get_nowait() for _ in range(queue.qsize())]


async def test_in_bot_mode_the_buyer_talks_to_rasa_with_the_channel_account(desk):
    chat = await desk.chat()
    await desk.service.buyer_message(chat, "这款有货吗", "c1")
    assert desk.rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_bot_chat_is_stored_line_then_answer_and_the_buyer_sees_both_in_that_order(kind, tmp_path):
    store = await DeskStore(fresh_desk_db(kind, tmp_path, "shopbot_desk_service_test")).open()
    desk = Desk(store)
    chat = await desk.chat()
    widget = desk.hub.subscribe(conversation_channel(chat.id))
    await desk.service.buyer_message(chat, "有赠品吗", "c1")
    assert [(e["message"]["sender"], e["message"]["text"]) for e in drained(widget)] == [
        ("buyer", "有赠品吗"), ("bot", "亲,收到:有赠品吗")]
    line, answer = await store.transcript(chat.id)
    assert (line.sender, line.client_id, answer.sender) == ("buyer", "c1", "bot") and line.id < answer.id
    await store.close()


async def test_the_bot_is_asked_only_once_the_buyers_line_is_stored(desk):
    chat = await desk.chat()
    stored_when_asked = []
    answer = desk.rasa.send

    async def send(conversation_id, text, account, line=None, again=False, page_sku=None):
        stored_when_asked.append(text in await desk.texts(conversation_id, "buyer"))
        return await answer(conversation_id, text, account, line)

    desk.rasa.send = send
    await desk.service.buyer_message(chat, "在吗", "c1")
    await desk.service.buyer_message(chat, "有赠品吗", "c2")
    assert stored_when_asked == [True, True]


async def test_a_bot_handoff_payload_queues_the_chat_with_reason_and_summary(desk):
    desk.rasa.replies = lambda text: [
        {"text": "亲,非常抱歉让您不开心了"},
        {"custom": {"handoff": {"reason": "complaint", "priority": "high", "summary": {"intents": ["complain"]}}}}]
    chat = await desk.chat()
    await desk.service.buyer_message(chat, "你们太差了", None)
    queued = await desk.store.conversation(chat.id)
    assert (queued.state, queued.reason, queued.priority) == (states.WAITING, "complaint", "high")
    assert queued.summary == {"intents": ["complain"]}
    assert desk.rasa.paused == []  # Rasa paused itself (ConversationPaused)
    assert any("人工" in t for t in await desk.texts(chat.id, "system"))
    assert not any("handoff" in str(m.payload) for m in await desk.store.transcript(chat.id))  # never shown


async def test_in_human_mode_the_bot_stays_silent_and_nothing_is_lost(desk):
    chat = await desk.chat(handed_off=True)
    await desk.service.claim(chat.id, "alice")
    await desk.service.buyer_message(await desk.store.conversation(chat.id), "你好 我等了好久", "c2")
    await desk.service.agent_message(chat.id, "alice", "亲,我来帮您处理")
    assert desk.rasa.sent == []
    assert await desk.texts(chat.id, "buyer") == ["你好 我等了好久"]
    assert await desk.texts(chat.id, "agent") == ["亲,我来帮您处理"]


async def test_a_chat_an_agent_took_on_another_desk_gets_no_bot_answer(desk):
    chat = await desk.chat()
    await desk.service.buyer_message(chat, "在吗", "c1")
    await desk.store.transition(chat.id, "handoff", reason="buyer_request", priority="normal", summary={})
    await desk.store.transition(chat.id, "claim", agent="alice")  # through another replica: this desk heard nothing
    await desk.service.buyer_message(chat, "我的快递到哪了", "c2")
    assert [text for _, text, _ in desk.rasa.sent] == ["在吗"]
    assert await desk.texts(chat.id, "buyer") == ["在吗", "我的快递到哪了"]


async def test_handing_back_resumes_rasa_and_the_bot_answers_the_next_message(desk):
    chat = await desk.chat(handed_off=True)
    await desk.service.claim(chat.id, "alice")
    await desk.service.hand_back(chat.id, "alice")
    assert desk.rasa.resumed == [chat.id]
    await desk.service.buyer_message(await desk.store.conversation(chat.id), "包邮吗", None)
    assert desk.rasa.sent[-1][1] == "包邮吗"
    assert (await desk.texts(chat.id, "bot"))[-1] == "亲,收到:包邮吗"


async def test_a_closed_chat_the_buyer_writes_to_again_is_the_bots_and_asked_once(desk):
    chat = await desk.chat()
    await desk.service.buyer_message(chat, "在吗", "c1")
    await desk.store.transition(chat.id, "close")  # by an agent on another replica
    await desk.service.buyer_message(chat, "还想问一下", "c2")
    assert [text for _, text, _ in desk.rasa.sent] == ["在吗", "还想问一下"]
    assert await desk.texts(chat.id, "bot") == ["亲,收到:在吗", "亲,收到:还想问一下"]
    assert (await desk.store.conversation(chat.id)).state == states.BOT


async def test_an_angry_buyer_is_handed_off_by_the_desk_itself(desk):
    chat = await desk.chat(None)
    await desk.service.buyer_message(chat, "再不处理我就给差评", None)
    queued = await desk.store.conversation(chat.id)
    assert (queued.state, queued.reason, queued.priority) == (states.WAITING, "anger", "high")
    assert desk.rasa.paused == [chat.id] and desk.rasa.sent == []


async def test_two_misunderstandings_in_a_row_reach_a_person(desk):
    desk.rasa.replies = lambda text: [{"text": REPHRASE}]
    chat = await desk.chat(None)
    await desk.service.buyer_message(chat, "asdf", None)
    assert (await desk.store.conversation(chat.id)).state == states.BOT
    await desk.service.buyer_message(await desk.store.conversation(chat.id), "qwer", None)
    assert (await desk.store.conversation(chat.id)).reason == "repeated_misunderstanding"


async def test_rasa_down_keeps_the_message_says_please_wait_and_queues_the_chat(desk):
    desk.rasa.down = True
    chat = await desk.chat()
    await desk.service.buyer_message(chat, "我的快递到哪了", "c3")
    assert await desk.texts(chat.id, "buyer") == ["我的快递到哪了"]
    assert any("稍等" in t for t in await desk.texts(chat.id, "system"))
    assert (await desk.store.conversation(chat.id)).reason == "bot_unavailable"


async def test_no_agent_online_tells_the_buyer_the_agents_hours(desk):
    desk.online["count"] = 0
    chat = await desk.chat(None)
    await desk.service.buyer_message(chat, "转人工", None)
    assert any("09:00-23:00" in t for t in await desk.texts(chat.id, "system"))
    assert (await desk.store.conversation(chat.id)).state == states.WAITING


async def test_a_resent_message_is_not_answered_twice(desk):
    chat = await desk.chat(None)
    heard = []
    await desk.service.buyer_message(chat, "在吗", "same", on_stored=lambda m: asyncio.sleep(0, heard.append(m)))
    await desk.service.buyer_message(chat, "在吗", "same", on_stored=lambda m: asyncio.sleep(0, heard.append(m)))
    assert len(desk.rasa.sent) == 1
    assert await desk.texts(chat.id, "buyer") == ["在吗"]
    assert [m.duplicate for m in heard] == [False, True] and heard[0].id == heard[1].id


def test_buyers_cannot_send_rasa_commands():
    assert clean_buyer_text('/request_human{"account":"tb_lily"}').startswith("／")
    assert clean_buyer_text(None) == ""
    assert len(clean_buyer_text("长" * 10000)) == 5000


async def test_agents_and_the_buyer_see_every_message_live(desk):
    chat = await desk.chat(None)
    buyer_feed = desk.hub.subscribe(conversation_channel(chat.id))
    agent_feed = desk.hub.subscribe(AGENTS)
    await desk.service.buyer_message(chat, "你好", None)
    assert [e["message"]["text"] for e in drained(buyer_feed) if e["type"] == "message"] == ["你好", "亲,收到:你好"]
    assert len([e for e in drained(agent_feed) if e["type"] == "message"]) == 2


async def test_the_widget_shows_typing_only_while_a_slow_bot_thinks(desk):
    chat = await desk.chat(None)
    feed = desk.hub.subscribe(conversation_channel(chat.id))

    def events():
        return [(e["type"], e.get("on")) for e in drained(feed)]

    await desk.service.buyer_message(chat, "你好", None)
    assert events() == [("message", None), ("message", None)]  # a quick answer: no flicker
    desk.rasa.thinking_seconds = 0.6
    await desk.service.buyer_message(chat, "在吗", None)
    assert events() == [("message", None), ("typing", True), ("message", None), ("typing", False)]


async def test_an_agent_draft_is_checked_against_the_tmall_rules(desk):
    chat = await desk.chat()
    assert [b.rule for b in await desk.service.check_agent_text(chat, "亲,信用卡要加2%手续费哦")] == ["card_fee"]
    assert await desk.service.check_agent_text(chat, "亲,有发票的哦,免费开具") == []


async def test_only_the_agent_handling_a_chat_can_close_it(desk):
    chat = await desk.chat(None, handed_off=True)
    await desk.service.claim(chat.id, "alice")
    with pytest.raises(states.TransitionError):
        await desk.service.close(chat.id, "bob")
    assert (await desk.service.close(chat.id, "alice")).state == states.CLOSED


async def test_one_buyers_slow_database_write_does_not_hold_up_another_buyers_answer(desk):
    slow_chat, quick_chat = await desk.chat(), await desk.chat("tb_mike")
    store_line = desk.store.add_buyer_line

    async def slow_for_one_chat(conversation_id, *args, **kwargs):
        if conversation_id == slow_chat.id:
            await asyncio.sleep(0.5)  # a commit stuck behind a busy disk
        return await store_line(conversation_id, *args, **kwargs)

    desk.store.add_buyer_line = slow_for_one_chat
    answered = {}

    async def say(chat, text):
        await desk.service.buyer_message(chat, text, None)
        answered[chat.id] = time.monotonic()

    began = time.monotonic()
    await asyncio.gather(say(slow_chat, "在吗"), say(quick_chat, "有货吗"))
    assert answered[quick_chat.id] - began < 0.25 <= 0.5 <= answered[slow_chat.id] - began
    assert await desk.texts(quick_chat.id) == ["有货吗", "亲,收到:有货吗"]
    assert await desk.texts(slow_chat.id) == ["在吗", "亲,收到:在吗"]


async def test_a_line_the_store_could_not_keep_gets_no_answer_and_the_widget_resends_it(desk):
    chat = await desk.chat()
    feed = desk.hub.subscribe(conversation_channel(chat.id))
    keep = desk.store.add_buyer_line

    async def down(*args, **kwargs):
        raise ConnectionError("PostgreSQL is gone")

    desk.store.add_buyer_line = down
    with pytest.raises(ConnectionError):
        await desk.service.buyer_message(chat, "在吗", "c1")
    assert drained(feed) == [] and desk.rasa.sent == []  # nothing delivered that the transcript lacks
    desk.store.add_buyer_line = keep
    await desk.service.buyer_message(chat, "在吗", "c1")
    assert await desk.texts(chat.id) == ["在吗", "亲,收到:在吗"]


async def test_the_desk_tells_which_step_of_an_answer_took_the_time(desk):
    desk.rasa.thinking_seconds = 0.2
    store_line = desk.store.add_buyer_line

    async def slow_line(*args, **kwargs):
        await asyncio.sleep(0.1)  # PostgreSQL slow to commit
        return await store_line(*args, **kwargs)

    desk.store.add_buyer_line = slow_line
    await desk.service.buyer_message(await desk.chat(), "有货吗", None)
    stages = desk.service.stage_times.summary()
    assert {name: figures["count"] for name, figures in stages.items()} == {
        "store_line": 1, "rasa": 1, "answer": 1, "whole": 1}
    assert 100 <= stages["store_line"]["p50_ms"] < 200
    assert 200 <= stages["rasa"]["p50_ms"] < 300
    assert stages["answer"]["p50_ms"] < 100
    assert stages["whole"]["p50_ms"] >= 300


async def test_a_chat_the_desk_hands_off_itself_adds_no_bot_timings(desk):
    await desk.service.buyer_message(await desk.chat(None), "再不处理我就给差评", None)
    assert all(figures["count"] == 0 and figures["p50_ms"] is None
               for figures in desk.service.stage_times.summary().values())


async def test_the_desk_names_itself_on_each_buyers_line_and_then_as_answering_it(desk):
    """Who holds a line is what lets a sweep tell a dead desk's lines from a live one's."""
    chat = await desk.chat()
    desk.rasa.thinking_seconds = 0.2
    under_way = asyncio.ensure_future(desk.service.buyer_message(chat, "这款有货吗", "c1"))
    await asyncio.sleep(0.1)
    while_asking = [m.desk for m in await desk.store.transcript(chat.id) if m.sender == "buyer"]
    await under_way
    answered = [m.desk for m in await desk.store.transcript(chat.id) if m.sender == "buyer"]
    assert while_asking == [desk.hub.replica]
    assert answered == [service_module.ANSWERING + desk.hub.replica]


# -- a desk that died mid-message ------------------------------------------------------------
class DeskKilled(Exception):
    """The desk process ending at that point (SIGKILL, out of memory)."""


async def line_of_desk(desk, chat, desk_name=None, text="这款有货吗"):
    """A buyer's line stored and acknowledged by `desk_name`, which then stopped before the bot answered."""
    return await desk.store.add_message(chat.id, "buyer", text, client_id=f"c-{desk_name}", desk=desk_name)


async def test_a_message_left_by_a_desk_that_died_is_answered_by_a_later_sweep_once(desk):
    chat = await desk.chat()
    message = await line_of_desk(desk, chat)
    later = message.created_at + service_module.ABANDONED_AFTER + 1

    assert await desk.service.recover_unanswered(now=later) == 1
    assert await desk.service.recover_unanswered(now=later + 15) == 0
    assert desk.rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


async def test_a_message_a_live_desk_may_still_be_answering_is_left_alone(desk):
    chat = await desk.chat()
    message = await line_of_desk(desk, chat)

    assert await desk.service.recover_unanswered(now=message.created_at + 10) == 0
    assert desk.rasa.sent == []
    # Left alone, not skipped: once no live desk can still be answering it, a later sweep does.
    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1) == 1
    assert desk.rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]


async def test_a_line_whose_desk_has_stopped_is_answered_well_before_the_minute(desk):
    chat = await desk.chat()
    message = await line_of_desk(desk, chat, "desk-killed-at-8001")  # not this desk, and not running

    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ORPHANED_AFTER / 2) == 0
    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ORPHANED_AFTER + 1) == 1
    assert desk.rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


async def test_a_line_whose_desk_is_still_running_waits_the_whole_minute(desk):
    """A running desk may be waiting out a slow Rasa or a PostgreSQL restart: answering it too would be twice."""
    chat = await desk.chat()
    message = await line_of_desk(desk, chat, desk.hub.replica)

    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ORPHANED_AFTER + 1) == 0
    assert desk.rasa.sent == []
    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1) == 1


async def test_more_abandoned_messages_than_one_sweep_takes_are_all_answered_by_the_next_ones(desk):
    chats = [await desk.chat() for _ in range(service_module.UNANSWERED_AT_ONCE + 5)]
    newest = max([(await line_of_desk(desk, chat)).created_at for chat in chats])
    later = newest + service_module.ABANDONED_AFTER + 1

    answered = [await desk.service.recover_unanswered(now=later + 15 * sweep) for sweep in range(3)]
    assert answered == [service_module.UNANSWERED_AT_ONCE, 5, 0]
    assert sorted(conversation for conversation, _, _ in desk.rasa.sent) == sorted(chat.id for chat in chats)


async def test_after_its_first_sweep_a_desk_reads_only_what_came_since_the_last(desk):
    """Not ten minutes of messages every 15 s: a sweep's cost must not grow with the traffic it rereads."""
    windows = []
    sweep = desk.store.unanswered

    async def noted(sent_between, **kwargs):
        windows.append(sent_between)
        return await sweep(sent_between, **kwargs)

    desk.store.unanswered = noted
    start = time.time()
    for round_ in range(4):
        await desk.service.recover_unanswered(now=start + service_module.RECOVER_EVERY * round_)

    assert windows[0][1] - windows[0][0] == pytest.approx(service_module.RECOVER_WITHIN - service_module.ORPHANED_AFTER)
    for (_, until_before), (since, until) in zip(windows, windows[1:]):
        assert since <= until_before  # nothing falls between two sweeps
        assert until - since <= (service_module.RECOVER_EVERY + service_module.SWEEP_OVERLAP
                                 + service_module.ABANDONED_AFTER - service_module.ORPHANED_AFTER)


async def test_a_chat_waiting_for_an_agent_is_not_answered_by_the_bot(desk):
    chat = await desk.chat(handed_off=True)
    message = await line_of_desk(desk, chat, text="人呢")
    assert await desk.service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1) == 0
    assert desk.rasa.sent == []


async def test_a_desk_that_died_after_rasa_answered_leaves_the_sweep_that_answer_not_a_second_one(desk):
    chat = await desk.chat()
    store_message = desk.store.add_message

    async def killed_before_storing_the_answer(conversation_id, sender, *args, **kwargs):
        if sender == "bot":
            raise DeskKilled()
        return await store_message(conversation_id, sender, *args, **kwargs)

    desk.store.add_message = killed_before_storing_the_answer
    with pytest.raises(DeskKilled):
        await desk.service.buyer_message(chat, "这款有货吗", "c1")
    desk.store.add_message = store_message
    desk.rasa.replies = lambda text: [{"text": "亲,第二次的回答"}]  # what asking the bot again would give
    line = (await desk.store.transcript(chat.id))[-1]
    sweeper = other_desk(desk, HubOfDesk("desk-b", gone={desk.hub.replica}))

    assert await sweeper.recover_unanswered(now=line.created_at + service_module.ORPHANED_AFTER + 1) == 1
    assert desk.rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]  # processed by Rasa once
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]  # the answer it gave then


async def test_two_desks_sweeping_together_answer_an_abandoned_message_once(desk):
    other_desk = DeskService(desk.store, desk.rasa, desk.hub, Triggers.from_settings({}), [REPHRASE],
                             agents_online=lambda: 1, agent_hours="")
    chat = await desk.chat()
    later = (await line_of_desk(desk, chat)).created_at + service_module.ABANDONED_AFTER + 1

    answered = await asyncio.gather(desk.service.recover_unanswered(now=later), other_desk.recover_unanswered(now=later))
    assert sorted(answered) == [0, 1]
    assert len(desk.rasa.sent) == 1


class HubOfDesk(LocalHub):
    """Another desk's hub, which sees the desks in `gone` stop (as RedisHub would)."""

    def __init__(self, replica, gone=()):
        super().__init__(replica=replica)
        self.gone, self.forgotten = set(gone), []

    async def desks_alive(self, replicas):
        return {replica for replica in replicas if replica not in self.gone}

    async def desks_gone(self):
        return set(self.gone)

    async def forget_desk(self, replica):
        self.forgotten.append(replica)
        self.gone.discard(replica)


def other_desk(desk, hub):
    return DeskService(desk.store, desk.rasa, hub, Triggers.from_settings({}), [REPHRASE],
                       agents_online=lambda: 1, agent_hours="")


async def test_the_lines_of_a_desk_seen_gone_are_answered_at_once_and_the_desk_forgotten(desk):
    chat, quiet_chat = await desk.chat(), await desk.chat()
    line = await line_of_desk(desk, chat, "desk-killed")
    await line_of_desk(desk, quiet_chat, "desk-running")
    hub = HubOfDesk("desk-b", gone={"desk-killed"})
    await asyncio.sleep(service_module.ORPHANED_AFTER + 0.1)

    assert await other_desk(desk, hub).recover_lines_of_gone_desks() == 1
    assert desk.rasa.sent == [(chat.id, line.text, "tb_lily")]  # the running desk's line is its own
    assert hub.forgotten == ["desk-killed"]
    assert await other_desk(desk, hub).recover_lines_of_gone_desks() == 0


async def test_a_stalled_desk_whose_line_a_sweep_took_does_not_answer_it_too(desk):
    """Its loop stalled past its heartbeat: the others saw it gone and answered; it must then stay silent."""
    chat = await desk.chat()
    desk.rasa.thinking_seconds = 0.3
    under_way = asyncio.ensure_future(desk.service.buyer_message(chat, "这款有货吗", "c1"))
    await asyncio.sleep(0.1)  # stored, and being asked of Rasa
    sweeper = other_desk(desk, HubOfDesk("desk-b", gone={desk.hub.replica}))
    line = (await desk.store.transcript(chat.id))[-1]

    answered = await sweeper.recover_unanswered(now=line.created_at + service_module.ORPHANED_AFTER + 1)
    await under_way
    assert answered == 1
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]
    assert len(desk.rasa.sent) == 1  # asked again, Rasa gave the answer it had given


async def test_a_sweep_overtaken_by_another_does_not_store_its_answer(desk):
    """A sweep stalled on a line past the minute; the next sweep took it over: one answer."""
    chat = await desk.chat()
    line = await line_of_desk(desk, chat)
    first, second = other_desk(desk, HubOfDesk("desk-a")), other_desk(desk, HubOfDesk("desk-b"))
    desk.rasa.thinking_seconds = 0.3
    later = line.created_at + service_module.ABANDONED_AFTER + 1

    stalled = asyncio.ensure_future(first.recover_unanswered(now=later))
    await asyncio.sleep(0.1)  # the first took it and is asking Rasa
    answered = sorted([await second.recover_unanswered(now=later + 60), await stalled])
    assert answered == [0, 1]
    assert await desk.texts(chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]
    assert len(desk.rasa.sent) == 1


async def test_a_line_whose_answer_is_being_stored_is_not_taken_from_a_live_desk(desk):
    chat = await desk.chat()
    line = await line_of_desk(desk, chat, "desk-a")
    assert await desk.store.take_over_line(line.id, "desk-a", service_module.ANSWERING + "desk-a")
    sweeper = other_desk(desk, HubOfDesk("desk-b"))
    assert await sweeper.recover_unanswered(now=line.created_at + service_module.ABANDONED_AFTER + 30) == 0
    gone = other_desk(desk, HubOfDesk("desk-c", gone={"desk-a"}))
    assert await gone.recover_unanswered(now=line.created_at + service_module.ABANDONED_AFTER + 30) == 1
