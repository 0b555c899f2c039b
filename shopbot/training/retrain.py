"""Retrain, compare with the live model, and deploy only what is not worse.

A candidate is trained into models/ under a timestamped name, scored on the
held-out split next to the model Rasa is serving, and goes live through Rasa's
`PUT /model` (no restart) only when its macro-F1 is not below the live one by
more than the margin, or when the trainer overrides. Every deployed model stays
in models/ and in models/history.json, so `shopbot model rollback` can go back.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import requests

from shopbot import nlu_eval

logger = logging.getLogger(__name__)

EPOCHS = re.compile(r"Epochs:\s+(\d+)%")
HISTORY_FILE = "history.json"
LIVE_FILE = "live.tar.gz"


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


# A fine-tuning run trains this share of config.yml's epochs, starting from the live model,
# and at least FINETUNE_MIN_EPOCHS: one epoch moves a new label only part of the way.
FINETUNE_EPOCH_FRACTION = 0.2
FINETUNE_MIN_EPOCHS = 3


def finetune_fraction(config_file: Path) -> float:
    """The share of the classifier's epochs a fine-tuning run trains (see FINETUNE_MIN_EPOCHS)."""
    import yaml

    try:
        pipeline = (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("pipeline") or []
        epochs = next(int(c.get("epochs", 300)) for c in pipeline if c.get("name") == "DIETClassifier")
    except (OSError, StopIteration, ValueError, TypeError, AttributeError):
        return FINETUNE_EPOCH_FRACTION
    return min(1.0, max(FINETUNE_EPOCH_FRACTION, FINETUNE_MIN_EPOCHS / max(epochs, 1)))


def train_candidate(project_dir: Path, models_dir: Path,
                    progress: Callable[[int, str], None] = lambda pct, msg: None,
                    data_dir: Optional[Path] = None, finetune_from: Optional[Path] = None) -> Path:
    """Train a model from the project's data; calls progress(percent, message) as it goes.

    With `finetune_from` (the live model), Rasa's incremental training goes on from it
    for a fraction of the epochs: what a trainer's new labels need, in a fraction of
    the time. Rasa refuses it when more than examples changed (the pipeline, the
    domain, a new intent): then the model is trained from scratch.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    name = time.strftime("candidate-%Y%m%d-%H%M%S")
    rasa = Path(sys.executable).parent / "rasa"
    command = [str(rasa), "train", "--force", "--out", str(models_dir), "--fixed-model-name", name,
               "--data", str(data_dir or project_dir / "data"),
               "--domain", str(project_dir / "domain.yml"), "--config", str(project_dir / "config.yml")]
    progress(2, "准备训练数据")
    if finetune_from is not None and finetune_from.exists():
        try:
            fraction = finetune_fraction(project_dir / "config.yml")
            # Rasa fine-tunes only when nothing but examples changed, and those come from the
            # trainers' labelling: the data checks (several seconds) have nothing to find.
            return _run_training(command + ["--finetune", str(finetune_from), "--epoch-fraction", f"{fraction:.3f}",
                                            "--skip-validation"],
                                 project_dir, models_dir / f"{name}.tar.gz", progress)
        except TrainingFailed as error:
            logger.warning("fine-tuning %s was refused, training from scratch: %s", finetune_from, error)
            progress(3, "无法在线上模型上增量训练,改为完整训练")
    return _run_training(command, project_dir, models_dir / f"{name}.tar.gz", progress)


def _run_training(command: List[str], project_dir: Path, model: Path,
                  progress: Callable[[int, str], None]) -> Path:
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


def deploy(rasa_urls: Union[str, Sequence[str]], model: Path, models_dir: Path,
           token: Optional[str] = None) -> None:
    """Make every Rasa replica serve `model` now (PUT /model), or none of them.

    Replicas answering with different models would give one buyer two bots, so a
    replica refusing puts those already switched back on the model they served.
    The model is also linked as models/live.tar.gz, the newest file there, which
    is what a replica restarted later loads (`run --model models`).
    """
    urls = every_replica([rasa_urls] if isinstance(rasa_urls, str) else rasa_urls)
    switched: List[Tuple[str, Path]] = []
    for url in urls:
        try:
            served = live_model_path(url, token, models_dir)
            _put_model(url, model, token)
        except DeployFailed as error:
            for done_url, previous in switched:
                try:
                    _put_model(done_url, previous, token)
                except DeployFailed:
                    pass  # reported below: that replica is as broken as the one that refused
            undone = f"; {len(switched)} replica(s) switched before it serve their previous model again" \
                if switched else ""
            raise DeployFailed(f"{error}{undone}") from error
        switched.append((url, served))
    _link_live(model, models_dir)
    history = read_history(models_dir)
    history.append({"model": str(model.resolve()), "deployed_at": time.time()})
    (models_dir / HISTORY_FILE).write_text(json.dumps(history, indent=2), encoding="utf-8")


def every_replica(urls: Sequence[str]) -> List[str]:
    """One URL per replica: a name with several addresses (compose's `rasa` with
    two replicas behind it) stands for each of them, not for whichever answers."""
    found: List[str] = []
    for url in urls:
        parts = urlsplit(url)
        try:
            addresses = sorted({info[4][0] for info in socket.getaddrinfo(
                parts.hostname, parts.port or 80, socket.AF_INET, socket.SOCK_STREAM)})
        except (socket.gaierror, UnicodeError):
            addresses = []  # unresolvable: the PUT will say so
        if len(addresses) < 2:
            found.append(url)
            continue
        for address in addresses:
            found.append(urlunsplit(parts._replace(netloc=f"{address}:{parts.port}" if parts.port else address)))
    return list(dict.fromkeys(found))


def _put_model(rasa_url: str, model: Path, token: Optional[str]) -> None:
    try:
        response = requests.put(f"{rasa_url}/model", json={"model_file": str(model.resolve())},
                                params={"token": token} if token else {}, timeout=300)
    except requests.RequestException as error:
        raise DeployFailed(f"Rasa at {rasa_url} is not reachable: {error}") from error
    if response.status_code != 204:
        raise DeployFailed(f"Rasa at {rasa_url} refused the model ({response.status_code}): "
                           f"{response.text[:300]}")


def _link_live(model: Path, models_dir: Path) -> None:
    """models/live.tar.gz: the deployed model, marked newest so a restarted replica loads it."""
    live = models_dir / LIVE_FILE
    if model.resolve() == live.resolve():
        os.utime(live)
        return
    staged = models_dir / (LIVE_FILE + ".new")
    staged.unlink(missing_ok=True)
    try:
        os.link(model, staged)
    except OSError:  # another file system: a copy does as well
        shutil.copyfile(model, staged)
    os.utime(staged)
    os.replace(staged, live)


def read_history(models_dir: Path) -> List[Dict]:
    path = models_dir / HISTORY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def rollback(rasa_urls: Union[str, Sequence[str]], models_dir: Path, token: Optional[str] = None) -> Path:
    """Serve the model deployed before the current one again, on every replica."""
    urls = [rasa_urls] if isinstance(rasa_urls, str) else list(rasa_urls)
    history = read_history(models_dir)
    current = live_model_path(urls[0], token, models_dir)  # may be live.tar.gz, a link to a deployed one

    def is_current(path: Path) -> bool:
        return path.exists() and os.path.samefile(path, current)

    earlier = [h["model"] for h in history if Path(h["model"]).exists() and not is_current(Path(h["model"]))]
    if not earlier:
        default = models_dir / "shopbot.tar.gz"
        if default.exists() and not is_current(default):
            earlier = [str(default.resolve())]
    if not earlier:
        raise DeployFailed("there is no earlier model to roll back to")
    previous = Path(earlier[-1])
    deploy(urls, previous, models_dir, token)
    return previous
