"""Recognising which reply script produced a text the bot sent.

The REST channel returns rendered text only; matching it back against the
domain's templates ({slot} placeholders become wildcards, maybe empty) lets a test say "the
buyer got the out-of-stock reply" without hard-coding any sentence.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Pattern, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def _patterns() -> Dict[str, List[Pattern]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    patterns: Dict[str, List[Pattern]] = {}
    for name, variants in domain["responses"].items():
        for variant in variants:
            if "text" in variant:
                parts = re.split(r"\{[a-z_]+\}", variant["text"])
                regex = "(.*?)".join(re.escape(p) for p in parts)  # a value may be empty
                patterns.setdefault(name, []).append(re.compile(regex, re.S))
    return patterns


def responses_matching(text: str) -> Set[str]:
    return {name for name, regexes in _patterns().items()
            if any(r.fullmatch(text) for r in regexes)}
