"""The cached check of action server responses accepts and refuses exactly what Rasa's did."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from shopbot import rasa_speedups


@pytest.fixture
def action():
    rasa_speedups.apply()
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
