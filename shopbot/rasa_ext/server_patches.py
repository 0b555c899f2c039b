"""Patches to what a Rasa server does around each message (not the model: model_patches.py).

Installed by shopbot.rasa_ext.apply(); numbered as they always were (5, 6, 8 and 9 are the model's).
1. Action responses: one validator made once; `jsonschema.validate` re-checks the fixed schema on every call (speed).
2. FailSafeTrackerStore lets store errors through (503, the desk resends) instead of forking the conversation (fix).
3. A lock waiter whose ticket expired takes a new one; Rasa's waits forever behind a dead replica's ticket (fix).
4. Event classes are found by name in a table, not by walking every Event subclass for each event read (speed).
7. "Append events" (the desk's pause and resume): one validator made once, as in 1 (speed).
10. A line asked again (a dead desk's, metadata AGAIN_KEY) already in the tracker gets the replies it got then (fix);
    a line of two questions gets the other one offered back as a button (second_question.py).
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Dict, Optional, Text

from shopbot.line_replies import AGAIN_KEY, LINE_KEY, replies_to_line

RASA_ORIGINALS: Dict[Text, Any] = {}  # what apply() replaced, for comparing against in tests


def _checked_validator(schema: Dict[Text, Any]):
    """The schema checked once, here, and a validator that will not check it again."""
    from jsonschema.validators import validator_for

    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _action_response_validator():
    from rasa.core.actions.action import RemoteAction

    return _checked_validator(RemoteAction.action_response_format_spec())


def _validate(validator, instance: Any) -> None:
    """`jsonschema.validate` without checking the schema again: the same error (its best match) is raised."""
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _validate(_action_response_validator(), result)
        return True
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


@lru_cache(maxsize=1)
def _events_validator():
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    return _checked_validator(EVENTS_SCHEMA)


def _validate_events_in_request_body(request) -> None:
    """rasa.server's check of an "append events" body, with the validator made once."""
    from http import HTTPStatus

    from jsonschema import ValidationError
    from rasa.server import ErrorResponse, _docs

    events = request.json if isinstance(request.json, list) else [request.json]
    try:
        _validate(_events_validator(), events)
    except ValidationError as error:
        raise ErrorResponse(
            HTTPStatus.BAD_REQUEST, "BadRequest",
            f"Failed to validate the events format. "
            f"For more information about the format visit the docs. Error: {error}",
            help_url=_docs("/pages/http-api")) from error


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


async def _handle_line_once(self, message):
    """Patch 10. Under the conversation's lock (Agent.handle_message takes it), so a line the
    dead desk's request is still processing is answered from the tracker once that is done."""
    from rasa.core.channels.channel import CollectingOutputChannel

    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    line = metadata.get(LINE_KEY)
    if metadata.get(AGAIN_KEY) and isinstance(line, str):
        tracker = await self.tracker_store.retrieve(message.sender_id)
        kept = replies_to_line([event.as_dict() for event in tracker.events], line) if tracker else None
        if kept is not None:
            for reply in kept:
                await message.output_channel.send_response(message.sender_id, reply)
            return message.output_channel.messages if isinstance(message.output_channel,
                                                                  CollectingOutputChannel) else None
    from shopbot.rasa_ext.second_question import offer_second_question, parse_once

    await parse_once(self, message)
    replies = await RASA_ORIGINALS["handle_message"](self, message)
    await offer_second_question(self, message)
    return replies


_event_classes: Dict[Text, Any] = {}


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
    """Patches 1, 2, 3, 4, 7 and 10. Idempotent."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import Event
    import rasa.server

    RemoteAction._validate_action_result = _validate_action_result
    RASA_ORIGINALS.setdefault("validate_events", rasa.server.validate_events_in_request_body)
    rasa.server.validate_events_in_request_body = _validate_events_in_request_body  # looked up at each call
    RASA_ORIGINALS.setdefault("tracker_retrieve", FailSafeTrackerStore.retrieve)
    FailSafeTrackerStore.retrieve = _retrieve_or_fail
    FailSafeTrackerStore.save = _save_or_fail
    LockStore.lock = _lock_surviving_dead_holders
    RASA_ORIGINALS.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(_resolve_event_by_type)
    RASA_ORIGINALS.setdefault("handle_message", MessageProcessor.handle_message)
    MessageProcessor.handle_message = _handle_line_once


def applied() -> bool:
    """Whether this process runs with the fixes (2 and 3), which a Rasa server of ours must not run without."""
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import FailSafeTrackerStore

    return FailSafeTrackerStore.retrieve is _retrieve_or_fail and LockStore.lock is _lock_surviving_dead_holders
