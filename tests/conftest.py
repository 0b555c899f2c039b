"""Shared fixtures: project paths and a live Rasa + action server for REST tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests
# Imported before any test runs: importing Sanic puts a filter that shows every DeprecationWarning
# in front of pytest's own, for the rest of whichever test imported it first.
import sanic  # noqa: F401
import yaml

from harness.cluster import free_port
from harness.tokens import channel_headers, rasa_api  # noqa: F401 (tests import them from here)
from tests.desk_support import DESK_SECRET, SAMPLE_NOW  # noqa: F401 (tests import them from here too)

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "shopbot.tar.gz"
BIN = Path(sys.executable).parent
# How our servers start (python -m shopbot.rasa_ext): Rasa's command line, our extensions applied.
RASA = [sys.executable, "-m", "shopbot.rasa_ext"]


# First, so that xdist sees the groups when it names each test's group.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Groups for `pytest -n 2` (make test runs the tests on both cores): a module's tests
    stay together so its module-scoped servers and trainings start once; the tests of the
    machine's PostgreSQL and Redis run one at a time, since some of them restart a server;
    the tests of the session's live Rasa (`rasa_url`) share one worker, so it starts once."""
    for item in items:
        if item.get_closest_marker("local_services"):
            group = "local_services"
        elif "rasa_url" in item.fixturenames:
            group = "live_rasa"
        else:
            group = item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))


# The internal tokens of the servers the tests start (make test exports the checkout's own).
TOKEN_NAMES = ("RASA_TOKEN", "CHANNEL_TOKEN", "ACTIONS_TOKEN")


def pytest_configure(config):
    for name in TOKEN_NAMES:
        os.environ.setdefault(name, f"test-{name.lower().replace('_', '-')}")


def rasa_command(model, port: int) -> list:
    """`rasa run` as `make run` starts it: the API behind RASA_TOKEN, on 127.0.0.1 only."""
    return [*RASA, "run", "--enable-api", "--interface", "127.0.0.1",
            "--model", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
            "--port", str(port)]


def actions_command(port: int) -> list:
    return [*RASA, "run", "actions", "--actions", "actions", "--port", str(port)]


# What a project needs to train and to answer: the rest is code, installed in the venv.
ASSISTANT_FILES = ("data", "shop", "domain.yml", "config.yml")


def copy_project(dest: Path, names=ASSISTANT_FILES, diet_epochs: Optional[int] = None) -> Path:
    """A private copy of the project's files, for tests that label, train or deploy;
    with `diet_epochs`, its classifier trains for that many epochs (set_diet_epochs)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, dest / name)
    if diet_epochs is not None:
        set_diet_epochs(dest / "config.yml", diet_epochs)
    return dest


def set_diet_epochs(config_file: Path, epochs: int) -> None:
    """Train the project's classifier for `epochs` only: for tests about a training's
    workflow, not about the shipped model's quality (a few epochs train in seconds)."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["epochs"] = epochs
            # Rasa warns when its (unused) evaluation interval is longer than the training.
            component["evaluate_every_number_of_epochs"] = epochs
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 360) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited while starting:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


SERVER_LOGS = {}  # name -> log file of the session's `rasa_url` servers


@pytest.fixture(scope="session")
def server_logs(rasa_url):
    """The logs of the Rasa server and the action server behind `rasa_url`."""
    return SERVER_LOGS


@pytest.fixture(scope="session")
def rasa_url(tmp_path_factory):
    """A real Rasa server and action server, started as `make run` starts them."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    tmp = tmp_path_factory.mktemp("rasa")
    rasa_port, actions_port = free_port(), free_port()
    env = dict(os.environ, ACTIONS_PORT=str(actions_port), TRACKER_DB=str(tmp / "trackers.db"),
               TF_CPP_MIN_LOG_LEVEL="2", SHOP_NOW=SAMPLE_NOW, SANIC_HOST="127.0.0.1",
               SHOP_DB_URL=f"sqlite:///{tmp / 'shop.db'}")
    actions_log, rasa_log = tmp / "actions.log", tmp / "rasa.log"
    SERVER_LOGS.update(actions=actions_log, rasa=rasa_log)
    actions = subprocess.Popen(actions_command(actions_port), cwd=ROOT, env=env,
                               stdout=actions_log.open("w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(rasa_command(MODEL, rasa_port), cwd=ROOT, env=env,
                            stdout=rasa_log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", actions, actions_log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/version", rasa, rasa_log)
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process in (rasa, actions):
            process.terminate()
        for process in (rasa, actions):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture()
def shop(tmp_path):
    """The real shop files in a fresh SQLite database, the clock pinned to SAMPLE_NOW.

    Installed as the process's shop, so actions run in the test see exactly it.
    """
    from datetime import datetime

    from shopbot.shop.policy import ShopPolicy
    from shopbot.shop.service import Shop, reset_shop
    from shopbot.shop.store import ShopStore

    store = ShopStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.sync_from_files(ROOT / "shop")
    test_shop = Shop(ShopPolicy(ROOT / "shop"), store, lambda: datetime.fromisoformat(SAMPLE_NOW))
    reset_shop(test_shop)
    yield test_shop
    reset_shop(None)



class DeskProcess:
    """A `python -m shopbot.desk` process; restartable on the same database."""

    def __init__(self, tmp: Path, rasa: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "desk.log"
        # The buyers' limits are for real buyers (tests/test_desk_limits.py); every test buyer
        # here comes from 127.0.0.1, and the hostile-input run sends hundreds of lines a socket.
        self.env = dict(os.environ, DESK_PORT=str(self.port), DESK_DB_URL=f"sqlite:///{tmp / 'desk.db'}",
                        RASA_URL=rasa, DESK_SECRET=DESK_SECRET, SHOP_NOW=SAMPLE_NOW,
                        SHOP_DB_URL=f"sqlite:///{tmp / 'desk-shop.db'}",
                        DESK_SOCKET_RATE="100000,100000", DESK_ADDRESS_RATE="100000,100000",
                        DESK_CHATS_RATE="100000,100000", DESK_REMIND_EVERY="0", PHOTO_DIR=str(tmp / "uploads"),
                        DESK_DEMO="1")  # the storefront signs ?account= as a shop's server would
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-m", "shopbot.desk"], cwd=ROOT, env=self.env,
                                        stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        wait_until_up(f"{self.url}/health", self.process, self.log, timeout=60)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def add_user(self, username, password, role="agent"):
        subprocess.run([BIN / "shopbot", "user", "add", username, "--password", password, "--role", role],
                       cwd=ROOT, env=self.env, check=True, capture_output=True)


@pytest.fixture(scope="session")
def desk(rasa_url, tmp_path_factory):
    """The desk in front of the live Rasa, with agents alice and bob (password agentpass1)."""
    process = DeskProcess(tmp_path_factory.mktemp("desk"), rasa_url)
    process.add_user("alice", "agentpass1")
    process.add_user("bob", "agentpass1")
    process.start()
    yield process
    process.stop()


class ProjectStack:
    """Rasa, the action server and the desk running in a private copy of the project.

    Trainer tests label, retrain and deploy; doing that in a copy keeps the
    repository's data and models untouched.
    """

    def __init__(self, tmp: Path, diet_epochs: Optional[int] = None, model: Path = MODEL):
        self.dir = copy_project(tmp / "project", ASSISTANT_FILES + ("endpoints.yml", "credentials.yml"), diet_epochs)
        (self.dir / "tests").mkdir()
        shutil.copy(ROOT / "tests" / "nlu_test.yml", self.dir / "tests" / "nlu_test.yml")
        (self.dir / "models").mkdir()
        shutil.copy(model, self.dir / "models" / "shopbot.tar.gz")
        self.rasa_port, self.actions_port, self.desk_port = free_port(), free_port(), free_port()
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.desk_url = f"http://127.0.0.1:{self.desk_port}"
        self.env = dict(os.environ, ACTIONS_PORT=str(self.actions_port), RASA_PORT=str(self.rasa_port),
                        TRACKER_DB=str(self.dir / "trackers.db"), TF_CPP_MIN_LOG_LEVEL="2",
                        SHOP_NOW=SAMPLE_NOW, SHOP_DB_URL=f"sqlite:///{self.dir / 'shop.db'}",
                        DESK_PORT=str(self.desk_port), DESK_DB_URL=f"sqlite:///{self.dir / 'desk.db'}",
                        RASA_URL=self.rasa_url, DESK_SECRET=DESK_SECRET, SANIC_HOST="127.0.0.1",
                        DESK_REMIND_EVERY="0")
        self.processes = []

    def _start(self, args, log_name, health):
        log = self.dir / log_name
        process = subprocess.Popen(args, cwd=self.dir, env=self.env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_until_up(health, process, log)
        return process

    def start_actions(self):
        self.actions = self._start(actions_command(self.actions_port), "actions.log",
                                   f"http://127.0.0.1:{self.actions_port}/health")

    def kill_actions(self):
        self.actions.kill()
        self.actions.wait(timeout=20)

    def start(self):
        self.start_actions()
        self.rasa = self._start(rasa_command("models/shopbot.tar.gz", self.rasa_port), "rasa.log",
                                f"{self.rasa_url}/version")
        self.desk = self._start([sys.executable, "-m", "shopbot.desk"], "desk.log", f"{self.desk_url}/health")
        return self

    def run(self, *args, check=False):
        return subprocess.run([str(a) for a in args], cwd=self.dir, env=self.env, capture_output=True,
                              text=True, check=check)

    def stop(self):
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def trainer_stack(tmp_path_factory, diet_epochs: Optional[int] = None, model: Path = MODEL) -> Iterator[ProjectStack]:
    """A ProjectStack serving `model`, with a trainer (tina), an agent (alice) and the admin (olga)."""
    stack = ProjectStack(tmp_path_factory.mktemp("stack"), diet_epochs, model).start()
    stack.run(BIN / "shopbot", "user", "add", "tina", "--role", "trainer", "--password", "trainerpass1", check=True)
    stack.run(BIN / "shopbot", "user", "add", "olga", "--role", "admin", "--password", "adminpass1", check=True)
    stack.run(BIN / "shopbot", "user", "add", "alice", "--password", "agentpass1", check=True)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def project_stack(tmp_path_factory):
    yield from trainer_stack(tmp_path_factory)
