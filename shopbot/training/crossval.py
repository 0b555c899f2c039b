"""Cross-validation of the training data itself (Rasa's `rasa test nlu --cross-validation`).

The held-out split says how the model does on new text; cross-validation says
how consistent the training examples are with each other: an intent whose
examples keep being mistaken for another one is a labelling problem to fix.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict


class CrossValidationFailed(RuntimeError):
    pass


def cross_validate(project_dir: Path, folds: int = 3, config: Path | None = None,
                   data_dir: Path | None = None) -> Dict[str, Dict[str, float]]:
    """intent -> {precision, recall, f1, support} averaged over `folds` folds, plus 'macro avg'."""
    rasa = Path(sys.executable).parent / "rasa"
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [str(rasa), "test", "nlu", "--cross-validation", "--folds", str(folds),
             "--nlu", str(data_dir or project_dir / "data"), "--config", str(config or project_dir / "config.yml"),
             "--out", out, "--no-plot"],
            cwd=project_dir, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        report = Path(out) / "intent_report.json"
        if result.returncode != 0 or not report.exists():
            raise CrossValidationFailed((result.stderr or result.stdout)[-1500:])
        raw = json.loads(report.read_text(encoding="utf-8"))
    table = {}
    for intent, scores in raw.items():
        if isinstance(scores, dict) and "f1-score" in scores:
            table[intent] = {"precision": scores["precision"], "recall": scores["recall"],
                             "f1": scores["f1-score"], "support": scores["support"]}
    return table
