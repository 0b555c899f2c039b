"""Find the shop's entities in a buyer message: spaCy phrase matching plus patterns.

spaCy's blank Chinese pipeline segments by character, so a name matches wherever
it appears, whatever jieba would have made of the surrounding words. An
EntityRuler keeps the longest match when names overlap (每日坚果 over 坚果).
Order numbers and amounts have shapes, not names, so they are regular expressions.
"""
from __future__ import annotations

import re
from typing import Dict, List

import spacy

ORDER_ID = re.compile(r"(?<![0-9])[0-9]{10,20}(?![0-9])")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
AMOUNT = re.compile(
    r"(?:[¥￥]\s*(?P<a>[0-9]+(?:\.[0-9]{1,2})?))"
    r"|(?:(?P<b>[0-9]+(?:\.[0-9]{1,2})?)\s*(?:块钱|块|元|rmb))",
    re.IGNORECASE,
)


class EntityMatcher:
    """Turns text into Rasa-style entity dicts with canonical values."""

    def __init__(self, vocabulary: Dict[str, Dict[str, str]]):
        self.vocabulary = vocabulary
        self.nlp = spacy.blank("zh")
        ruler = self.nlp.add_pipe(
            "entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
        )
        ruler.add_patterns([
            {"label": label, "pattern": surface, "id": canonical}
            for label, surfaces in vocabulary.items()
            for surface, canonical in surfaces.items()
        ])

    def find(self, text: str) -> List[dict]:
        entities: List[dict] = []
        if not text:
            return entities
        for ent in self.nlp(text).ents:
            entities.append(_entity(ent.label_, ent.ent_id_ or ent.text,
                                    ent.start_char, ent.end_char, ent.text))
        for match in ORDER_ID.finditer(text):
            if not MOBILE.match(match.group()):
                entities.append(_entity("order_id", match.group(), match.start(), match.end()))
        for match in AMOUNT.finditer(text):
            value = match.group("a") or match.group("b")
            entities.append(_entity("amount", value, match.start(), match.end()))
        return sorted(entities, key=lambda e: e["start"])


def _entity(label: str, value: str, start: int, end: int, surface: str | None = None) -> dict:
    entity = {"entity": label, "value": value, "start": start, "end": end, "confidence_entity": 1.0}
    if surface is not None and surface != value:
        entity["processors"] = ["synonym"]
    return entity
