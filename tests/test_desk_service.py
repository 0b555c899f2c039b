"""Routing each message by the chat's state, with a stand-in for Rasa."""
import asyncio
import time

import pytest

from shopbot.desk import states
from shopbot.desk.hub import AGENTS, LocalHub, conversation_channel
from shopbot.desk.message_writes import AsyncpgWrites
from shopbot.desk.rasa_client import RasaUnavailable
from shopbot.desk import service as service_module
from shopbot.desk.service import DeskService, clean_buyer_text
from shopbot.desk.store import DeskStore
from shopbot.desk.triggers import Triggers
from tests.test_message_writes import fresh_pg_database

REPHRASE = "亲,不好意思,我没太明白您的意思呢~可以换个说法再告诉我一次吗?"


class StandInRasa:
    """Answers like Rasa's REST channel; records what the desk asked of it."""

    def __init__(self):
        self.sent, self.paused, self.resumed = [], [], []
        self.replies = lambda text: [{"recipient_id": "x", "text": f"亲,收到:{text}"}]
        self.down = False
        self.thinking_seconds = 0.0
        self.tracker = {}  # conversation -> [(the desk's name for the line, the replies)], as Rasa keeps them
        self.tracker_unreadable = False

    async def send(self, conversation_id, text, account, line=None):
        await asyncio.sleep(self.thinking_seconds)
        if self.down:
            raise RasaUnavailable("connection refused")
        self.sent.append((conversation_id, text, account))
        replies = self.replies(text)
        self.tracker.setdefault(conversation_id, []).append((line, replies))
        return replies

    async def kept_answer(self, conversation_id, line):
        if self.tracker_unreadable:
            raise RasaUnavailable("connection refused")
        kept = [replies for named, replies in self.tracker.get(conversation_id, []) if named == line]
        return kept[-1] if kept else None

    async def pause(self, conversation_id):
        self.paused.append(conversation_id)

    async def resume(self, conversation_id):
        self.resumed.append(conversation_id)


@pytest.fixture
def desk(tmp_path):
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}")
    rasa = StandInRasa()
    hub = LocalHub()
    online = {"count": 1}
    service = DeskService(store, rasa, hub, Triggers.from_settings({}), [REPHRASE],
                          agents_online=lambda: online["count"], agent_hours="每天 09:00-23:00")
    return store, rasa, hub, service, online


def run(coro):
    return asyncio.run(coro)


def texts(store, conversation_id, sender=None):
    return [m.text for m in store.transcript(conversation_id) if sender in (None, m.sender)]


def test_in_bot_mode_the_buyer_talks_to_rasa_with_the_channel_account(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "这款有货吗", "c1"))
    assert rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert texts(store, chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


def test_a_bot_handoff_payload_queues_the_chat_with_reason_and_summary(desk):
    store, rasa, _, service, _ = desk
    rasa.replies = lambda text: [
        {"text": "亲,非常抱歉让您不开心了"},
        {"custom": {"handoff": {"reason": "complaint", "priority": "high",
                                "summary": {"intents": ["complain"]}}}}]
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "你们太差了", None))
    queued = store.conversation(chat.id)
    assert (queued.state, queued.reason, queued.priority) == (states.WAITING, "complaint", "high")
    assert queued.summary == {"intents": ["complain"]}
    assert rasa.paused == []  # Rasa paused itself (ConversationPaused)
    assert any("人工" in t for t in texts(store, chat.id, "system"))


def test_in_human_mode_the_bot_stays_silent_and_nothing_is_lost(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    store.transition(chat.id, "handoff", reason="buyer_request", priority="normal", summary={})
    run(service.claim(chat.id, "alice"))
    run(service.buyer_message(store.conversation(chat.id), "你好 我等了好久", "c2"))
    run(service.agent_message(chat.id, "alice", "亲,我来帮您处理"))
    assert rasa.sent == []
    assert texts(store, chat.id, "buyer") == ["你好 我等了好久"]
    assert texts(store, chat.id, "agent") == ["亲,我来帮您处理"]


def test_handing_back_resumes_rasa_and_the_bot_answers_the_next_message(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    store.transition(chat.id, "handoff", reason="buyer_request", priority="normal", summary={})
    run(service.claim(chat.id, "alice"))
    run(service.hand_back(chat.id, "alice"))
    assert rasa.resumed == [chat.id]
    run(service.buyer_message(store.conversation(chat.id), "包邮吗", None))
    assert rasa.sent[-1][1] == "包邮吗"
    assert texts(store, chat.id, "bot")[-1] == "亲,收到:包邮吗"


def test_an_angry_buyer_is_handed_off_by_the_desk_itself(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation(None)
    run(service.buyer_message(chat, "再不处理我就给差评", None))
    queued = store.conversation(chat.id)
    assert (queued.state, queued.reason, queued.priority) == (states.WAITING, "anger", "high")
    assert rasa.paused == [chat.id] and rasa.sent == []


def test_two_misunderstandings_in_a_row_reach_a_person(desk):
    store, rasa, _, service, _ = desk
    rasa.replies = lambda text: [{"text": REPHRASE}]
    chat = store.create_conversation(None)
    run(service.buyer_message(chat, "asdf", None))
    assert store.conversation(chat.id).state == states.BOT
    run(service.buyer_message(store.conversation(chat.id), "qwer", None))
    assert store.conversation(chat.id).reason == "repeated_misunderstanding"


def test_rasa_down_keeps_the_message_says_please_wait_and_queues_the_chat(desk):
    store, rasa, _, service, _ = desk
    rasa.down = True
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "我的快递到哪了", "c3"))
    assert texts(store, chat.id, "buyer") == ["我的快递到哪了"]
    assert any("稍等" in t for t in texts(store, chat.id, "system"))
    assert store.conversation(chat.id).reason == "bot_unavailable"


def test_no_agent_online_tells_the_buyer_the_agents_hours(desk):
    store, rasa, _, service, online = desk
    online["count"] = 0
    chat = store.create_conversation(None)
    run(service.buyer_message(chat, "转人工", None))
    assert any("09:00-23:00" in t for t in texts(store, chat.id, "system"))
    assert store.conversation(chat.id).state == states.WAITING


def test_a_resent_message_is_not_answered_twice(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation(None)
    run(service.buyer_message(chat, "在吗", "same"))
    run(service.buyer_message(store.conversation(chat.id), "在吗", "same"))
    assert len(rasa.sent) == 1
    assert texts(store, chat.id, "buyer") == ["在吗"]


def test_buyers_cannot_send_rasa_commands():
    assert clean_buyer_text('/request_human{"account":"tb_lily"}').startswith("／")
    assert clean_buyer_text(None) == ""
    assert len(clean_buyer_text("长" * 10000)) == 5000


def test_agents_and_the_buyer_see_every_message_live(desk):
    store, rasa, hub, service, _ = desk
    chat = store.create_conversation(None)
    buyer_feed = hub.subscribe(conversation_channel(chat.id))
    agent_feed = hub.subscribe(AGENTS)
    run(service.buyer_message(chat, "你好", None))
    buyer_events = [buyer_feed.get_nowait() for _ in range(buyer_feed.qsize())]
    agent_events = [agent_feed.get_nowait() for _ in range(agent_feed.qsize())]
    assert [e["message"]["text"] for e in buyer_events if e["type"] == "message"] == ["你好", "亲,收到:你好"]
    assert len([e for e in agent_events if e["type"] == "message"]) == 2


def test_the_widget_shows_typing_only_while_a_slow_bot_thinks(desk):
    store, rasa, hub, service, _ = desk
    chat = store.create_conversation(None)
    feed = hub.subscribe(conversation_channel(chat.id))

    def events():
        return [(e["type"], e.get("on")) for e in [feed.get_nowait() for _ in range(feed.qsize())]]

    run(service.buyer_message(chat, "你好", None))
    assert events() == [("message", None), ("message", None)]  # a quick answer: no flicker
    rasa.thinking_seconds = 0.6
    run(service.buyer_message(chat, "在吗", None))
    assert events() == [("message", None), ("typing", True), ("message", None), ("typing", False)]


def test_a_bot_chats_line_reaches_the_sockets_with_its_answer_not_on_its_own(desk):
    """One frame per answer to the buyer's socket: the line waits for the answer, or for the typing dots."""
    store, rasa, hub, service, _ = desk
    chat = store.create_conversation(None)
    feed = hub.subscribe(conversation_channel(chat.id))
    rasa.thinking_seconds = 0.15  # quicker than the typing dots

    async def seen_while_the_bot_thinks(seconds):
        handling = asyncio.ensure_future(service.buyer_message(chat, "在吗", None, first_send=True))
        await asyncio.sleep(seconds)
        seen = [feed.get_nowait()["type"] for _ in range(feed.qsize())]
        await handling
        return seen, [(e["type"], e.get("on")) for e in [feed.get_nowait() for _ in range(feed.qsize())]]

    early, rest = run(seen_while_the_bot_thinks(0.1))
    assert early == [] and rest == [("message", None), ("message", None)]
    rasa.thinking_seconds = 0.8
    early, rest = run(seen_while_the_bot_thinks(0.5))
    assert early == ["message", "typing"]  # a slow bot: the line comes with the dots
    assert rest == [("message", None), ("typing", False)]


def test_an_agent_draft_is_checked_against_the_tmall_rules(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    assert [b.rule for b in run(service.check_agent_text(chat, "亲,信用卡要加2%手续费哦"))] == ["card_fee"]
    assert run(service.check_agent_text(chat, "亲,有发票的哦,免费开具")) == []


def test_only_the_agent_handling_a_chat_can_close_it(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation(None)
    store.transition(chat.id, "handoff", reason="buyer_request", priority="normal", summary={})
    run(service.claim(chat.id, "alice"))
    with pytest.raises(states.TransitionError):
        run(service.close(chat.id, "bob"))
    assert run(service.close(chat.id, "alice")).state == states.CLOSED


# -- a desk that died mid-message ------------------------------------------------------------
class DeskKilled(Exception):
    """The desk process ending at that point (SIGKILL, out of memory)."""


def abandoned(store, chat, text="这款有货吗"):
    """A buyer message stored and acknowledged by a desk that died before asking the bot."""
    message, _ = store.add_buyer_message(chat.id, text, "c-abandoned")
    return message


def test_a_message_left_by_a_desk_that_died_is_answered_by_a_later_sweep_once(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    message = abandoned(store, chat)
    later = message.created_at + service_module.ABANDONED_AFTER + 1

    assert run(service.recover_unanswered(now=later)) == 1
    assert run(service.recover_unanswered(now=later + 15)) == 0
    assert rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert texts(store, chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


def test_a_message_a_live_desk_may_still_be_answering_is_left_alone(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    message = abandoned(store, chat)

    assert run(service.recover_unanswered(now=message.created_at + 10)) == 0
    assert rasa.sent == []
    # Left alone, not skipped: once no live desk can still be answering it, a later sweep does.
    assert run(service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1)) == 1
    assert rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]


def line_of_desk(store, chat, desk_name, text="这款有货吗"):
    """A buyer's line stored and acknowledged by `desk_name`, which then stopped before the bot answered."""
    message, _ = store.add_buyer_message(chat.id, text, f"c-{desk_name}", desk_name)
    return message


def test_a_line_whose_desk_has_stopped_is_answered_well_before_the_minute(desk):
    store, rasa, hub, service, _ = desk
    chat = store.create_conversation("tb_lily")
    message = line_of_desk(store, chat, "desk-killed-at-8001")  # not this desk, and not running

    assert run(service.recover_unanswered(now=message.created_at + 10)) == 0  # Rasa may still be on it
    assert run(service.recover_unanswered(now=message.created_at + service_module.ORPHANED_AFTER + 1)) == 1
    assert rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]
    assert texts(store, chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


def test_a_line_whose_desk_is_still_running_waits_the_whole_minute(desk):
    """A running desk may be waiting out a slow Rasa or a PostgreSQL restart: answering it too would be twice."""
    store, rasa, hub, service, _ = desk
    chat = store.create_conversation("tb_lily")
    message = line_of_desk(store, chat, hub.replica)

    assert run(service.recover_unanswered(now=message.created_at + service_module.ORPHANED_AFTER + 1)) == 0
    assert rasa.sent == []
    assert run(service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1)) == 1


def test_the_desk_names_itself_on_each_buyers_line(desk):
    store, _, hub, service, _ = desk
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "这款有货吗", "c1", first_send=True))
    assert [m.desk for m in store.transcript(chat.id) if m.sender == "buyer"] == [hub.replica]


def test_more_abandoned_messages_than_one_sweep_takes_are_all_answered_by_the_next_ones(desk):
    store, rasa, _, service, _ = desk
    chats = [store.create_conversation("tb_lily") for _ in range(service_module.UNANSWERED_AT_ONCE + 5)]
    newest = max(abandoned(store, chat).created_at for chat in chats)
    later = newest + service_module.ABANDONED_AFTER + 1

    answered = [run(service.recover_unanswered(now=later + 15 * sweep)) for sweep in range(3)]
    assert answered == [service_module.UNANSWERED_AT_ONCE, 5, 0]
    assert sorted(conversation for conversation, _, _ in rasa.sent) == sorted(chat.id for chat in chats)


def test_after_its_first_sweep_a_desk_reads_only_what_came_since_the_last(desk):
    """Not ten minutes of messages every 15 s: that cost PostgreSQL in proportion to the traffic."""
    store, _, _, service, _ = desk
    windows = []
    sweep = store.unanswered
    store.unanswered = lambda sent_between, **kwargs: windows.append(sent_between) or sweep(sent_between, **kwargs)
    start = time.time()
    for round_ in range(4):
        run(service.recover_unanswered(now=start + service_module.RECOVER_EVERY * round_))

    assert windows[0][1] - windows[0][0] == pytest.approx(service_module.RECOVER_WITHIN - service_module.ORPHANED_AFTER)
    for (_, until_before), (since, until) in zip(windows, windows[1:]):
        assert since <= until_before  # nothing falls between two sweeps
        assert until - since <= (service_module.RECOVER_EVERY + service_module.SWEEP_OVERLAP
                                 + service_module.ABANDONED_AFTER - service_module.ORPHANED_AFTER)


def test_a_chat_waiting_for_an_agent_is_not_answered_by_the_bot(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    store.transition(chat.id, "handoff", reason="complaint", priority="high", summary={})
    message = abandoned(store, chat, "人呢")

    assert run(service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1)) == 0
    assert rasa.sent == []


def test_a_desk_that_died_after_rasa_answered_leaves_the_sweep_that_answer_not_a_second_one(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    store_message = store.add_message

    def killed_before_storing_the_answer(conversation_id, sender, *args, **kwargs):
        if sender == "bot":
            raise DeskKilled()
        return store_message(conversation_id, sender, *args, **kwargs)

    store.add_message = killed_before_storing_the_answer
    with pytest.raises(DeskKilled):
        run(service.buyer_message(chat, "这款有货吗", "c1", first_send=True))
    store.add_message = store_message
    rasa.replies = lambda text: [{"text": "亲,第二次的回答"}]  # what asking the bot again would give
    line = store.transcript(chat.id)[-1]

    assert run(service.recover_unanswered(now=line.created_at + service_module.ABANDONED_AFTER + 1)) == 1
    assert rasa.sent == [(chat.id, "这款有货吗", "tb_lily")]  # processed by Rasa once
    assert texts(store, chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]  # the answer it gave then


def test_when_rasas_tracker_cannot_be_read_the_sweep_asks_the_bot_again(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    message = abandoned(store, chat)
    run(rasa.send(chat.id, message.text, "tb_lily", message.client_id))
    rasa.tracker_unreadable = True

    assert run(service.recover_unanswered(now=message.created_at + service_module.ABANDONED_AFTER + 1)) == 1
    assert len(rasa.sent) == 2
    assert texts(store, chat.id) == ["这款有货吗", "亲,收到:这款有货吗"]


def test_on_postgresql_the_sweep_stores_the_answer_under_the_id_its_line_kept():
    """The dead desk may have shown the answer with that id: the buyer's widget then has it once."""
    url = fresh_pg_database("shopbot_desk_service_sweep_kept_id")
    store, writes, hub, rasa = DeskStore(url), AsyncpgWrites(url), LocalHub(), StandInRasa()
    service = DeskService(store, rasa, hub, Triggers.from_settings({}), [REPHRASE],
                          agents_online=lambda: 1, writes=writes)

    async def scenario():
        await writes.start()
        chat = store.create_conversation("tb_lily")
        line, _ = await writes.add_buyer_message(chat.id, "这款有货吗", "c1")
        await rasa.send(chat.id, line.text, "tb_lily", "c1")  # then the desk died, the answer shown, not stored
        widget = hub.subscribe(conversation_channel(chat.id))
        answered = await service.recover_unanswered(now=line.created_at + service_module.ABANDONED_AFTER + 1)
        await writes.close()
        delivered = [widget.get_nowait() for _ in range(widget.qsize())]
        return chat, line, answered, [e["message"]["id"] for e in delivered if e["type"] == "message"]

    chat, line, answered, delivered_ids = run(scenario())
    assert answered == 1 and len(rasa.sent) == 1
    assert [(m.id, m.sender) for m in store.transcript(chat.id)] == [(line.id, "buyer"), (line.reply_id, "bot")]
    assert delivered_ids == [line.reply_id]
    store.engine.dispose()


def test_two_desks_sweeping_together_answer_an_abandoned_message_once(desk):
    store, rasa, hub, service, _ = desk
    other_desk = DeskService(store, rasa, hub, Triggers.from_settings({}), [REPHRASE],
                             agents_online=lambda: 1, agent_hours="")
    chat = store.create_conversation("tb_lily")
    later = abandoned(store, chat).created_at + service_module.ABANDONED_AFTER + 1

    async def both():
        return await asyncio.gather(service.recover_unanswered(now=later), other_desk.recover_unanswered(now=later))

    assert sorted(run(both())) == [0, 1]
    assert len(rasa.sent) == 1


def test_one_buyers_slow_write_does_not_hold_up_another_buyers_answer(desk):
    store, _, _, service, _ = desk
    slow_chat, quick_chat = store.create_conversation("tb_lily"), store.create_conversation("tb_mike")
    store_buyer_message = store.add_buyer_message

    def slow_for_one_chat(conversation_id, text, client_id, desk=None):
        if conversation_id == slow_chat.id:
            time.sleep(0.5)  # a commit stuck behind a busy disk
        return store_buyer_message(conversation_id, text, client_id, desk)

    store.add_buyer_message = slow_for_one_chat

    async def scenario():
        answered = {}

        async def say(chat, text):
            await service.buyer_message(chat, text, None)
            answered[chat.id] = time.monotonic()

        began = time.monotonic()
        await asyncio.gather(say(slow_chat, "在吗"), say(quick_chat, "有货吗"))
        return answered[quick_chat.id] - began, answered[slow_chat.id] - began

    quick, slow = run(scenario())
    assert quick < 0.25 and slow >= 0.5
    assert texts(store, quick_chat.id) == ["有货吗", "亲,收到:有货吗"]
    assert texts(store, slow_chat.id) == ["在吗", "亲,收到:在吗"]


def test_the_desk_tells_which_step_of_an_answer_took_the_time(desk):
    store, rasa, _, service, _ = desk
    rasa.thinking_seconds = 0.2
    _slow_line_writes(store, 0.1)
    run(service.buyer_message(store.create_conversation("tb_lily"), "有货吗", None))
    stages = service.stage_times.summary()
    assert {name: figures["count"] for name, figures in stages.items()} == {
        "store_line": 1, "rasa": 1, "shown": 1, "answer": 1, "whole": 1}
    assert 100 <= stages["store_line"]["p50_ms"] < 200
    assert 200 <= stages["rasa"]["p50_ms"] < 300
    assert stages["answer"]["p50_ms"] < 100
    assert stages["whole"]["p50_ms"] >= 300


def test_a_chat_the_desk_hands_off_itself_adds_no_bot_timings(desk):
    store, _, _, service, _ = desk
    run(service.buyer_message(store.create_conversation(None), "再不处理我就给差评", None))
    assert all(figures["count"] == 0 and figures["p50_ms"] is None
               for figures in service.stage_times.summary().values())


def _asked_before_stored(store, rasa):
    """Rasa stand-in that notes, for each question, whether the buyer's line was stored when asked."""
    seen = []
    answer = rasa.send

    async def send(conversation_id, text, account, line=None):
        seen.append([m.text for m in store.transcript(conversation_id) if m.sender == "buyer"].count(text) == 0)
        return await answer(conversation_id, text, account, line)

    rasa.send = send
    return seen


def _slow_line_writes(store, seconds):
    store_buyer_message = store.add_buyer_message

    def slow(conversation_id, text, client_id, desk=None):
        time.sleep(seconds)  # PostgreSQL slow to commit
        return store_buyer_message(conversation_id, text, client_id, desk)

    store.add_buyer_message = slow


def test_a_first_send_is_asked_of_the_bot_while_stored_and_answered_after_it(desk):
    store, rasa, hub, service, _ = desk
    asked_early = _asked_before_stored(store, rasa)
    _slow_line_writes(store, 0.2)
    rasa.thinking_seconds = 0.2
    chat = store.create_conversation("tb_lily")

    async def scenario():
        widget = hub.subscribe(conversation_channel(chat.id))
        began = time.monotonic()
        await service.buyer_message(chat, "这款有货吗", "c1", first_send=True)
        took = time.monotonic() - began
        return took, [widget.get_nowait()["message"]["sender"] for _ in range(widget.qsize())]

    took, delivered = run(scenario())
    assert asked_early == [True]
    assert took < 0.35  # the store's 0.2 s and Rasa's 0.2 s overlapped
    assert delivered == ["buyer", "bot"]  # the line first, then the answer
    assert [(m.sender, m.text) for m in store.transcript(chat.id)] == [
        ("buyer", "这款有货吗"), ("bot", "亲,收到:这款有货吗")]


def test_a_resend_or_a_line_not_marked_first_is_stored_before_the_bot_is_asked(desk):
    store, rasa, _, service, _ = desk
    asked_early = _asked_before_stored(store, rasa)
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "在吗", "c1"))
    run(service.buyer_message(chat, "有赠品吗", "c2", first_send=False))
    run(service.buyer_message(chat, "有赠品吗", "c2", first_send=False))  # the widget resends, unconfirmed
    assert asked_early == [False, False]
    assert texts(store, chat.id, "bot") == ["亲,收到:在吗", "亲,收到:有赠品吗"]


def test_a_chat_an_agent_took_on_another_desk_gets_no_bot_answer_asked_early(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "在吗", "c1", first_send=True))
    store.transition(chat.id, "handoff", reason="buyer_request", priority="normal", summary={})
    store.transition(chat.id, "claim", agent="alice")  # through another replica: this desk heard nothing

    run(service.buyer_message(chat, "我的快递到哪了", "c2", first_send=True))
    assert texts(store, chat.id, "bot") == ["亲,收到:在吗"]  # asked of a paused Rasa, the answer dropped
    assert texts(store, chat.id, "buyer") == ["在吗", "我的快递到哪了"]
    run(service.buyer_message(chat, "人呢", "c3", first_send=True))
    assert [text for _, text, _ in rasa.sent] == ["在吗", "我的快递到哪了"]  # the desk learnt the chat is the agent's


def test_a_closed_chat_reopened_by_a_first_send_is_asked_of_the_bot_once(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")
    run(service.buyer_message(chat, "在吗", "c1", first_send=True))
    store.transition(chat.id, "close")  # by an agent on another replica
    run(service.buyer_message(chat, "还想问一下", "c2", first_send=True))
    assert [text for _, text, _ in rasa.sent] == ["在吗", "还想问一下"]
    assert texts(store, chat.id, "bot") == ["亲,收到:在吗", "亲,收到:还想问一下"]
    assert store.conversation(chat.id).state == states.BOT


def test_a_line_the_store_could_not_keep_gets_no_answer_and_the_widget_resends_it(desk):
    store, rasa, _, service, _ = desk
    chat = store.create_conversation("tb_lily")

    def down(conversation_id, text, client_id, desk=None):
        raise ConnectionError("PostgreSQL is gone")

    keep = store.add_buyer_message
    store.add_buyer_message = down
    with pytest.raises(ConnectionError):
        run(service.buyer_message(chat, "在吗", "c1", first_send=True))
    assert texts(store, chat.id) == []  # nothing delivered that the transcript does not have
    store.add_buyer_message = keep
    run(service.buyer_message(chat, "在吗", "c1", first_send=False))
    assert texts(store, chat.id) == ["在吗", "亲,收到:在吗"]


def test_on_postgresql_the_buyer_sees_the_answer_while_it_is_stored_and_a_console_opened_meanwhile_gets_it_once():
    url = fresh_pg_database("shopbot_desk_service_shown_while_stored")
    store, writes, hub = DeskStore(url), AsyncpgWrites(url), LocalHub()
    service = DeskService(store, StandInRasa(), hub, Triggers.from_settings({}), [REPHRASE],
                          agents_online=lambda: 1, writes=writes)
    store_shown = writes.add_shown

    async def slow_store(message):
        await asyncio.sleep(0.3)  # PostgreSQL slow to commit the answer
        return await store_shown(message)

    writes.add_shown = slow_store

    async def bot_messages(queue):
        return [e["message"] for e in [queue.get_nowait() for _ in range(queue.qsize())]
                if e["type"] == "message" and e["message"]["sender"] == "bot"]

    async def scenario():
        await writes.start()
        chat = store.create_conversation("tb_lily")
        widget = hub.subscribe(conversation_channel(chat.id))
        began = time.monotonic()
        handling = asyncio.ensure_future(service.buyer_message(chat, "这款有货吗", "c1", first_send=True))
        seen = []
        while not any(e["type"] == "message" and e["message"]["sender"] == "bot" for e in seen):
            seen.append(await asyncio.wait_for(widget.get(), 2))
        shown_after = time.monotonic() - began
        stored_when_shown = [m.sender for m in await asyncio.to_thread(store.transcript, chat.id)]
        console = hub.subscribe(conversation_channel(chat.id))  # opened while the answer is being stored
        await handling
        await writes.close()
        return chat, seen[-1]["message"], shown_after, stored_when_shown, await bot_messages(widget), \
            await bot_messages(console)

    chat, shown, shown_after, stored_when_shown, widget_later, console_got = run(scenario())
    assert shown["text"] == "亲,收到:这款有货吗" and shown_after < 0.25  # not after the 0.3 s store
    assert stored_when_shown == ["buyer"]
    assert widget_later == []  # the buyer's socket is not sent it twice
    assert console_got == [shown]  # the console that opened meanwhile gets it once it is stored
    line, answer = store.transcript(chat.id)
    assert (line.sender, line.text) == ("buyer", "这款有货吗") and answer.as_dict() == shown  # stored as shown
    store.engine.dispose()
