"""Our changes to Rasa (shopbot/rasa_ext/): cheaper checks and model runs, store errors surfacing, locks freed."""
import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from shopbot import rasa_ext
from shopbot.rasa_ext import model_patches, server_patches


@pytest.fixture
def action():
    rasa_ext.apply()
    return RemoteAction("action_stock", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_a_well_formed_action_response_passes(action):
    good = {"events": [{"event": "slot", "name": "product", "value": "芒果干"}],
            "responses": [{"text": "亲,芒果干有货的哦", "buttons": []}]}
    assert action._validate_action_result(good) is True


@pytest.mark.parametrize("bad", [
    {"events": "not a list", "responses": []},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": [], "responses": "nope"},
])
def test_a_malformed_action_response_is_refused_with_rasas_explanation(action, bad):
    with pytest.raises(ValidationError) as error:
        action._validate_action_result(bad)
    assert "Failed to validate Action server response" in error.value.message
    with pytest.raises(ValidationError) as rasas:
        jsonschema.validate(bad, RemoteAction.action_response_format_spec())  # what Rasa calls
    assert error.value.message.startswith(rasas.value.message)


class UnreachableTrackerStore:
    """A primary store whose database is down."""
    domain = None
    event_broker = None

    async def retrieve(self, sender_id):
        raise ConnectionError("PostgreSQL is restarting")

    async def save(self, tracker):
        raise ConnectionError("PostgreSQL is restarting")


def test_a_tracker_store_outage_fails_the_message_instead_of_forgetting_the_conversation():
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_ext.apply()
    store = FailSafeTrackerStore(UnreachableTrackerStore())
    with pytest.raises(ConnectionError):  # not None: Rasa would start the chat afresh
        asyncio.run(store.retrieve("buyer-1"))
    with pytest.raises(ConnectionError):  # not saved in this replica's memory
        asyncio.run(store.save(DialogueStateTracker("buyer-1", [])))
    assert store._fallback_tracker_store is None


def test_a_lock_left_by_a_dead_replica_is_taken_once_it_expires():
    """Two tickets expiring together left Rasa's waiter waiting forever."""
    import asyncio
    import time

    from rasa.core.lock_store import InMemoryLockStore

    rasa_ext.apply()
    store = InMemoryLockStore()
    store.issue_ticket("buyer-1", 0.5)  # the dead replica's: never released

    async def next_message():
        began = time.monotonic()
        async with store.lock("buyer-1", lock_lifetime=0.5, wait_time_in_seconds=0.3):
            return time.monotonic() - began

    waited = asyncio.run(asyncio.wait_for(next_message(), timeout=5))
    assert 0.3 <= waited < 3
    left = store.get_lock("buyer-1")
    assert left is None or not left.tickets  # released, so the next message does not wait


def test_messages_of_one_conversation_still_take_turns():
    import asyncio

    from rasa.core.lock_store import InMemoryLockStore

    rasa_ext.apply()
    store = InMemoryLockStore()
    inside, most_inside = 0, 0

    async def handle():
        nonlocal inside, most_inside
        async with store.lock("buyer-1", lock_lifetime=30, wait_time_in_seconds=0.05):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0.1)
            inside -= 1

    async def three_at_once():
        await asyncio.gather(handle(), handle(), handle())

    asyncio.run(three_at_once())
    assert most_inside == 1


def test_every_event_name_finds_the_class_rasas_own_lookup_finds():
    from rasa.shared.core.events import Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    rasa_ext.apply()
    rasas = server_patches.RASA_ORIGINALS["resolve_by_type"]
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    assert all(Event.resolve_by_type(name) is rasas(name) for name in names)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")

    class ImportedLater(SlotSet):
        type_name = "shopbot_test_imported_later"

    assert Event.resolve_by_type("shopbot_test_imported_later") is ImportedLater


BUYER_LINES = ["在吗", "这款有货吗", "保质期多久啊", "便宜点呗", "发什么快递", "几天能到", "新疆包邮吗", "我要退货",
               "收到是碎的", "转人工", "有发票吗", "能用信用卡吗", "怎么还不发货啊", "訂單12345678物流", "asdfgh", "😡😡"]


def diet_model(agent):
    """The DIET classifier's Keras model inside a loaded agent."""
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component.model for node in nodes if isinstance(node._component, DIETClassifier))


async def test_the_model_loads_and_answers_as_rasas_own_without_dask_autograph_and_tf_function_dispatch(monkeypatch):
    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.tensorflow.models import RasaModel
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.conftest import MODEL

    rasa_ext.apply()

    async def answers(agent):
        parses, predictions = [], []
        for number, line in enumerate(BUYER_LINES):
            parse = await agent.parse_message(line)
            parses.append({key: parse[key] for key in ("intent", "entities", "intent_ranking")})
            tracker = DialogueStateTracker.from_events(
                f"buyer-{number}", [ActionExecuted("action_listen"), UserUttered(line, parse["intent"],
                                                                              parse["entities"], parse)],
                slots=agent.domain.slots)
            prediction = agent.processor.predict_next_with_tracker(tracker)
            predictions.append({key: prediction[key] for key in ("scores", "policy", "confidence")})
        return parses, predictions

    rasas_predict = model_patches.RASA_ORIGINALS["rasa_predict"]
    with monkeypatch.context() as rasas_way:
        rasas_way.setattr(DaskGraphRunner, "run", model_patches.RASA_ORIGINALS["graph_run"])
        rasas_way.setattr(RasaModel, "_rasa_predict", rasas_predict)
        rasas_way.setattr(RasaModel, "load", model_patches.RASA_ORIGINALS["model_load"])
        expected = await answers(Agent.load(str(MODEL)))
    assert DaskGraphRunner.run is model_patches._run_graph_in_order
    through_tf_function = []
    monkeypatch.setitem(model_patches.RASA_ORIGINALS, "rasa_predict",
                        lambda model, batch: through_tf_function.append(1) or rasas_predict(model, batch))
    ours = Agent.load(str(MODEL))
    assert not diet_model(ours).run_eagerly  # built eagerly, then back to Rasa's setting: predictions are graphs
    assert diet_model(ours)._tf_predict_step._autograph is False  # traced as plain Python, not by Rasa's autograph
    assert await answers(ours) == expected
    assert len(through_tf_function) <= 1  # only the first prediction, which keeps the traced graph
    assert {p["intent"]["name"] for p in expected[0]} >= {"greet", "ask_stock", "bargain", "request_human"}


class EventsRequest:
    """What rasa.server's check reads of an "append events" request: its JSON body."""

    def __init__(self, body):
        self.json = body


@pytest.mark.parametrize("body", [
    [{"event": "pause"}], {"event": "resume"}, [{"event": "slot", "name": "product", "value": "芒果干"}],
    [{"event": "pause"}, {"event": "resume"}],
    [{"no_event_key": 1}], {"event": 7}, "pause", [{"event": "slot", "name": 3}], [[]],
])
def test_pause_and_resume_bodies_are_judged_as_rasa_judges_them(body):
    from rasa.server import ErrorResponse

    rasa_ext.apply()

    def verdict(check):
        try:
            check(EventsRequest(body))
            return "accepted"
        except ErrorResponse as error:
            return error.status, error.error_info["message"]

    rasas = verdict(server_patches.RASA_ORIGINALS["validate_events"])
    assert verdict(server_patches._validate_events_in_request_body) == rasas
    import rasa.server
    assert verdict(rasa.server.validate_events_in_request_body) == rasas  # what the endpoint calls
