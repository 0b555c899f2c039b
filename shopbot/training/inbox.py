"""The trainers' inbox: what buyers really said when the bot was unsure.

Read from Rasa's SQL tracker store (the `events` table): a message classified as
nlu_fallback or below the confidence bar, or one the bot answered by handing
off; plus messages a trainer or agent flagged. The same text (after folding
spelling variants) appears once, with how often it came and the turns around it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import sqlalchemy as sa

from shopbot.training.examples import normalised

CONFIDENCE_BAR = 0.6

flags_metadata = sa.MetaData()
flags = sa.Table(
    "training_flags", flags_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("conversation_id", sa.String(64)),
    sa.Column("flagged_by", sa.String(100)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("resolved", sa.Boolean, nullable=False, default=False),
)


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


def ensure_flags_table(engine: sa.engine.Engine) -> None:
    """Create the flags table if it is not there yet, even while another desk does the same.

    It is made on first use, so on a new deployment the first flags can come from
    two desks (or two threads of one) at once: both find no table and both create
    it. PostgreSQL refuses the second creation (a duplicate key in its catalogue,
    or a duplicate table), SQLite says the table exists; either way the table is
    there, and the flag must still be stored rather than lost with a 500.
    """
    try:
        flags_metadata.create_all(engine)
    except sa.exc.DBAPIError:
        if not sa.inspect(engine).has_table(flags.name):
            raise


def flag(engine: sa.engine.Engine, text: str, conversation_id: Optional[str] = None,
         flagged_by: Optional[str] = None, note: Optional[str] = None) -> None:
    ensure_flags_table(engine)
    with engine.begin() as conn:
        conn.execute(flags.insert(), {"text": text, "conversation_id": conversation_id,
                                      "flagged_by": flagged_by, "note": note,
                                      "created_at": time.time(), "resolved": False})


def resolve(engine: sa.engine.Engine, text: str) -> None:
    """A labelled message leaves the inbox (flags of the same text are resolved)."""
    ensure_flags_table(engine)
    key = normalised(text)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(flags.c.id, flags.c.text).where(flags.c.resolved.is_(False))).all()
        ids = [r.id for r in rows if normalised(r.text) == key]
        if ids:
            conn.execute(flags.update().where(flags.c.id.in_(ids)).values(resolved=True))


def _tracker_events(tracker_engine: sa.engine.Engine):
    inspector = sa.inspect(tracker_engine)
    if "events" not in inspector.get_table_names():
        return []
    events = sa.Table("events", sa.MetaData(), autoload_with=tracker_engine)
    with tracker_engine.connect() as conn:
        return conn.execute(sa.select(events.c.sender_id, events.c.type_name, events.c.data)
                            .order_by(events.c.sender_id, events.c.id)).all()


def build_inbox(tracker_engine: sa.engine.Engine, flags_engine: Optional[sa.engine.Engine] = None,
                confidence_bar: float = CONFIDENCE_BAR, labelled: Optional[set] = None) -> List[InboxItem]:
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
    if flags_engine is not None:
        ensure_flags_table(flags_engine)
        with flags_engine.connect() as conn:
            for row in conn.execute(sa.select(flags).where(flags.c.resolved.is_(False))):
                add(row.text, "flagged", when=row.created_at, sender=row.conversation_id)
    return sorted(items.values(), key=lambda i: (-i.count, -i.last_seen))
