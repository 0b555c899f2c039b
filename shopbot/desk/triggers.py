"""The desk's own reasons to hand a chat to a person, besides the bot's decision.

Configurable in shop/settings.yml under `handoff:`; the defaults follow the
manual: a buyer asking for a person, anger (abuse, threats of 差评 / 投诉 /
12315), and the bot misunderstanding several times in a row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

DEFAULT_HUMAN_WORDS = ["转人工", "人工客服", "找人工", "要人工", "真人", "活人"]
DEFAULT_ANGER_WORDS = ["差评", "投诉", "12315", "消协", "工商局", "骗子", "垃圾", "曝光",
                       "坑人", "滚", "傻", "他妈", "tmd", "cnm", "举报", "报警"]


@dataclass(frozen=True)
class Trigger:
    reason: str
    priority: str


@dataclass(frozen=True)
class Triggers:
    human_words: List[str]
    anger_words: List[str]
    fallbacks_in_a_row: int = 2

    @classmethod
    def from_settings(cls, settings: Dict) -> "Triggers":
        handoff = (settings or {}).get("handoff") or {}
        return cls(handoff.get("human_words") or DEFAULT_HUMAN_WORDS,
                   handoff.get("anger_words") or DEFAULT_ANGER_WORDS,
                   int(handoff.get("fallbacks_in_a_row", 2)))

    def on_buyer_text(self, text: str) -> Optional[Trigger]:
        lowered = (text or "").lower()
        if any(word.lower() in lowered for word in self.anger_words):
            return Trigger("anger", "high")
        if any(word.lower() in lowered for word in self.human_words):
            return Trigger("buyer_request", "normal")
        return None

    def on_fallbacks(self, consecutive: int) -> Optional[Trigger]:
        if self.fallbacks_in_a_row and consecutive >= self.fallbacks_in_a_row:
            return Trigger("repeated_misunderstanding", "normal")
        return None
