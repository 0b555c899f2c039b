"""Rasa component: an angry buyer is always taken for a complaint.

The intent model has learned what anger reads like from the complain examples
(threats, abuse, demands for compensation, in the many ways buyers type them),
and its ranking says how much of it a line carries even when another intent
wins, or when no intent is sure enough and the fallback would answer "没太明白".
When the complain score reaches the shop's threshold (shop/settings.yml,
`handoff.anger_threshold`), the line is a complaint: the buyer gets an apology
and a person, never the fallback or a bare list. Read when the model loads, so a
merchant's change needs a restart of Rasa, not a retraining.

Runs after the FallbackClassifier, on its result.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

COMPLAIN = "complain"
# Chosen on tests/nlu_test.yml: no line of another intent there scores 0.15 or more.
DEFAULT_THRESHOLD = 0.25


def anger_threshold(shop_dir: Path) -> float:
    """The shop's threshold, or the default when the settings do not say."""
    path = Path(shop_dir) / "settings.yml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    value = ((settings or {}).get("handoff") or {}).get("anger_threshold", DEFAULT_THRESHOLD)
    return float(value)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AngerSignal(GraphComponent):
    """Turns a line whose complain score reaches the threshold into a complaint."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"shop_dir": "shop"}

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AngerSignal":
        return cls(anger_threshold(Path(config.get("shop_dir", "shop"))))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") == COMPLAIN:
                continue
            score = next((entry.get("confidence") or 0.0 for entry in message.get(INTENT_RANKING_KEY) or []
                          if entry.get("name") == COMPLAIN), 0.0)
            if score >= self.threshold:
                message.set(INTENT, {"name": COMPLAIN, "confidence": score}, add_to_output=True)
        return messages
