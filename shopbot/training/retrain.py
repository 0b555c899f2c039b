"""Retrain, compare with the live model, and deploy only what is not worse.

A candidate is trained into models/ under a timestamped name, scored on the
held-out split next to the model Rasa is serving, and goes live through Rasa's
`PUT /model` (no restart) only when its macro-F1 is not below the live one by
more than the margin, or when the trainer overrides. Every deployed model stays
in models/ and in models/history.json, so `shopbot model rollback` can go back.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import requests

from shopbot import nlu_eval

EPOCHS = re.compile(r"Epochs:\s+(\d+)%")
HISTORY_FILE = "history.json"


class TrainingFailed(RuntimeError):
    pass


class DeployFailed(RuntimeError):
    pass


@dataclass
class IntentChange:
    intent: str
    live_f1: float
    candidate_f1: float

    @property
    def delta(self) -> float:
        return self.candidate_f1 - self.live_f1


@dataclass
class Comparison:
    live_macro_f1: float
    candidate_macro_f1: float
    live_accuracy: float
    candidate_accuracy: float
    n: int
    changes: List[IntentChange]
    margin: float
    confusion_matrix: Optional[str] = None
    passed: bool = False
    worse: List[str] = field(default_factory=list)

    def as_dict(self) -> Dict:
        data = asdict(self)
        data["changes"] = [dict(asdict(c), delta=round(c.delta, 4)) for c in self.changes]
        return data


def train_candidate(project_dir: Path, models_dir: Path,
                    progress: Callable[[int, str], None] = lambda pct, msg: None,
                    data_dir: Optional[Path] = None) -> Path:
    """Train a model from the project's data; calls progress(percent, message) as it goes."""
    models_dir.mkdir(parents=True, exist_ok=True)
    name = time.strftime("candidate-%Y%m%d-%H%M%S")
    rasa = Path(sys.executable).parent / "rasa"
    command = [str(rasa), "train", "--force", "--out", str(models_dir), "--fixed-model-name", name,
               "--data", str(data_dir or project_dir / "data"),
               "--domain", str(project_dir / "domain.yml"), "--config", str(project_dir / "config.yml")]
    progress(2, "准备训练数据")
    process = subprocess.Popen(command, cwd=project_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    buffer, tail = "", []
    assert process.stderr is not None
    while True:
        chunk = process.stderr.read(256)
        if not chunk:
            break
        buffer += chunk.decode("utf-8", "replace")
        *parts, buffer = re.split(r"[\r\n]", buffer)
        for part in parts:
            match = EPOCHS.search(part)
            if match:
                progress(5 + int(match.group(1)) * 85 // 100, f"训练中 {match.group(1)}%")
            elif part.strip():
                tail = (tail + [part])[-20:]
    if process.wait() != 0:
        raise TrainingFailed("training failed:\n" + "\n".join(tail[-8:]))
    model = models_dir / f"{name}.tar.gz"
    if not model.exists():
        raise TrainingFailed(f"training finished but {model} is missing")
    progress(90, "训练完成")
    return model


def compare(live_model: Path, candidate_model: Path, test_file: Path, margin: float,
            out_dir: Optional[Path] = None) -> Comparison:
    """Both models on the held-out split; the gate's verdict and which intents got worse."""
    examples = nlu_eval.load_examples(test_file)
    texts = [t for t, _ in examples]
    gold = [i for _, i in examples]
    live_pred = nlu_eval.predict(live_model, texts)
    cand_pred = nlu_eval.predict(candidate_model, texts)
    live = nlu_eval.score(gold, live_pred, texts)
    cand = nlu_eval.score(gold, cand_pred, texts)
    changes = [IntentChange(i, live.per_intent[i].f1, cand.per_intent[i].f1) for i in live.per_intent]
    png = None
    if out_dir is not None:
        png = str(nlu_eval.plot_confusion_matrix(gold, cand_pred, out_dir / "confusion_matrix.png"))
    comparison = Comparison(live.macro_f1, cand.macro_f1, live.accuracy, cand.accuracy, cand.n,
                            changes, margin, png)
    comparison.worse = [c.intent for c in sorted(changes, key=lambda c: c.delta) if c.delta < -1e-9]
    comparison.passed = cand.macro_f1 >= live.macro_f1 - margin
    return comparison


# -- the live model and its history ------------------------------------------------------
def live_model_path(rasa_url: str, token: Optional[str] = None, models_dir: Path = Path("models")) -> Path:
    """The model file Rasa serves now (its /status names it relative to the models folder)."""
    try:
        status = requests.get(f"{rasa_url}/status", params={"token": token} if token else {}, timeout=10)
        status.raise_for_status()
    except requests.RequestException as error:
        raise DeployFailed(f"Rasa at {rasa_url} is not reachable: {error}") from error
    reported = Path(status.json()["model_file"])
    for candidate in (reported, models_dir / reported, models_dir / reported.name,
                      models_dir / "candidates" / reported.name):
        if candidate.exists():
            return candidate
    raise DeployFailed(f"Rasa serves {reported}, which is not in {models_dir}")


def deploy(rasa_url: str, model: Path, models_dir: Path, token: Optional[str] = None) -> None:
    """Make Rasa serve `model` now (PUT /model) and record it in the history."""
    try:
        response = requests.put(f"{rasa_url}/model", json={"model_file": str(model.resolve())},
                                params={"token": token} if token else {}, timeout=300)
    except requests.RequestException as error:
        raise DeployFailed(f"Rasa at {rasa_url} is not reachable: {error}") from error
    if response.status_code != 204:
        raise DeployFailed(f"Rasa refused the model ({response.status_code}): {response.text[:300]}")
    history = read_history(models_dir)
    history.append({"model": str(model.resolve()), "deployed_at": time.time()})
    (models_dir / HISTORY_FILE).write_text(json.dumps(history, indent=2), encoding="utf-8")


def read_history(models_dir: Path) -> List[Dict]:
    path = models_dir / HISTORY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def rollback(rasa_url: str, models_dir: Path, token: Optional[str] = None) -> Path:
    """Serve the model deployed before the current one again."""
    history = read_history(models_dir)
    current = str(live_model_path(rasa_url, token, models_dir).resolve())
    earlier = [h["model"] for h in history if h["model"] != current and Path(h["model"]).exists()]
    if not earlier:
        default = models_dir / "shopbot.tar.gz"
        if default.exists() and str(default.resolve()) != current:
            earlier = [str(default.resolve())]
    if not earlier:
        raise DeployFailed("there is no earlier model to roll back to")
    previous = Path(earlier[-1])
    deploy(rasa_url, previous, models_dir, token)
    return previous
