"""The least any desk in this stack could add: a Sanic WebSocket relay to Rasa, and nothing else.

    python -m bench.relay --port 8101 --rasa http://127.0.0.1:5011,http://127.0.0.1:5012

It speaks the widget's protocol just far enough for `SimulatedBuyer` (a signed
hello and the welcome, a message and its echo, the bot's answers) and relays
each line to Rasa with the desk's own client, picking the least busy replica. It stores
nothing, publishes nothing, checks no rule and hands nothing off: it is not a
desk, and must never serve buyers. `make bench-load` runs two of them in a
phase of their own, so the report shows how much of the desk's ratio over bare
Rasa any Python/Sanic desk would pay on this machine (a socket hop, JSON, the
event loop, and sharing the cores) before doing any of a desk's work.
"""
from __future__ import annotations

import argparse
import itertools
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import List, Sequence, Tuple

from sanic import Sanic

from harness.cluster import free_port
from shopbot import config
from shopbot.desk.rasa_client import RasaClient, RasaUnavailable
from shopbot.desk.signing import verified_account
from shopbot.desk.sanic_compat import patch_websocket_recv

ROOT = Path(__file__).resolve().parent.parent


def create_relay(name: str, rasa_urls: list) -> Sanic:
    """The relay app: one WebSocket route, Rasa's answers passed straight through."""
    patch_websocket_recv()
    cfg = config.load()
    app = Sanic(name)
    ids = itertools.count(1)

    @app.before_server_start
    async def start_client(app_, _loop):
        app_.ctx.rasa = RasaClient(rasa_urls, token=cfg.rasa_token, channel_token=cfg.channel_token)

    @app.after_server_stop
    async def close_client(app_, _loop):
        await app_.ctx.rasa.close()

    @app.websocket("/ws/buyer")
    async def buyer_socket(request, ws):
        hello = json.loads(await ws.recv())
        conversation_id = f"relay-{uuid.uuid4().hex[:12]}"
        await ws.send(json.dumps({"type": "welcome", "conversation_id": conversation_id}))
        # As the desk does: the account is the channel's signed one, never what the text claims.
        account = verified_account(hello.get("account"), hello.get("ts"), hello.get("sig"),
                                   cfg.desk_secret, cfg.signature_max_age)
        while True:
            raw = await ws.recv()
            if raw is None:
                return
            data = json.loads(raw)
            await ws.send(json.dumps({"type": "message", "message": {
                "id": next(ids), "sender": "buyer", "client_id": data.get("client_id"), "text": data["text"]}},
                ensure_ascii=False))
            try:
                replies = await request.app.ctx.rasa.send(conversation_id, data["text"], account)
            except RasaUnavailable:
                replies = [{"text": "Rasa unavailable"}]
            for reply in replies or [{"text": ""}]:  # silent (a handoff's payload only): still an answer
                await ws.send(json.dumps({"type": "message", "message": {
                    "id": next(ids), "sender": "bot", "text": reply.get("text") or ""}}, ensure_ascii=False))

    return app


def start_relays(rasa_urls: Sequence[str], count: int = 2, timeout: float = 60.0
                 ) -> Tuple[List[subprocess.Popen], List[str]]:
    """`count` relays on free ports, each in its own session (so its CPU is counted as its own role)."""
    processes, urls = [], []
    for _ in range(count):
        port = free_port()
        processes.append(subprocess.Popen([sys.executable, "-m", "bench.relay", "--port", str(port), "--rasa", ",".join(rasa_urls)], cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    give_up_at = time.monotonic() + timeout
    for process, url in zip(processes, urls):
        port = int(url.rsplit(":", 1)[1])
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > give_up_at:
                    for p in processes:
                        p.kill()
                    raise RuntimeError(f"the relay on {url} did not start")
                time.sleep(0.2)
    return processes, urls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rasa", required=True, help="Rasa replicas' base URLs, comma-separated")
    args = parser.parse_args(argv)
    app = create_relay(f"relay{args.port}", args.rasa.split(","))
    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
