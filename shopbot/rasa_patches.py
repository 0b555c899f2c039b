"""Nine changes to Rasa 3.6, applied when our REST channel starts in a Rasa process
(5, 6, 8 and 9, which concern the model only, also where we evaluate one: nlu_eval).

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

5. Speed. Rasa runs its model graphs (the NLU pipeline on every message, the
policies on every prediction) through dask's scheduler, and first works out, on
every run, which nodes the targets need. For graphs of ten-odd nodes on one
thread, dask's bookkeeping was about a tenth of the NLU's CPU (measured
in-process on our model: 8.7-9.2 ms of CPU per parse with dask, 7.6-8.3 ms
without, the same results). We run the same nodes, called the same way, in an
order worked out once per set of targets. Graph errors are raised as Rasa's.

6. Speed. Rasa calls DIET's traced prediction graph through `tf.function`, which
on every call matches the inputs against the signature and looks the graph up
again: measured in-process, 2.6 ms of CPU per call, 1.5 ms of it the graph
itself. Once Rasa has traced it (its first prediction, unchanged), we keep the
one concrete graph its signature allows and call it with the same tensors.

7. Speed. The HTTP API's "append events" endpoint, which the desk calls to pause
Rasa when it hands a chat to a person and to resume it when the person hands
back, validates the events like patch 1's responses: `jsonschema.validate`,
checking the schema itself first. Measured on a replica, a pause or resume took
46-48 ms of CPU (a whole bot answer: 26 ms), 82% of it in that check. We keep
one validator for Rasa's events schema; a request is refused as before (400,
Rasa's own message).

8. Speed. Loading a model (every Rasa start, every switch to a new model, every
evaluation) builds DIET's weights by one training step on one example, which
Rasa runs through a traced `tf.function`: autograph rewrites and traces the
whole training graph, about 9 s of CPU on our model, for a step whose result
the saved weights then overwrite. We take that step eagerly (the same layers
and optimizer variables get made), then restore the configured setting.

9. Speed. DIET's prediction graph is traced on the first prediction after a load,
by autograph, which rewrote Rasa's Python into graph code in about 5 s of CPU. Its
control flow depends only on the model's configuration, never on a tensor, so
we trace the same function as plain Python (`autograph=False`): the same graph
in a fraction of the time. Should a model's code need autograph, tracing fails
at once and Rasa's own trace is used. Measured on our model: a load took 13.9 s
of CPU with Rasa's steps, 4.9 s with 8 and 9, and the answers to 153 buyer lines
were the same to the sixth decimal of every confidence.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple


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


def _node_order(runner, targets: Tuple[Text, ...]) -> List[Text]:
    """The nodes the targets need, each after the nodes it needs (worked out once per runner)."""
    orders = runner.__dict__.setdefault("_shopbot_orders", {})
    if targets not in orders:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order: List[Text] = []
        placed = set()

        def place(name: Text) -> None:
            if name in placed or name not in schema.nodes:
                return  # placed already, or a run input
            placed.add(name)
            for needed in schema.nodes[name].needs.values():
                place(needed)
            order.append(name)

        for name in schema.nodes:
            place(name)
        orders[targets] = order
    return orders[targets]


def _run_graph_in_order(self, inputs: Optional[Dict[Text, Any]] = None,
                        targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """DaskGraphRunner.run without dask: each node gets its needs' (name, output) pairs, as dask gave them."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    order = _node_order(self, run_targets)
    values: Dict[Text, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in order:  # Rasa's check, as its runner makes it
            raise GraphRunError(f"Input value '{value}' clashes with a node name.")
        values[name] = (name, value)
    try:
        for name in order:
            needs = self._graph_schema.nodes[name].needs.values()
            # A need that is neither a node nor an input reached dask's nodes as the bare name.
            values[name] = self._instantiated_nodes[name](*(values.get(need, need) for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(values[target] for target in run_targets)


def _trace_predict_without_autograph(model, batch_in) -> None:
    """The prediction graph Rasa would trace, traced as plain Python; Rasa's own trace if that fails."""
    import tensorflow as tf

    model._training = False
    if not model.prepared_for_prediction:  # as Rasa's _rasa_predict does before tracing
        model.prepare_for_predict()
        model.prepared_for_prediction = True
    plain = tf.function(model.predict_step, input_signature=model._dynamic_signature(batch_in), autograph=False)
    try:
        plain.get_concrete_function()
    except (TypeError, ValueError, NotImplementedError, tf.errors.OperatorNotAllowedInGraphError):
        return  # the model's code needs autograph: Rasa traces it on this first call
    model._tf_predict_step = plain


def _rasa_predict_with_concrete_graph(self, batch_in):
    """RasaModel._rasa_predict, calling the graph Rasa traced without tf.function's dispatch."""
    concrete = self.__dict__.get("_shopbot_concrete_predict")
    if concrete is None:
        if not self._run_eagerly and self._tf_predict_step is None:
            _trace_predict_without_autograph(self, batch_in)
        outputs = RASA_ORIGINALS["rasa_predict"](self, batch_in)  # its first call, as Rasa makes it
        if not self._run_eagerly and self._tf_predict_step is not None:
            # The signature has a None for every dimension, so this is the only graph there is.
            self.__dict__["_shopbot_concrete_predict"] = self._tf_predict_step.get_concrete_function()
        return outputs
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    tensors = [tf.convert_to_tensor(array) for array in tf.nest.flatten(batch_in)]
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete._call_flat(tensors, concrete.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def _load_built_eagerly(cls, model_file_name, model_data_example, predict_data_example=None,
                        finetune_mode: bool = False, *args: Any, **kwargs: Any):
    """RasaModel.load with its weight-building training step run eagerly (finetuning: Rasa's own)."""
    if finetune_mode:  # the model trains on: its training graph is wanted anyway
        return RASA_ORIGINALS["model_load"].__func__(cls, model_file_name, model_data_example,
                                                      predict_data_example, finetune_mode, *args, **kwargs)
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.run_eagerly = config.get(RUN_EAGERLY)  # what Rasa compiles it with: predictions are traced
    model.load_weights(model_file_name)
    if predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction graph now, as Rasa does
    return model


def apply_to_models() -> None:
    """Patches 5, 6, 8 and 9: how a model is loaded and run. Idempotent."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.tensorflow.models import RasaModel

    RASA_ORIGINALS.setdefault("graph_run", DaskGraphRunner.run)
    DaskGraphRunner.run = _run_graph_in_order
    RASA_ORIGINALS.setdefault("rasa_predict", RasaModel._rasa_predict)
    RasaModel._rasa_predict = _rasa_predict_with_concrete_graph
    RASA_ORIGINALS.setdefault("model_load", RasaModel.__dict__["load"])
    RasaModel.load = classmethod(_load_built_eagerly)


def apply() -> None:
    """Idempotent; called once per Rasa process."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import Event
    import rasa.server

    RemoteAction._validate_action_result = _validate_action_result
    RASA_ORIGINALS.setdefault("validate_events", rasa.server.validate_events_in_request_body)
    rasa.server.validate_events_in_request_body = _validate_events_in_request_body  # looked up at each call
    FailSafeTrackerStore.retrieve = _retrieve_or_fail
    FailSafeTrackerStore.save = _save_or_fail
    LockStore.lock = _lock_surviving_dead_holders
    RASA_ORIGINALS.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(_resolve_event_by_type)
    apply_to_models()
