"""Folding how buyers type into one form (no Rasa import: used by fast CLI tools too)."""
from __future__ import annotations

import unicodedata

import zhconv


def _fold_width(char: str) -> str:
    """Full-width ASCII (common with Chinese IMEs) to its half-width form."""
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def normalize_text(text: str) -> str:
    """Simplified characters, half-width ASCII, lower case; same length as the input."""
    if not text:
        return text
    folded = "".join(_fold_width(c) for c in text).lower()
    simplified = zhconv.convert(folded, "zh-cn")
    if len(simplified) != len(folded):
        # zhconv converts some phrases to phrases of another length; keep the
        # offsets valid by converting one character at a time instead.
        simplified = "".join(zhconv.convert(c, "zh-cn") or c for c in folded)
        if len(simplified) != len(folded):
            return folded
    return simplified
