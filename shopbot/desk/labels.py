"""The labels the console and the trainer page show for intents and reasons, from labels.yml.

One table (labels.yml beside this file) for both pages: the desk serves it as
a script that sets `window.ShopbotLabels`, loaded before desk-common.js.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import yaml

LABELS_FILE = Path(__file__).with_name("labels.yml")
# The tables labels.yml holds, each a code -> label mapping.
KINDS = ("intents", "handoff_reasons", "inbox_reasons")

Labels = Dict[str, Dict[str, str]]


def load_labels(path: Path = LABELS_FILE) -> Labels:
    """Every table in KINDS from the file; ValueError names what is missing or not a label."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    labels: Labels = {}
    for kind in KINDS:
        table = data.get(kind)
        if not isinstance(table, dict):
            raise ValueError(f"{path}: `{kind}:` must map each code to its label")
        bad = [code for code, label in table.items() if not isinstance(label, str) or not label.strip()]
        if bad:
            raise ValueError(f"{path}: `{kind}:` has no label for {', '.join(map(str, bad))}")
        labels[kind] = {str(code): label for code, label in table.items()}
    return labels


def labels_script(labels: Labels) -> str:
    """JavaScript that makes the labels `window.ShopbotLabels` (read by desk-common.js)."""
    return f"window.ShopbotLabels = {json.dumps(labels, ensure_ascii=False, sort_keys=True)};\n"
