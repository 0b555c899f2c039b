"""What happens to each message: store it first, then route it by the chat's state.

Bot mode: the buyer's message goes to Rasa (a line the widget sends for the first
time is asked while it is being stored) and the replies come back; a handoff
payload, a desk trigger, or Rasa being unreachable puts the chat in the queue.
Waiting / agent mode: the bot is silent; the message goes to the agents.
Every message of both modes is stored before it is delivered, so the
transcript is whole whatever fails afterwards; one exception, on PostgreSQL:
the bot's first reply to a line reaches that buyer's sockets on this desk while
it is being stored (under an id the line's insert kept for it), and everyone
else once it is stored. A bot chat's line is held back until its answer (or
the typing indicator, if the answer is slow) and delivered with it: the buyer's
socket gets both in one frame, not two (see frames).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from shopbot.compliance import Breach, ReplyContext, check_reply
from shopbot.desk import states
from shopbot.desk.hub import AGENTS, conversation_channel
from shopbot.desk.message_writes import ThreadedWrites
from shopbot.desk.off_loop import in_thread
from shopbot.desk.rasa_client import RasaClient, RasaUnavailable
from shopbot.desk.stage_times import StageTimes
from shopbot.desk.store import UNANSWERED_AT_ONCE, Conversation, DeskStore, Message
from shopbot.desk.triggers import Triggers

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
NOTICE_WAITING = "亲,已经为您转接人工客服,请稍等一下哦~"
NOTICE_AGENT_JOINED = "人工客服已接入,{agent}为您服务"
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
# A line whose desk is known to have died (no longer alive in the hub) is answered sooner:
# once Rasa can no longer be working on it for the dead desk (the desk's Rasa timeout, 20 s).
ORPHANED_AFTER = 25.0
RECOVER_WITHIN = 10 * 60.0  # older than this, a late bot answer would only confuse (and the sweep reads less)
RECOVER_EVERY = 15.0
# Each sweep reads again what the last few read: a sweep that failed, a desk's clock a little behind.
SWEEP_OVERLAP = 3 * RECOVER_EVERY
LAST_STATES_KEPT = 10_000  # chats whose state a desk remembers (one short entry each)
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


def _drop(answer: Optional["asyncio.Future"]) -> None:
    """An answer asked early and not wanted: let it finish unread (cancelling would not unask Rasa)."""
    if answer is not None:
        answer.add_done_callback(lambda done: done.cancelled() or done.exception())


def is_handoff(reply: Dict[str, Any]) -> bool:
    """The bot's handoff payload: an instruction to the desk, never shown to the buyer."""
    custom = reply.get("custom")
    return isinstance(custom, dict) and "handoff" in custom


class DeskService:
    def __init__(self, store: DeskStore, rasa: RasaClient, hub, triggers: Triggers,
                 fallback_texts: List[str], agents_online, agent_hours: str = "",
                 own_order_ids=lambda account: set(), writes=None):
        self.store = store
        # Messages are written through `writes` (asyncpg on PostgreSQL: see message_writes), read from the store.
        self.writes = writes or ThreadedWrites(store)
        self.rasa = rasa
        self.hub = hub
        self.triggers = triggers
        self.fallback_texts = set(fallback_texts)
        self.agents_online = agents_online  # callable -> number of agents connected now
        self.agent_hours = agent_hours
        self.own_order_ids = own_order_ids  # callable: account -> its order ids (shop data)
        self.stage_times = StageTimes()
        self._last_state: "OrderedDict[str, str]" = OrderedDict()
        self._swept_until: Optional[float] = None  # what this desk's sweeps have read up to

    # -- publishing ------------------------------------------------------------------
    @staticmethod
    def _message_events(message: Message) -> List[Tuple[str, Dict[str, Any]]]:
        event = {"type": "message", "message": message.as_dict()}
        return [(conversation_channel(message.conversation_id), event),
                (AGENTS, dict(event, conversation_id=message.conversation_id))]

    async def _deliver(self, message: Message, *after: Tuple[str, Dict[str, Any]],
                       held: Sequence[Tuple[str, Dict[str, Any]]] = ()) -> None:
        """The message to everyone, after the events `held` back for it and before those `after` it."""
        await self.hub.publish_many(list(held) + self._message_events(message) + list(after))

    def _remember_state(self, conversation_id: str, state: str) -> None:
        """The chat's state as this desk last saw it: whether the next line's answer is asked early."""
        self._last_state[conversation_id] = state
        self._last_state.move_to_end(conversation_id)
        while len(self._last_state) > LAST_STATES_KEPT:
            self._last_state.popitem(last=False)

    async def _announce(self, conversation: Conversation) -> None:
        self._remember_state(conversation.id, conversation.state)
        event = {"type": "conversation", "conversation": conversation.as_dict()}
        state = {"type": "state", "state": conversation.state}
        await self.hub.publish_many([(conversation_channel(conversation.id), state), (AGENTS, event)])

    async def _system(self, conversation_id: str, text: str) -> Message:
        message = await self.writes.add_message(conversation_id, "system", text)
        await self._deliver(message)
        return message

    @staticmethod
    def _typing(conversation_id: str, on: bool) -> Tuple[str, Dict[str, Any]]:
        return conversation_channel(conversation_id), {"type": "typing", "on": on}

    # -- buyer ---------------------------------------------------------------------------
    async def buyer_message(self, conversation: Conversation, text: Any, client_id: Optional[str],
                            on_stored: Optional[Callable[[Message], Awaitable[None]]] = None,
                            first_send: bool = False) -> Message:
        """Store, then route; `on_stored` hears of the stored message before anything else happens.

        `first_send`: the widget says it never sent this line before. Anything else
        (a resend after a socket closed unconfirmed, a client that does not say) may
        be stored and answered already.
        """
        arrived = time.perf_counter()
        text = clean_buyer_text(text)
        trigger = self.triggers.on_buyer_text(text)
        early = None
        if first_send and not trigger and self._last_state.get(conversation.id, conversation.state) == states.BOT:
            # Rasa's answer is the long wait, so it is asked while the line is being stored
            # (the store's round trip off the buyer's wait). Its answer is delivered only as
            # before: after the line is stored, and only if the stored line finds the chat
            # the bot's. A resend is stored first, so a line already answered never reaches
            # Rasa twice; a chat that changed hands since its last line, elsewhere, costs
            # one question to a paused Rasa, whose answer is dropped.
            early = self._ask_bot(conversation.id, text, conversation.account, client_id)
        try:
            message, state = await self.writes.add_buyer_message(conversation.id, text, client_id,
                                                                 desk=self.hub.replica)
        except BaseException:
            _drop(early)  # not stored: the widget resends it, as a resend, and it is asked then
            raise
        stored = time.perf_counter()
        if state is not None:
            self._remember_state(conversation.id, state)
        if on_stored is not None:
            await on_stored(message)
        if message.duplicate:
            _drop(early)
            return message  # a resend after a dropped connection: already handled
        if state == states.BOT and not trigger:
            # The line is delivered with the answer, the typing dots or the handoff, in their
            # frame to each socket and their round trip to Redis, rather than in its own:
            # the widget and the consoles see a bot chat's line up to TYPING_AFTER later.
            # (The widget has shown the line since it was typed; the stored echo only
            # stops it resending.)
            self.stage_times.record("store_line", stored - arrived)
            answer = early or self._ask_bot(conversation.id, text, conversation.account, client_id)
            held = self._message_events(message)
        else:
            held = []
            await self._deliver(message)
            conversation = await in_thread(self.store.conversation, conversation.id) or conversation  # all of it
            if conversation.state == states.CLOSED:
                conversation = await in_thread(self.store.transition, conversation.id, "reopen")
                await self._announce(conversation)  # the widget and consoles learn it is open again
            if conversation.state != states.BOT:
                _drop(early)
                return message  # an agent has it (or will): the bot stays silent
            if trigger:
                await self.hand_off(conversation, trigger.reason, trigger.priority,
                                    {"last_message": text, "account": conversation.account}, pause_rasa=True)
                return message
            # Reopened: asked once.
            answer = early or self._ask_bot(conversation.id, text, conversation.account, client_id)
        replies, typing_shown, held = await self._wait_for_bot(conversation.id, answer, held)
        answered = time.perf_counter()
        shown = await self._answer(conversation, text, replies, typing_shown, held, reply_id=message.reply_id)
        done = time.perf_counter()
        if shown is not None:
            self.stage_times.record("shown", shown - answered)
        self.stage_times.record("answer", done - answered)
        self.stage_times.record("whole", done - arrived)
        return message

    async def recover_unanswered(self, now: Optional[float] = None) -> int:
        """Answer buyer messages whose desk died before the bot's answer was stored.

        A desk killed outright (SIGKILL, out of memory, the host gone) while it waited
        for Rasa leaves the buyer's message stored and acknowledged, so the widget
        never resends it, and nobody answers. Every desk runs this every
        RECOVER_EVERY seconds: a message still the last word of a bot chat after
        ABANDONED_AFTER (longer than any live desk takes to answer or hand off), or
        after ORPHANED_AFTER if the desk that took it is no longer running, is
        answered by exactly one desk: with what Rasa already answered to it, if the
        dead desk got that far (see _kept_answer), else by asking the bot again.
        Returns how many it answered.
        """
        now = time.time() if now is None else now
        # The first sweep reads the last RECOVER_WITHIN; later ones only what came since the
        # last (with an overlap). Reading ten minutes of messages every sweep cost PostgreSQL
        # in proportion to the traffic of those ten minutes, every RECOVER_EVERY, per desk.
        since, until = now - RECOVER_WITHIN, now - ABANDONED_AFTER
        if self._swept_until is not None:
            since = max(since, self._swept_until - SWEEP_OVERLAP)
        found = await in_thread(self.store.unanswered, (since, now - ORPHANED_AFTER), limit=UNANSWERED_AT_ONCE)
        if len(found) < UNANSWERED_AT_ONCE:  # else the rest of this window is read again next time
            self._swept_until = until  # lines younger than `until` are read again until they are answered
        found = await self._abandoned(found, until)
        answered = 0
        for message, conversation in found:
            if not await self.hub.claim_once(f"recover:{message.id}", RECOVER_WITHIN):
                continue  # another desk took it
            logger.warning("answering message %s of %s: its desk stopped before the bot answered",
                           message.id, conversation.id)
            replies, typing_shown = await self._kept_answer(message), False
            if replies is None:
                answer = self._ask_bot(conversation.id, message.text, conversation.account, message.client_id)
                replies, typing_shown, _ = await self._wait_for_bot(conversation.id, answer)
            await self._answer(conversation, message.text, replies, typing_shown, reply_id=message.reply_id)
            answered += 1
        return answered

    async def _abandoned(self, found: List[Tuple[Message, Conversation]], until: float
                         ) -> List[Tuple[Message, Conversation]]:
        """Of the unanswered lines, those no live desk can still be answering.

        Sent before `until`: none can. Younger: only those whose desk has stopped
        (a line of no known desk, stored before desks were named, waits for `until`).
        """
        young_desks = {message.desk for message, _ in found if message.created_at > until and message.desk}
        alive = await self.hub.desks_alive(young_desks) if young_desks else set()
        return [(message, conversation) for message, conversation in found
                if message.created_at <= until or (message.desk and message.desk not in alive)]

    async def _kept_answer(self, message: Message) -> Optional[List[Dict[str, Any]]]:
        """What Rasa already answered to this line, if a desk died before storing it; else None.

        Then the line is not processed twice, and the answer is stored under the id
        its line kept for it (PostgreSQL): a buyer whose widget showed it before the
        desk died sees it once. A line that cannot be found again (no client id, or
        Rasa's tracker unreadable) is asked again, as before.
        """
        if not message.client_id:
            return None
        try:
            return await self.rasa.kept_answer(message.conversation_id, message.client_id)
        except RasaUnavailable as error:
            logger.warning("could not read Rasa's tracker of %s: %s", message.conversation_id, error)
            return None

    def _ask_bot(self, conversation_id: str, text: str, account: Optional[str],
                 line: Optional[str] = None) -> "asyncio.Future":
        """Rasa's replies, or None when it cannot answer (already under way when returned)."""
        async def ask() -> Optional[List[Dict[str, Any]]]:
            asked = time.perf_counter()
            try:
                return await self.rasa.send(conversation_id, text, account, line)
            except RasaUnavailable as error:
                logger.warning("Rasa unavailable for %s: %s", conversation_id, error)
                return None
            finally:
                self.stage_times.record("rasa", time.perf_counter() - asked)
        return asyncio.ensure_future(ask())

    async def _wait_for_bot(self, conversation_id: str, answer: "asyncio.Future",
                            held: Sequence[Tuple[str, Dict[str, Any]]] = ()):
        """The bot's replies, whether the widget was shown "typing" meanwhile, and what is still held.

        Only a slow answer gets the indicator: one that comes within TYPING_AFTER
        would only make it flicker (and cost two more events per message).
        `held`: events delivered nowhere yet (the buyer's line); the indicator takes them along.
        """
        done, _ = await asyncio.wait({answer}, timeout=TYPING_AFTER)
        if done:
            return answer.result(), False, list(held)
        await self.hub.publish_many(list(held) + [self._typing(conversation_id, True)])
        return await answer, True, []

    async def _answer(self, conversation: Conversation, text: str,
                      replies: Optional[List[Dict[str, Any]]], typing_shown: bool,
                      held: Sequence[Tuple[str, Dict[str, Any]]] = (),
                      reply_id: Optional[int] = None) -> Optional[float]:
        """Store and deliver the bot's replies (after the events `held` for them), or hand off.

        `reply_id`: the id the line kept for its answer (PostgreSQL): the first reply is
        then shown to this desk's sockets while it is stored, not after. Returns when
        (perf_counter) the first reply reached this desk's sockets; None if none was shown.
        """
        shown_at = None
        typing_off = [self._typing(conversation.id, False)] if typing_shown else []
        if not replies:
            # Down, or the bot had nothing to say (its action server failed): a person takes over.
            await self.hub.publish_many(list(held) + typing_off)
            await self._system(conversation.id, NOTICE_BOT_DOWN)
            await self.hand_off(conversation, "bot_unavailable", "high",
                                {"last_message": text, "account": conversation.account}, pause_rasa=True)
            return None
        handoffs = [r["custom"]["handoff"] for r in replies if is_handoff(r)]
        handoff: Optional[Dict[str, Any]] = handoffs[-1] if handoffs else None
        shown = [r for r in replies if not is_handoff(r)]
        for position, reply in enumerate(shown, start=1):
            payload = {k: reply[k] for k in ("buttons", "image", "custom") if reply.get(k)}
            after = typing_off if position == len(shown) else []
            if position == 1 and reply_id is not None:
                shown_at = await self._show_while_storing(
                    Message(reply_id, conversation.id, "bot", reply.get("text") or "", payload or None,
                            None, None, time.time()), after, held)
                continue
            stored = await self.writes.add_message(conversation.id, "bot", reply.get("text") or "", payload or None)
            shown_at = shown_at or time.perf_counter()  # handed to the sockets here at once, below
            await self._deliver(stored, *after, held=held if position == 1 else ())
        if not shown:
            await self.hub.publish_many(list(held) + typing_off)
        if handoff:
            await self.hand_off(conversation, handoff.get("reason", "bot"), handoff.get("priority", "normal"),
                                handoff.get("summary") or {}, pause_rasa=False)
            return shown_at
        said_fallback = any((r.get("text") or "") in self.fallback_texts for r in replies)
        trigger = said_fallback and self.triggers.on_fallbacks(await self._fallbacks_in_a_row(conversation.id))
        if trigger:
            await self.hand_off(conversation, trigger.reason, trigger.priority,
                                {"last_message": text, "account": conversation.account}, pause_rasa=True)
        return shown_at

    async def _show_while_storing(self, message: Message, after: Sequence[Tuple[str, Dict[str, Any]]],
                                  held: Sequence[Tuple[str, Dict[str, Any]]]) -> float:
        """The buyer's answer on this desk's sockets first (after `held`), then stored, then everywhere else.

        Its store (a PostgreSQL commit) is then off the buyer's wait. The other replicas,
        and sockets here that opened meanwhile, get it only once it is stored: one of them
        reading the transcript then finds it there or gets it live, never neither.
        """
        events = self._message_events(message) + list(after)
        shown_here = await self.hub.publish_here(list(held) + events)
        shown_at = time.perf_counter()
        await self.writes.add_shown(message)
        await self.hub.publish_many(events, already_here=held, shown_here=shown_here)
        return shown_at

    async def _fallbacks_in_a_row(self, conversation_id: str) -> int:
        """Bot replies that were fallbacks, counting back from now (after a reply that was one)."""
        count = 0
        window = 4 * max(self.triggers.fallbacks_in_a_row, 1)
        for message in reversed(await in_thread(self.store.latest, conversation_id, window)):
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
            conversation = await in_thread(self.store.transition, conversation.id, "handoff", reason=reason,
                                           priority=priority, summary=summary)
        except states.TransitionError:
            return await in_thread(self.store.conversation, conversation.id)
        await self._announce(conversation)
        if self.agents_online() == 0:
            await self._system(conversation.id, NOTICE_OFFLINE.format(hours=self.agent_hours))
        elif len(await in_thread(self.store.queue)) > self.agents_online():
            await self._system(conversation.id, NOTICE_BUSY)
        else:
            await self._system(conversation.id, NOTICE_WAITING)
        return conversation

    # -- agent -----------------------------------------------------------------------------
    async def claim(self, conversation_id: str, agent: str) -> Conversation:
        conversation = await in_thread(self.store.transition, conversation_id, "claim", agent=agent)
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_AGENT_JOINED.format(agent=agent))
        return conversation

    async def check_agent_text(self, conversation: Conversation, text: str) -> List[Breach]:
        """The Tmall rules over an agent's draft, in this chat's context."""
        promised = any(m.sender in ("bot", "agent") and "包邮" in m.text and "不包邮" not in m.text
                       for m in await in_thread(self.store.transcript, conversation.id))
        return check_reply(text, ReplyContext(
            account=conversation.account,
            own_order_ids=frozenset(await in_thread(self.own_order_ids, conversation.account)),
            free_shipping_promised=promised))

    async def agent_message(self, conversation_id: str, agent: str, text: str) -> Message:
        conversation = await in_thread(self.store.conversation, conversation_id)
        if conversation is None or conversation.state != states.AGENT or conversation.agent != agent:
            raise states.TransitionError("claim the conversation before replying")
        message = await self.writes.add_message(conversation_id, "agent", text.strip()[:MAX_TEXT], author=agent)
        await self._deliver(message)
        return message

    async def hand_back(self, conversation_id: str, agent: str) -> Conversation:
        conversation = await in_thread(self.store.transition, conversation_id, "hand_back", expect_agent=agent)
        try:
            await self.rasa.resume(conversation_id)
        except RasaUnavailable:
            logger.warning("could not resume %s in Rasa", conversation_id)
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_BACK_TO_BOT)
        return conversation

    async def close(self, conversation_id: str, agent: str) -> Conversation:
        current = await in_thread(self.store.conversation, conversation_id)
        if current is not None and current.state == states.AGENT and current.agent != agent:
            raise states.TransitionError(f"{current.agent} is handling this conversation")
        conversation = await in_thread(self.store.transition, conversation_id, "close",
                                       expect_agent=agent if current and current.agent else None)
        try:
            await self.rasa.resume(conversation_id)  # a later message starts with the bot again
        except RasaUnavailable:
            pass
        await self._announce(conversation)
        await self._system(conversation_id, NOTICE_CLOSED)
        return conversation
