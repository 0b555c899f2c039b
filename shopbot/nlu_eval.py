"""Evaluate a trained model's intent classification on any Rasa NLU YAML file.

Used by `make bench-nlu`, by the NLU gate in `make test`, and by the trainers'
deploy gate. Counting rules: an intent in the file that the model does not know
is simply a miss, and a message the model declines (nlu_fallback) is a miss too:
the buyer gets "please rephrase", not the answer.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

FALLBACK_INTENT = "nlu_fallback"


@dataclass
class IntentScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    per_intent: Dict[str, IntentScores]
    accuracy: float
    macro_f1: float
    n: int
    fallbacks: int
    errors: List[Tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted

    def summary_line(self) -> str:
        return f"accuracy={self.accuracy:.3f} macro_f1={self.macro_f1:.3f} n={self.n}"


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, in file order."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


# Punctuation as buyers type it in chat (either width).
BUYER_PUNCTUATION = set("，,。.？?！!~～、；;：:…")


def shape_of(texts: Sequence[str]) -> Dict[str, float]:
    """How lines look: their count, median length, and the shares longer than 15
    characters and carrying punctuation (training data must look like real buyers)."""
    lengths = sorted(len(text) for text in texts)
    count = len(lengths)
    return {"lines": count,
            "median_length": lengths[count // 2] if count else 0,
            "longer_than_15": sum(length > 15 for length in lengths) / count if count else 0.0,
            "with_punctuation": (sum(any(ch in BUYER_PUNCTUATION for ch in text) for text in texts) / count
                                 if count else 0.0)}


def score(gold: Sequence[str], predicted: Sequence[str], texts: Sequence[str]) -> Report:
    """Per-intent precision/recall/F1 over the intents of the gold labels."""
    labels = sorted(set(gold))
    per_intent: Dict[str, IntentScores] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = IntentScores(precision, recall, f1, tp + fn)
    n = len(gold)
    correct = sum(1 for g, p in zip(gold, predicted) if g == p)
    return Report(
        per_intent=per_intent,
        accuracy=correct / n if n else 0.0,
        macro_f1=sum(s.f1 for s in per_intent.values()) / len(labels) if labels else 0.0,
        n=n,
        fallbacks=sum(1 for p in predicted if p == FALLBACK_INTENT),
        errors=[(t, g, p) for t, g, p in zip(texts, gold, predicted) if g != p],
    )


def quiet_rasa() -> None:
    """Rasa logs every parse at debug level; an evaluation wants only its table."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from shopbot.rasa_ext import warning_filters

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    warning_filters.reapply()  # Rasa's own filters just went in front of PYTHONWARNINGS

async def _predict(model_path: Path, texts: Sequence[str]) -> List[str]:
    from rasa.core.agent import Agent

    from shopbot import rasa_ext

    rasa_ext.apply()  # our Rasa only, loaded and run as our Rasa replicas run it, and sooner
    quiet_rasa()

    agent = Agent.load(str(model_path))
    predicted = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predicted.append((parsed.get("intent") or {}).get("name") or "")
    return predicted


def predict(model_path: Path, texts: Sequence[str]) -> List[str]:
    """The intent the model (fallback included) gives each text."""
    return asyncio.run(_predict(model_path, texts))


def evaluate(model_path: Path, data_path: Path) -> Report:
    examples = load_examples(data_path)
    texts = [t for t, _ in examples]
    gold = [i for _, i in examples]
    return score(gold, predict(model_path, texts), texts)


def plot_confusion_matrix(report_gold: Sequence[str], predicted: Sequence[str], path: Path) -> Path:
    """A confusion-matrix PNG (rows: true intent, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(set(report_gold) | set(predicted))
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(report_gold, predicted):
        matrix[index[g]][index[p]] += 1
    size = max(8, len(labels) * 0.45)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > max(map(max, matrix)) / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
