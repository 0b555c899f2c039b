"""A buyer who asks two things in one line gets the main one answered and the other offered.

"芒果干有货吗？包邮吗": the intent model picks one question for the line; the other
would go unanswered. After the bot has answered, each clause of a line of several
is classified on its own; the first clause that asks another question (one of
QUESTIONS, with some confidence) is offered back as a button, which sends it as
the buyer's next line. Greetings, thanks and fillers ("亲在吗，...") are clauses
too, and never offered. Used by patch 10's handler (server_patches), so only lines
Rasa processed, never a replayed one; a chat handed to a person gets no offer.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

CLAUSE_BREAKS = re.compile(r"[，,。．？?！!；;~～\s]+")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
MAX_CLAUSES = 4
# A clause is offered only when it is plainly a question of its own: three Chinese
# characters at least (not "bao", not "嗯嗯") and a confident intent.
MIN_CHINESE = 3
MIN_CONFIDENCE = 0.8
# What a buyer asks about: what a second clause must be to be offered.
QUESTIONS = {"ask_stock", "ask_shelf_life", "ask_product_info", "ask_recommendation", "ask_price",
             "price_protection", "ask_courier", "ask_ship_time", "ask_delivery_time", "ask_free_shipping",
             "ask_logistics", "ask_invoice", "ask_payment", "ask_refund_progress", "urge_shipping",
             "request_return", "change_order", "bargain"}
OFFER = "亲,您还问到了「{clause}」,需要的话点一下,我接着为您解答哦~"


def clauses(text: str) -> List[str]:
    """The parts of a line between punctuation and spaces that could be a question of their own."""
    return [part for part in CLAUSE_BREAKS.split(text or "")
            if len(CHINESE.findall(part)) >= MIN_CHINESE][:MAX_CLAUSES]


async def parse_once(processor, message: UserMessage):
    """Parse a line of several clauses before Rasa handles it, so that Rasa's handling and the
    offer read the same parse instead of the offer parsing the whole line a second time."""
    if len(clauses(message.text)) >= 2 and not message.parse_data:
        message.parse_data = await processor.parse_message(message)


def _intent(parsed: Dict[str, Any]) -> Optional[str]:
    intent = parsed.get("intent") or {}
    return intent.get("name") if (intent.get("confidence") or 0) >= MIN_CONFIDENCE else None


async def offer_second_question(processor, message: UserMessage) -> None:
    """Append the offer of another question in `message` to its replies, if there is one."""
    output = message.output_channel
    parts = clauses(message.text)
    if len(parts) < 2 or not isinstance(output, CollectingOutputChannel):
        return
    if any(isinstance(reply.get("custom"), dict) and "handoff" in reply["custom"] for reply in output.messages):
        return
    main = _intent(message.parse_data or await processor.parse_message(UserMessage(message.text,
                                                                                   sender_id=message.sender_id)))
    for part in parts:
        intent = _intent(await processor.parse_message(UserMessage(part, sender_id=message.sender_id)))
        if intent in QUESTIONS and intent != main:
            await output.send_text_with_buttons(message.sender_id, OFFER.format(clause=part),
                                                [{"title": part, "payload": part}])
            return
