"""Four changes to Rasa 3.6, applied when our REST channel starts in a Rasa process.

1. Speed. Rasa validates every action server response with `jsonschema.validate(result,
schema)`. With the jsonschema pinned here (4.17), that call first checks the
schema itself against the JSON Schema meta-schema, on every response: profiled
under load it was ~45% of a Rasa replica's CPU. The schema never changes, so we
check it once and keep the validator; responses are validated exactly as before
(same schema, same ValidationError and message).

2. No silent fork of a conversation. Rasa wraps every tracker store in a
FailSafeTrackerStore: when PostgreSQL cannot be reached, `retrieve` returns None
(the buyer's history is forgotten and a new session starts) and `save` writes
to this replica's memory (the events never reach PostgreSQL; a later save then
counts the wrong number of stored events). We let the error through instead:
our REST channel answers 503 and the desk sends the message again once the
database is back, so the conversation stays one, in one place.

3. No conversation stuck behind a dead replica. A replica killed while it holds
a conversation's lock leaves its ticket in Redis until the ticket expires
(TICKET_LOCK_LIFETIME). A replica waiting for that lock holds a ticket of the
same lifetime, issued moments later, and looks every second; when it misses the
short gap between the two expiries, its own ticket is gone too, and Rasa's
loop then waits forever (seen in our fault drill: the message timed out). Here
a waiter whose ticket expired takes a new one, and releases the one it holds.

4. Speed. Rasa finds an event's class by its name by walking every subclass of
Event, recursively, for every event it reads: every stored event of the
conversation on every message, and every event an action returns (profiled:
about 3% of a replica's CPU). The classes do not change once imported; we look
the name up in a table, rebuilt when a name is missing (a class imported later),
with the same first-match order, default and errors.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Dict, Optional, Text


@lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


async def _retrieve_or_fail(self, sender_id: Text):
    return await self._tracker_store.retrieve(sender_id)


async def _save_or_fail(self, tracker) -> None:
    await self._tracker_store.save(tracker)


@asynccontextmanager
async def _lock_surviving_dead_holders(self, conversation_id: Text, lock_lifetime: Optional[float] = None,
                                       wait_time_in_seconds: float = 1):
    from rasa.core.lock_store import LOCK_LIFETIME

    lifetime = lock_lifetime if lock_lifetime is not None else LOCK_LIFETIME
    ticket = self.issue_ticket(conversation_id, lifetime)
    try:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is not None and not lock.is_locked(ticket):
                break
            if lock is None or lock._ticket_for_ticket_number(ticket) is None:
                ticket = self.issue_ticket(conversation_id, lifetime)  # ours expired while waiting
                continue
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        yield lock
    finally:
        self.cleanup(conversation_id, ticket)


_event_classes: Dict[Text, Any] = {}
RASA_ORIGINALS: Dict[Text, Any] = {}  # what apply() replaced, for comparing against in tests


def _resolve_event_by_type(type_name: Text, default: Optional[Any] = None) -> Optional[Any]:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if type_name not in _event_classes:
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)  # the first match, as Rasa's loop finds it
    if type_name in _event_classes:
        return _event_classes[type_name]
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def apply() -> None:
    """Idempotent; called once per Rasa process."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = _validate_action_result
    FailSafeTrackerStore.retrieve = _retrieve_or_fail
    FailSafeTrackerStore.save = _save_or_fail
    LockStore.lock = _lock_surviving_dead_holders
    RASA_ORIGINALS.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(_resolve_event_by_type)
