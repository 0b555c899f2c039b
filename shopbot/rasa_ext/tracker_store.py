"""Rasa's SQL tracker store, without two costs it pays on every buyer message.

Saving a tracker, Rasa first counts the events already stored (a query over the
whole session, run only to learn where the new events start), and reading one it
builds an ORM object per stored event only to take its JSON: under load, the
largest part of a replica's CPU after the NLU model.

This store reads the same events with the same query, keeps on the tracker how
many it read, and on saving writes the ones after them in one statement. The
lock store makes one replica at a time handle a conversation, so what a replica
read is what is stored until it saves; that is the assumption Rasa's count
makes too. A tracker it did not read (a new one, a copy) is saved Rasa's way.
Rows are the ones Rasa writes, so its own store reads them back unchanged.

Used by endpoints.yml and endpoints.production.yml (`type: shopbot.rasa_ext.tracker_store.LeanSQLTrackerStore`).
"""
from __future__ import annotations

import itertools
import json
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# Set on a tracker this store read or saved: how many of its events are in the database.
STORED_EVENTS = "_shopbot_stored_events"


class LeanSQLTrackerStore(SQLTrackerStore):
    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = (self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions)
                    .with_entities(self.SQLEvent.data).all())
        events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:  # the same events Rasa's count would find
            setattr(tracker, STORED_EVENTS, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = getattr(tracker, STORED_EVENTS, None)
        if stored is None or stored > len(tracker.events):
            await super().save(tracker)
        else:
            await self.stream_events(tracker)
            rows = [self._row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                with self.engine.begin() as connection:
                    connection.execute(self.SQLEvent.__table__.insert(), rows)
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
        """The columns Rasa's own save fills, filled the same way."""
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)}
