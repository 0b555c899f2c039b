"""What an operator reads in a desk's log: each line once, and no line per widget opened."""
import asyncio
import json
import logging
import time

import aiohttp

from shopbot.desk.logs import WithoutHandshakeChatter
from shopbot.desk.signing import sign
from tests.conftest import DESK_SECRET, DeskProcess
from tests.test_desk_drain import slow_rasa


async def open_widgets(desk_url: str, count: int) -> None:
    ts = int(time.time())
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            async with http.ws_connect(desk_url.replace("http", "ws") + "/ws/buyer") as ws:
                await ws.send_str(json.dumps({"type": "hello", "account": "tb_lily", "ts": ts,
                                              "sig": sign("tb_lily", ts, DESK_SECRET)}))
                assert json.loads((await ws.receive(timeout=10)).data)["type"] == "welcome"
        async with http.ws_connect(desk_url.replace("http", "ws") + "/ws/buyer") as ws:
            await ws.send_str("not a hello")  # the desk's own line about it must still be there
            assert (await ws.receive(timeout=10)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


def test_a_desk_logs_sanic_once_and_no_line_per_widget(tmp_path):
    desk = DeskProcess(tmp_path, slow_rasa(0.0))
    desk.start()
    try:
        asyncio.run(open_widgets(desk.url, 5))
    finally:
        desk.stop()
    log = desk.log.read_text(encoding="utf-8")
    assert "connection open" not in log
    assert log.count("Starting worker") == 1
    assert log.count("Server Stopped") == 1
    assert "buyer socket closed before a valid hello" in log


def test_a_socket_failing_is_still_logged():
    keep = WithoutHandshakeChatter()

    def record(level, message):
        return logging.LogRecord("sanic.error", level, __file__, 1, message, None, None)

    assert not keep.filter(record(logging.INFO, "connection open"))
    assert keep.filter(record(logging.WARNING, "connection open"))
    assert keep.filter(record(logging.ERROR, "Exception occurred while handling uri"))
