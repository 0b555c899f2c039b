"""The trainers' inbox: what buyers really said when the bot was unsure.

Read from Rasa's SQL tracker store (the `events` table): a message classified as
nlu_fallback or below the confidence bar, or one the bot answered by handing
off; plus messages a trainer or agent flagged. The same text (after folding
spelling variants) appears once, with how often it came and the turns around it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import sqlalchemy as sa

from shopbot.training.examples import normalised

CONFIDENCE_BAR = 0.6


@dataclass
class InboxItem:
    key: str
    text: str
    reasons: List[str]
    predicted_intent: Optional[str]
    confidence: Optional[float]
    count: int
    last_seen: float
    before: str = ""   # what the bot said just before
    after: str = ""    # what the bot answered
    conversations: List[str] = field(default_factory=list)

    def as_dict(self) -> Dict:
        return dict(self.__dict__)


def flags_to_resolve(open_flags: Sequence, text: str) -> List[int]:
    """Of the open flags (rows with id and text), those a label of `text` answers: the same text, folded."""
    key = normalised(text)
    return [row.id for row in open_flags if normalised(row.text) == key]


def _tracker_events(tracker_engine: sa.engine.Engine):
    inspector = sa.inspect(tracker_engine)
    if "events" not in inspector.get_table_names():
        return []
    events = sa.Table("events", sa.MetaData(), autoload_with=tracker_engine)
    with tracker_engine.connect() as conn:
        return conn.execute(sa.select(events.c.sender_id, events.c.type_name, events.c.data)
                            .order_by(events.c.sender_id, events.c.id)).all()


def build_inbox(tracker_engine: sa.engine.Engine, open_flags: Sequence = (),
                confidence_bar: float = CONFIDENCE_BAR, labelled: Optional[set] = None) -> List[InboxItem]:
    """The inbox from Rasa's tracker store and the desk's open flags (`DeskStore.open_flags`)."""
    items: Dict[str, InboxItem] = {}
    labelled = labelled or set()

    def add(text: str, reason: str, intent=None, confidence=None, when=0.0, before="", after="", sender=None):
        key = normalised(text)
        if not key or key in labelled:
            return
        item = items.get(key)
        if item is None:
            item = items[key] = InboxItem(key, text, [], intent, confidence, 0, when, before, after)
        item.count += 1
        item.last_seen = max(item.last_seen, when)
        if reason not in item.reasons:
            item.reasons.append(reason)
        if sender and sender not in item.conversations:
            item.conversations.append(sender)

    rows = _tracker_events(tracker_engine)
    by_sender: Dict[str, List[dict]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(json.loads(row.data))
    for sender, events in by_sender.items():
        last_bot = ""
        for index, event in enumerate(events):
            if event.get("event") == "bot":
                last_bot = event.get("text") or ""
            if event.get("event") != "user" or not event.get("text"):
                continue
            intent = ((event.get("parse_data") or {}).get("intent") or {})
            name, confidence = intent.get("name"), intent.get("confidence")
            following = events[index + 1:]
            next_user = next((i for i, e in enumerate(following) if e.get("event") == "user"), len(following))
            turn = following[:next_user]
            answer = next((e.get("text") or "" for e in turn if e.get("event") == "bot"), "")
            handed_off = any(e.get("event") == "action" and e.get("name") == "action_handoff" for e in turn)
            reasons = []
            if name == "nlu_fallback":
                reasons.append("fallback")
            elif confidence is not None and confidence < confidence_bar:
                reasons.append("low_confidence")
            if handed_off and name not in ("request_human",):
                reasons.append("handed_off")
            for reason in reasons:
                add(event["text"], reason, name, confidence, event.get("timestamp") or 0, last_bot, answer, sender)
    for row in open_flags:
        add(row.text, "flagged", when=row.created_at, sender=row.conversation_id)
    return sorted(items.values(), key=lambda i: (-i.count, -i.last_seen))
