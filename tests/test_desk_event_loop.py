"""Buyers are answered while the desk does slow work for agents (it never holds its event loop)."""
import asyncio
import json
import time

import aiohttp

from shopbot.desk.frames import events_in
from shopbot.desk.signing import sign
from tests.conftest import DESK_SECRET, DeskProcess
from tests.test_desk_drain import SLOW_REPLY, slow_rasa

WRONG_PASSWORDS = 30  # about 50 ms of scrypt each, one per name (no name reaches the login throttle)


async def answer_during_a_burst_of_wrong_passwords(desk: DeskProcess) -> int:
    """How many of the wrong passwords had been refused when the buyer's answer came."""
    refused = 0
    ts = int(time.time())
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async with http.ws_connect(desk.url.replace("http", "ws") + "/ws/buyer") as ws:
            await ws.send_str(json.dumps({"type": "hello", "account": "tb_lily", "ts": ts,
                                          "sig": sign("tb_lily", ts, DESK_SECRET)}))
            assert json.loads((await ws.receive(timeout=10)).data)["type"] == "welcome"

            async def wrong_login(username: str) -> None:
                nonlocal refused
                async with http.post(f"{desk.url}/api/login",
                                     json={"username": username, "password": "guess"}) as response:
                    assert response.status == 401
                    refused += 1

            names = ["alice"] + [f"guess{number}" for number in range(WRONG_PASSWORDS - 1)]
            logins = [asyncio.ensure_future(wrong_login(name)) for name in names]
            while refused == 0:  # the checks are under way
                await asyncio.sleep(0.005)
            await ws.send_str(json.dumps({"type": "message", "client_id": "m1", "text": "芒果干有货吗",
                                          "resend": False}))
            answered_with = None
            while answered_with is None:
                for event in events_in(json.loads((await ws.receive(timeout=30)).data)):
                    if event.get("type") == "message" and event["message"]["sender"] == "bot":
                        assert event["message"]["text"] == SLOW_REPLY
                        answered_with = refused
            await asyncio.gather(*logins)
    assert refused == WRONG_PASSWORDS
    return answered_with


def test_a_buyer_is_answered_while_a_burst_of_wrong_passwords_is_checked(tmp_path):
    desk = DeskProcess(tmp_path, slow_rasa(0.0))
    desk.env["DESK_LOGIN_RATE"] = "1000,1000"  # the loop's responsiveness under the checks, not the limit
    desk.add_user("alice", "agentpass1")
    desk.start()
    try:
        refused_before_the_answer = asyncio.run(answer_during_a_burst_of_wrong_passwords(desk))
    finally:
        desk.stop()
    # Checked on the event loop, every password queued before the line was checked first.
    assert refused_before_the_answer < WRONG_PASSWORDS // 2
