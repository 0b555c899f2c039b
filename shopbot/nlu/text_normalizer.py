"""Normalise how buyers type before tokenisation.

Buyers mix traditional and simplified characters, full-width letters and digits
(ＳＦ, １２３) and random capitals. The classifier should not need a separate
example for each spelling, so the text is folded to one form first. Every change
is character-for-character, so entity offsets computed later still point into the
original message.

Markup a buyer pastes ("<b>", "<img src=x onerror=...>") carries no intent: each tag is
blanked to as many spaces, so a line of HTML is read by its words alone (the desk
shows it as text, escaped, whatever the bot makes of it).

Only the first NLU_MAX_CHARS characters are classified: DIET's attention grows
with the square of the tokens, and a 30,000-emoji message took over 20 GB and got
Rasa killed by the kernel. A chat line never needs more to show its intent.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from shopbot.text import normalize_text

NLU_MAX_CHARS = 2000
MARKUP_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")


def blank_markup(text: str) -> str:
    """Each HTML tag replaced by as many spaces (the offsets stay valid)."""
    return MARKUP_TAG.sub(lambda tag: " " * len(tag.group()), text)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class TextNormalizer(GraphComponent):
    """Rewrites each message's text in place, before the tokenizer sees it."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TextNormalizer":
        return cls()

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str):
            message.set(TEXT, normalize_text(blank_markup(text[:NLU_MAX_CHARS])))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages
