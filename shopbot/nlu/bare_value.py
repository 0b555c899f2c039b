"""Rasa component: a line that is nothing but a value the shop knows is the buyer informing.

"新疆乌鲁木齐", "临安山核桃", an order number: a buyer answering what the bot asked.
Such lines are short and made of names that also fill the shop's questions (新疆包邮吗,
乌鲁木齐几天到), so the intent model can be unsure of them: fall back, or lean towards
one of those questions. When the model declined a line (nlu_fallback) or was unsure of
it (under UNSURE) and the shop's entities cover nearly all of it, the line is `inform`,
which continues what the bot asked (action_continue).

Runs after the FallbackClassifier, on its result.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

FALLBACK = "nlu_fallback"
INFORM = "inform"
VALUES = {"region", "product", "order_id", "courier"}
COVERED = 0.8  # of the line's characters, punctuation and spaces aside
# A bare value the model reads as a question with less confidence than this is an answer.
UNSURE = 0.8


def covered_share(text: str, entities: List[Dict[str, Any]]) -> float:
    """How much of the line (its letters and digits) the shop's values take up."""
    meaningful = [index for index, char in enumerate(text) if char.isalnum()]
    if not meaningful:
        return 0.0
    inside = set()
    for entity in entities:
        if entity.get("entity") in VALUES:
            inside.update(range(int(entity.get("start", 0)), int(entity.get("end", 0))))
    return sum(index in inside for index in meaningful) / len(meaningful)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class BareValue(GraphComponent):
    """Turns a declined or doubtful line made of the shop's values into `inform`."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BareValue":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") != FALLBACK and float(intent.get("confidence") or 0.0) >= UNSURE:
                continue
            if covered_share(message.get(TEXT) or "", message.get(ENTITIES) or []) >= COVERED:
                message.set(INTENT, {"name": INFORM, "confidence": 1.0}, add_to_output=True)
        return messages
