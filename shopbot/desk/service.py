"""What happens to each message: store it first, then route it by the chat's state.

Bot mode: the buyer's line is stored and shown, then asked of Rasa, and the
replies are stored and shown; a handoff payload, a desk trigger, or Rasa being
unreachable puts the chat in the queue. Waiting / agent mode: the bot is silent;
the line goes to the agents. Every message of both modes is stored before it is
delivered, so the transcript is whole whatever fails afterwards, and a line the
widget resends is found by its client id and never answered twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from shopbot.compliance import Breach, ReplyContext, check_reply
from shopbot.desk import states
from shopbot.desk.hub import AGENTS, conversation_channel
from shopbot.desk.photo_links import AGENTS_VIEWER, chat_viewer, with_photo_urls
from shopbot.desk.rasa_client import RasaClient, RasaUnavailable
from shopbot.desk.records import Conversation, Message
from shopbot.desk.stage_times import StageTimes
from shopbot.desk.store import UNANSWERED_AT_ONCE, DeskStore
from shopbot.desk.triggers import Triggers

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
NOTICE_WAITING = "亲,已经为您转接人工客服,请稍等一下哦~"
NOTICE_AGENT_JOINED = "人工客服已接入,{agent}为您服务"
NOTICE_AGENT_JOINED_UNNAMED = "人工客服已接入,马上为您服务哦"  # an agent without a nickname
NOTICE_BACK_TO_BOT = "人工客服已结束接待,接下来由小助手为您服务哦~"
NOTICE_CLOSED = "本次会话已结束,感谢您的咨询~有需要随时再来找我们哦"
NOTICE_BOT_DOWN = "亲,小助手暂时开小差了,已经为您转接人工客服,请稍等哦~"
NOTICE_OFFLINE = "亲,人工客服的上班时间是{hours},现在暂时不在线呢~您的消息已经记录,上班后会第一时间回复您哦。"
# The widget shows "typing" only when the bot takes longer than this to answer.
TYPING_AFTER = 0.3
# A desk answers or hands off within the Rasa timeout (20 s) plus its resends (7.5 s)
# and the store's waits for PostgreSQL (~11 s each); a buyer message left unanswered
# longer than this was abandoned by a desk that died.
ABANDONED_AFTER = 60.0
# A line whose desk is known to have died (no longer alive in the hub) is answered at once:
# asked again, Rasa waits for whatever the dead desk still had under way in that chat and
# gives its answer (see shopbot.rasa_ext.replay). Younger lines are not even read.
ORPHANED_AFTER = 1.0
RECOVER_WITHIN = 10 * 60.0  # older than this, a late bot answer would only confuse (and the sweep reads less)
RECOVER_EVERY = 15.0
# Each sweep reads again what the last few read: a sweep that failed, a desk's clock a little behind.
SWEEP_OVERLAP = 3 * RECOVER_EVERY
# A buyer line's `desk` says who answers it: the desk that took it (its replica name), a
# sweep that took it over (SWEPT_BY + replica), or, once the answer is being stored, ANSWERING
# + replica. Each step is one conditional update from the step before, so of a stalled desk
# and a sweep, or of two sweeps, exactly one stores an answer.
SWEPT_BY = "sweep:"
ANSWERING = "answering:"
PHOTO_TEXT = "[图片]"  # a photo's line in the transcript, for whatever shows text alone
NOTICE_BUSY = "亲,现在咨询的人比较多,人工客服正在一一回复,请您稍等一下哦,不会漏掉您的消息的呢~"


def clean_buyer_text(text: Any) -> str:
    """The buyer controls only text: bounded, and never a Rasa command.

    Rasa reads '/intent{...}' as a forced intent with entities; a buyer must
    not be able to steer the bot that way, so a leading slash becomes a
    full-width one (same look, no meaning to Rasa).
    """
    text = text if isinstance(text, str) else ""
    text = text.replace("\x00", "")[:MAX_TEXT].strip()
    if text.startswith("/"):
        text = "／" + text[1:]
    return text


def line_holder(desk: str) -> str:
    """The desk replica behind a line's `desk` value."""
    for prefix in (SWEPT_BY, ANSWERING):
        if desk.startswith(prefix):
            return desk[len(prefix):]
    return desk


# The bot's instructions to the desk, never shown to the buyer: hand the chat to a person,
# open an after-sales case, keep the tracking number of a parcel sent back, tell the buyer's cases.
INSTRUCTIONS = ("handoff", "case", "return_parcel", "case_progress")


def is_handoff(reply: Dict[str, Any]) -> bool:
    """The bot's handoff payload: an instruction to the desk, never shown to the buyer."""
    custom = reply.get("custom")
    return isinstance(custom, dict) and "handoff" in custom


def is_instruction(reply: Dict[str, Any]) -> bool:
    custom = reply.get("custom")
    return isinstance(custom, dict) and any(name in custom for name in INSTRUCTIONS)


class DeskService:
    """The desk's work on every message and every agent's step, whatever socket or request it came from."""

    def __init__(self, store: DeskStore, rasa: RasaClient, hub, triggers: Triggers,
                 fallback_texts: List[str], agents_online, agent_hours: str = "",
                 own_order_ids=lambda account: set(), secret: str = ""):
        self.store = store
        self.rasa = rasa
        self.hub = hub
        self.triggers = triggers
        self.fallback_texts = set(fallback_texts)
        self.agents_online = agents_online  # callable -> number of agents connected now
        self.agent_hours = agent_hours
        self.own_order_ids = own_order_ids  # callable: account -> its order ids (shop data)
        self.secret = secret  # signs the addresses of photos in messages
        self.aftersale = None  # AftersaleDesk, when the desk keeps cases
        self.reminders = None  # Reminders (催付): a buyer's 不用提醒 stops them
        self.stage_times = StageTimes()
        self._swept_until: Optional[float] = None  # what this desk's sweeps have read up to

    # -- publishing ------------------------------------------------------------------
    async def _deliver(self, message: Message, *after: Tuple[str, Dict[str, Any]]) -> None:
        """The message to its chat's sockets and to the consoles (then the events `after` it)."""
        chat = message.conversation_id
        await self.hub.publish_many([(conversation_channel(chat), {"type": "message", "message": with_photo_urls(
                                          message.for_buyer(), chat_viewer(chat), self.secret)}),
                                     (AGENTS, {"type": "message", "conversation_id": chat, "message": with_photo_urls(
                                         message.as_dict(), AGENTS_VIEWER, self.secret)}),
                                     *after])

    async def _announce(self, conversation: Conversation) -> None:
        event = {"type": "conversation", "conversation": conversation.as_dict()}
        state = {"type": "state", "state": conversation.state}
        await self.hub.publish_many([(conversation_channel(conversation.id), state), (AGENTS, event)])

    async def _system(self, conversation_id: str, text: str) -> Message:
        message = await self.store.add_message(conversation_id, "system", text)
        await self._deliver(message)
        return message

    async def bot_note(self, conversation_id: str, text: str, payload: Optional[Dict[str, Any]] = None) -> Message:
        """A line the desk says as the assistant (a case's news, a reminder), stored and shown."""
        message = await self.store.add_message(conversation_id, "bot", text, payload)
        await self._deliver(message)
        return message

    @staticmethod
    def _typing(conversation_id: str, on: bool) -> Tuple[str, Dict[str, Any]]:
        return conversation_channel(conversation_id), {"type": "typing", "on": on}

    # -- buyer ---------------------------------------------------------------------------
    async def buyer_message(self, conversation: Conversation, text: Any, client_id: Optional[str],
                            on_stored: Optional[Callable[[Message], Awaitable[None]]] = None,
                            page_sku: Optional[str] = None) -> Message:
        """Store, then route; `on_stored` hears of the stored message before anything else happens.
        `page_sku`: the product whose page the buyer is on (the bot's "这个"), as the widget says."""
        arrived = time.perf_counter()
        text = clean_buyer_text(text)
        message, state = await self.store.add_buyer_line(conversation.id, text, client_id, desk=self.hub.replica)
        if on_stored is not None:
            await on_stored(message)
        if message.duplicate:
            return message  # a resend after a dropped connection: already handled
        await self._deliver(message)
        if self.reminders is not None:
            await self.reminders.heard(conversation.account, text)
        if state != conversation.state:  # changed elsewhere since the socket opened: read it whole
            conversation = await self.store.conversation(conversation.id) or conversation
        conversation = await self._reopened_if_closed(conversation)
        if conversation.state != states.BOT:
            return message  # an agent has it (or will): the bot stays silent
        trigger = self.triggers.on_buyer_text(text)
        if trigger:
            if await self._may_answer(message, self.hub.replica):
                await self.hand_off(conversation, trigger.reason, trigger.priority,
                                    {"last_message": text, "account": conversation.account}, pause_rasa=True)
            return message
        asked = time.perf_counter()
        self.stage_times.record("store_line", asked - arrived)
        replies, typing_shown = await self._wait_for_bot(conversation.id, self._ask_bot(
            conversation.id, text, conversation.account, client_id, page_sku=page_sku))
        answered = time.perf_counter()
        await self._answer(conversation, message, self.hub.replica, replies, typing_shown)
        done = time.perf_counter()
        self.stage_times.record("answer", done - answered)
        self.stage_times.record("whole", done - arrived)
        return message

    async def _reopened_if_closed(self, conversation: Conversation) -> Conversation:
        """A closed chat the buyer writes in again is open again; the widget and consoles learn it."""
        if conversation.state != states.CLOSED:
            return conversation
        conversation = await self.store.transition(conversation.id, "reopen")
        await self._announce(conversation)
        return conversation

    async def recover_unanswered(self, now: Optional[float] = None) -> int:
        """Answer buyer messages whose desk died before the bot's answer was stored.

        A desk killed outright (SIGKILL, out of memory, the host gone) while it waited
        for Rasa leaves the buyer's message stored and acknowledged, so the widget
        never resends it, and nobody answers. Every desk runs this every
        RECOVER_EVERY seconds, and at once when the hub reports a desk gone
        (recover_lines_of_gone_desks). A line still the last word of a bot chat is
        answered if the desk that took it is no longer running, or after
        ABANDONED_AFTER (longer than any live desk takes) whoever took it; each by
        exactly one desk (see _answer). Returns how many it answered.
        """
        now = time.time() if now is None else now
        # The first sweep reads the last RECOVER_WITHIN; later ones only what came since the
        # last (with an overlap), so a sweep's cost does not grow with the traffic it rereads.
        since, until = now - RECOVER_WITHIN, now - ABANDONED_AFTER
        if self._swept_until is not None:
            since = max(since, self._swept_until - SWEEP_OVERLAP)
        found = await self.store.unanswered((since, now - ORPHANED_AFTER), limit=UNANSWERED_AT_ONCE)
        if len(found) < UNANSWERED_AT_ONCE:  # else the rest of this window is read again next time
            self._swept_until = until  # lines younger than `until` are read again until they are answered
        return await self._answer_abandoned(await self._abandoned(found, until))

    async def recover_lines_of_gone_desks(self) -> int:
        """Answer at once what desks the hub has just seen go left unanswered; then forget them."""
        gone = await self.hub.desks_gone()
        if not gone:
            return 0
        now = time.time()
        found = await self.store.unanswered((now - RECOVER_WITHIN, now - ORPHANED_AFTER), limit=UNANSWERED_AT_ONCE)
        answered = await self._answer_abandoned(
            [(message, chat) for message, chat in found if message.desk and line_holder(message.desk) in gone])
        if len(found) < UNANSWERED_AT_ONCE:  # all of their lines were seen: nothing more to wait for
            for desk in gone:
                await self.hub.forget_desk(desk)
        return answered

    async def _answer_abandoned(self, found: List[Tuple[Message, Conversation]]) -> int:
        answered = 0
        for message, conversation in found:
            held_as = SWEPT_BY + self.hub.replica
            if not await self.store.take_over_line(message.id, message.desk, held_as):
                continue  # another desk took it
            logger.warning("answering message %s of %s: its desk stopped before the bot answered",
                           message.id, conversation.id)
            # Asked again as such: Rasa gives what it already answered to the line, if the
            # dead desk got that far, rather than processing it twice.
            answer = self._ask_bot(conversation.id, message.text, conversation.account, message.client_id,
                                   again=True)
            replies, typing_shown = await self._wait_for_bot(conversation.id, answer)
            if await self._answer(conversation, message, held_as, replies, typing_shown):
                answered += 1
        return answered

    async def _abandoned(self, found: List[Tuple[Message, Conversation]], until: float
                         ) -> List[Tuple[Message, Conversation]]:
        """Of the unanswered lines, those no live desk is still answering.

        A line whose desk has stopped: at once. Any other sent before `until`: its
        desk is stuck (a line of no known desk, stored before desks were named,
        waits for `until` too), except one whose answer is being stored right now.
        With Redis away no desk is known to have stopped: only `until` counts.
        """
        holders = {line_holder(message.desk) for message, _ in found if message.desk}
        alive = await self.hub.desks_alive(holders) if holders else set()
        return [(message, conversation) for message, conversation in found
                if (message.desk and line_holder(message.desk) not in alive)
                or (message.created_at <= until and not (message.desk or "").startswith(ANSWERING))]

    def _ask_bot(self, conversation_id: str, text: str, account: Optional[str],
                 line: Optional[str] = None, again: bool = False,
                 page_sku: Optional[str] = None) -> "asyncio.Future":
        """Rasa's replies, or None when it cannot answer (already under way when returned)."""
        async def ask() -> Optional[List[Dict[str, Any]]]:
            asked = time.perf_counter()
            try:
                return await self.rasa.send(conversation_id, text, account, line, again=again, page_sku=page_sku)
            except RasaUnavailable as error:
                logger.warning("Rasa unavailable for %s: %s", conversation_id, error)
                return None
            finally:
                self.stage_times.record("rasa", time.perf_counter() - asked)
        return asyncio.ensure_future(ask())

    async def _wait_for_bot(self, conversation_id: str, answer: "asyncio.Future"
                            ) -> Tuple[Optional[List[Dict[str, Any]]], bool]:
        """The bot's replies, and whether the widget was shown "typing" meanwhile.

        Only a slow answer gets the indicator: one that comes within TYPING_AFTER
        would only make it flicker.
        """
        done, _ = await asyncio.wait({answer}, timeout=TYPING_AFTER)
        if done:
            return answer.result(), False
        await self.hub.publish_many([self._typing(conversation_id, True)])
        return await answer, True

    async def _may_answer(self, line: Message, held_as: str) -> bool:
        """Whether this desk, holding the line as `held_as`, is still the one to answer it.

        No, when a sweep took the line over while this desk was stalled (its loop, its
        database): the sweep answers it. Yes, and from now on no sweep takes it.
        """
        if await self.store.take_over_line(line.id, held_as, ANSWERING + self.hub.replica):
            return True
        logger.warning("message %s of %s is answered by another desk's sweep", line.id, line.conversation_id)
        return False

    async def _answer(self, conversation: Conversation, line: Message, held_as: str,
                      replies: Optional[List[Dict[str, Any]]], typing_shown: bool) -> bool:
        """Store and deliver the bot's replies to the buyer's `line`, or hand off; False if
        another desk answers it (see _may_answer)."""
        text = line.text
        typing_off = [self._typing(conversation.id, False)] if typing_shown else []
        if not await self._may_answer(line, held_as):
            await self.hub.publish_many(typing_off)
            return False
        if not replies:
            # Down, or the bot had nothing to say (its action server failed): a person takes over.
            await self.hub.publish_many(typing_off)
            await self._system(conversation.id, NOTICE_BOT_DOWN)
            await self.hand_off(conversation, "bot_unavailable", "high",
                                {"last_message": text, "account": conversation.account}, pause_rasa=True)
            return True
        handoffs = [r["custom"]["handoff"] for r in replies if is_handoff(r)]
        shown = [r for r in replies if not is_instruction(r)]
        # Before the bot's words reach the buyer: a photo sent the moment they read "请发照片"
        # then finds its case.
        if self.aftersale is not None:
            await self.aftersale.follow(conversation, replies)
        for position, reply in enumerate(shown, start=1):
            payload = {k: reply[k] for k in ("buttons", "image", "custom") if reply.get(k)}
            stored = await self.store.add_message(conversation.id, "bot", reply.get("text") or "", payload or None)
            await self._deliver(stored, *(typing_off if position == len(shown) else []))
        if not shown:
            await self.hub.publish_many(typing_off)
        if handoffs:
            handoff = handoffs[-1]
            await self.hand_off(conversation, handoff.get("reason", "bot"), handoff.get("priority", "normal"),
                                handoff.get("summary") or {}, pause_rasa=False)
            return True
        said_fallback = any((r.get("text") or "") in self.fallback_texts for r in replies)
        trigger = said_fallback and self.triggers.on_fallbacks(await self._fallbacks_in_a_row(conversation.id))
        if trigger:
            await self.hand_off(conversation, trigger.reason, trigger.priority,
                                {"last_message": text, "account": conversation.account}, pause_rasa=True)
        return True

    async def buyer_photo(self, conversation: Conversation, key: str, client_id: Optional[str]) -> Message:
        """A photo the buyer sent (already cleaned and kept under `key`): stored and shown like a
        line, then given to the chat's case. The bot does not read photos; the case does."""
        message = await self.store.add_message(conversation.id, "buyer", PHOTO_TEXT, {"photo": key},
                                               client_id=client_id)
        if message.duplicate:
            return message
        await self._deliver(message)
        conversation = await self._reopened_if_closed(await self.store.conversation(conversation.id) or conversation)
        if self.aftersale is not None:
            try:
                await self.aftersale.photo_added(conversation, key)
            except Exception:  # the photo is in the chat, for the agents, whatever the case's fate
                logger.exception("could not add photo %s to a case of %s", key, conversation.id)
        return message

    async def _fallbacks_in_a_row(self, conversation_id: str) -> int:
        """Bot replies that were fallbacks, counting back from now (after a reply that was one)."""
        count = 0
        window = 4 * max(self.triggers.fallbacks_in_a_row, 1)
        for message in reversed(await self.store.latest(conversation_id, window)):
            if message.sender == "buyer":
                continue
            if message.sender == "bot" and message.text in self.fallback_texts:
                count += 1
            else:
                break
        return count

    async def hand_off(self, conversation: Conversation, reason: str, priority: str,
                       summary: Dict[str, Any], pause_rasa: bool) -> Conversation:
        if pause_rasa:
            try:
                await self.rasa.pause(conversation.id)
            except RasaUnavailable:
                pass  # the desk keeps the bot silent in waiting/agent mode anyway
        try:
            conversation = await self.store.transition(conversation.id, "handoff", reason=reason,
                                                       priority=priority, summary=summary)
        except states.TransitionError:
            return await self.store.conversation(conversation.id)
        await self._announce(conversation)
        if self.agents_online() == 0:
            await self._system(conversation.id, NOTICE_OFFLINE.format(hours=self.agent_hours))
        elif len(await self.store.queue()) > self.agents_online():
            await self._system(conversation.id, NOTICE_BUSY)
        else:
            await self._system(conversation.id, NOTICE_WAITING)
        return conversation

    # -- agent -----------------------------------------------------------------------------
    async def claim(self, conversation_id: str, agent: str, nickname: Optional[str] = None) -> Conversation:
        """The agent takes the chat; the buyer is told the agent's nickname, never the login."""
        conversation = await self.store.transition(conversation_id, "claim", agent=agent)
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_AGENT_JOINED.format(agent=nickname) if nickname
                           else NOTICE_AGENT_JOINED_UNNAMED)
        return conversation

    async def check_agent_text(self, conversation: Conversation, text: str) -> List[Breach]:
        """The Tmall rules over an agent's draft, in this chat's context."""
        promised = any(m.sender in ("bot", "agent") and "包邮" in m.text and "不包邮" not in m.text
                       for m in await self.store.transcript(conversation.id))
        return check_reply(text, ReplyContext(
            account=conversation.account,
            own_order_ids=frozenset(await asyncio.get_running_loop().run_in_executor(
                None, self.own_order_ids, conversation.account)),
            free_shipping_promised=promised))

    async def agent_message(self, conversation_id: str, agent: str, text: str) -> Message:
        conversation = await self.store.conversation(conversation_id)
        if conversation is None or conversation.state != states.AGENT or conversation.agent != agent:
            raise states.TransitionError("claim the conversation before replying")
        message = await self.store.add_message(conversation_id, "agent", text.strip()[:MAX_TEXT], author=agent)
        await self._deliver(message)
        return message

    async def hand_back(self, conversation_id: str, agent: str) -> Conversation:
        conversation = await self.store.transition(conversation_id, "hand_back", expect_agent=agent)
        try:
            await self.rasa.resume(conversation_id)
        except RasaUnavailable:
            logger.warning("could not resume %s in Rasa", conversation_id)
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_BACK_TO_BOT)
        return conversation

    async def close(self, conversation_id: str, agent: str, any_holder: bool = False) -> Conversation:
        """The agent closes the chat they hold; with `any_holder` (the admin), any open chat.
        One conditional update decides, so a close cannot slip past a claim made meanwhile."""
        if any_holder:
            conversation = await self.store.transition(conversation_id, "close")
        else:
            conversation = await self.store.transition(conversation_id, "close", expect_agent=agent,
                                                       from_states={states.AGENT})
        try:
            await self.rasa.resume(conversation_id)  # a later message starts with the bot again
        except RasaUnavailable:
            pass
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_CLOSED)
        return conversation
