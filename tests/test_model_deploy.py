"""A trainer's deploy reaches every Rasa replica, or none of them.

Two replicas answering with different models would give one buyer two bots in
one chat, and a replica restarted after a deploy must not come back with the
old model. The replicas here are stand-ins speaking Rasa's /status and
PUT /model, so a refusal can be staged.
"""
import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.cluster import free_port
from shopbot.training.retrain import DeployFailed, deploy, read_history, rollback


class Replica:
    """A Rasa replica's model endpoints: what it serves, and whether it takes a new model."""

    def __init__(self, serving: Path, refuses: bool = False, address: str = "127.0.0.1", port: int = 0):
        self.serving, self.refuses = str(serving), refuses
        replica = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = json.dumps({"model_file": replica.serving}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                wanted = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["model_file"]
                if replica.refuses:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                replica.serving = wanted
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.url = f"http://{address}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def models(tmp_path):
    (tmp_path / "candidates").mkdir()
    for name in ("shopbot.tar.gz", "candidates/first.tar.gz", "candidates/second.tar.gz"):
        (tmp_path / name).write_bytes(name.encode())
    return tmp_path


@pytest.fixture
def replicas(models):
    started = []

    def start(*refusing):
        for refuses in refusing:
            started.append(Replica(models / "shopbot.tar.gz", refuses))
        return started

    yield start
    for replica in started:
        replica.server.shutdown()


def newest_in(models: Path) -> Path:
    """The model `run --model models` loads: the newest file directly in the folder."""
    return max(models.glob("*.tar.gz"), key=os.path.getmtime)


def test_a_deploy_switches_every_replica_and_a_restarted_one_loads_the_same_model(models, replicas):
    first, second = replicas(False, False)
    candidate = models / "candidates" / "first.tar.gz"
    time.sleep(0.01)  # mtimes must be able to differ from the training's

    deploy([first.url, second.url], candidate, models)

    assert first.serving == second.serving == str(candidate.resolve())
    assert newest_in(models).samefile(candidate)
    assert [Path(h["model"]) for h in read_history(models)] == [candidate.resolve()]


def test_a_replica_refusing_puts_the_ones_already_switched_back(models, replicas):
    first, refusing = replicas(False, True)

    with pytest.raises(DeployFailed) as failure:
        deploy([first.url, refusing.url], models / "candidates" / "first.tar.gz", models)

    assert refusing.url in str(failure.value)
    assert "previous model" in str(failure.value)
    assert first.serving == refusing.serving == str(models / "shopbot.tar.gz")
    assert newest_in(models).name == "shopbot.tar.gz"
    assert read_history(models) == []


def test_a_replica_down_stops_the_deploy_before_anything_changes(models, replicas):
    (up,) = replicas(False)

    with pytest.raises(DeployFailed, match="not reachable"):
        deploy([up.url, "http://127.0.0.1:9"], models / "candidates" / "first.tar.gz", models)

    assert up.serving == str(models / "shopbot.tar.gz")


def test_rollback_returns_every_replica_to_the_model_before(models, replicas):
    first, second = replicas(False, False)
    urls = [first.url, second.url]
    deploy(urls, models / "candidates" / "first.tar.gz", models)
    deploy(urls, models / "candidates" / "second.tar.gz", models)
    second.serving = str(models / "live.tar.gz")  # restarted since: it loaded the live link

    previous = rollback(urls, models)

    assert previous == (models / "candidates" / "first.tar.gz").resolve()
    assert first.serving == second.serving == str(previous)
    assert newest_in(models).samefile(previous)


def test_a_service_name_with_two_addresses_is_deployed_to_both(models, monkeypatch):
    """A replicated service's name (compose's `deploy: replicas`) resolves to every replica; the deploy reaches each."""
    port = free_port()
    # All of 127/8 is this machine: two replicas on one port, as two containers would be.
    both = [Replica(models / "shopbot.tar.gz", address=a, port=port) for a in ("127.0.0.1", "127.0.0.2")]
    real = socket.getaddrinfo

    def compose_dns(host, *args, **kwargs):
        if host == "rasa":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("127.0.0.1", "127.0.0.2")]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", compose_dns)
    try:
        deploy(f"http://rasa:{port}", models / "candidates" / "first.tar.gz", models)
    finally:
        for replica in both:
            replica.server.shutdown()

    assert [r.serving for r in both] == [str((models / "candidates" / "first.tar.gz").resolve())] * 2


# -- a label going live by fine-tuning ----------------------------------------------------
def test_a_retrain_fine_tunes_the_live_model_and_trains_from_scratch_when_rasa_refuses(tmp_path, monkeypatch):
    from shopbot.training import retrain

    live = tmp_path / "live.tar.gz"
    live.write_bytes(b"model")
    shutil.copy(Path(__file__).resolve().parent.parent / "config.yml", tmp_path / "config.yml")  # 20 epochs
    commands = []

    def rasa_train(command, project_dir, model, progress):
        commands.append(command)
        if "--finetune" in command:
            raise retrain.TrainingFailed("Cannot finetune: the domain changed")
        model.write_bytes(b"new model")
        return model

    monkeypatch.setattr(retrain, "_run_training", rasa_train)
    model = retrain.train_candidate(tmp_path, tmp_path / "candidates", finetune_from=live)
    assert model.exists()
    finetune, full = commands
    assert finetune[finetune.index("--finetune") + 1] == str(live)
    assert float(finetune[finetune.index("--epoch-fraction") + 1]) == retrain.FINETUNE_EPOCH_FRACTION
    assert "--finetune" not in full
    # Only examples can change under a fine-tuning; a full training checks the data again.
    assert "--skip-validation" in finetune and "--skip-validation" not in full

    commands.clear()
    monkeypatch.setattr(retrain, "_run_training", lambda command, project_dir, model, progress: (
        commands.append(command), model.write_bytes(b"tuned"), model)[-1])
    retrain.train_candidate(tmp_path, tmp_path / "candidates", finetune_from=live)
    assert len(commands) == 1 and "--finetune" in commands[0]  # accepted: no second training


def test_a_short_training_fine_tunes_for_at_least_three_epochs(tmp_path):
    from shopbot.training import retrain

    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: DIETClassifier\n    epochs: 5\n", encoding="utf-8")
    assert retrain.finetune_fraction(config) == 0.6
    config.write_text("pipeline:\n  - name: DIETClassifier\n    epochs: 100\n", encoding="utf-8")
    assert retrain.finetune_fraction(config) == retrain.FINETUNE_EPOCH_FRACTION
