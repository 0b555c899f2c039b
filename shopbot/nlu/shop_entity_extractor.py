"""Rasa component: the shop's entities, recognised by name and pattern.

The vocabulary is read from the shop files at training time and stored inside the
model, so a running assistant never depends on the files being where they were;
its fingerprint includes the files, so `rasa train` retrains when they change.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from shopbot.nlu.entity_matcher import EntityMatcher
from shopbot.nlu.shop_vocabulary import build_vocabulary, vocabulary_digest

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class ShopEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds product, region, courier, problem_type, order_id and amount entities."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"shop_dir": "shop"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Dict[str, Dict[str, str]]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._matcher = EntityMatcher(vocabulary) if vocabulary else None

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "ShopEntityExtractor":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return vocabulary_digest(Path(config.get("shop_dir", "shop")))

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary = build_vocabulary(Path(self._config["shop_dir"]))
        self._matcher = EntityMatcher(vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ShopEntityExtractor":
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, vocabulary)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            found = self.add_extractor_name(self._matcher.find(message.get(TEXT) or ""))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
