"""A desk told to stop (a deploy, a restart) first answers the messages it is handling."""
import asyncio
import json
import threading
import time

from aiohttp import web

from shopbot.desk.signing import sign
from shopbot.desk.store import DeskStore
from tests.conftest import DESK_SECRET, DeskProcess, free_port

SLOW_REPLY = "亲,芒果干有货的哦"


def slow_rasa(seconds: float) -> str:
    """A Rasa stand-in that takes `seconds` to answer, in a thread of this test process."""
    port = free_port()
    ready = threading.Event()

    async def webhook(request):
        await asyncio.sleep(seconds)
        return web.json_response([{"recipient_id": "x", "text": SLOW_REPLY}])

    async def ok(request):
        return web.json_response({})

    def serve():
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        app.router.add_post("/conversations/{id}/tracker/events", ok)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    return f"http://127.0.0.1:{port}"


def test_a_stopped_desk_answers_the_message_rasa_is_still_working_on(tmp_path):
    desk = DeskProcess(tmp_path, slow_rasa(2.0))
    desk.start()

    async def send_then_stop():
        import aiohttp

        ts = int(time.time())
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(desk.url.replace("http", "ws") + "/ws/buyer") as ws:
                await ws.send_str(json.dumps({"type": "hello", "account": "tb_lily", "ts": ts,
                                              "sig": sign("tb_lily", ts, DESK_SECRET)}))
                conversation = json.loads((await ws.receive(timeout=10)).data)["conversation_id"]
                await ws.send_str(json.dumps({"type": "message", "client_id": "m1", "text": "芒果干有货吗"}))
                await asyncio.sleep(0.5)  # the message is now with (slow) Rasa
                desk.process.terminate()
                return conversation

    conversation = asyncio.run(send_then_stop())
    desk.process.wait(timeout=40)
    async def transcript():
        store = await DeskStore(desk.env["DESK_DB_URL"]).open()
        try:
            return await store.transcript(conversation)
        finally:
            await store.close()

    assert [(m.sender, m.text) for m in asyncio.run(transcript())] == [
        ("buyer", "芒果干有货吗"), ("bot", SLOW_REPLY)]
