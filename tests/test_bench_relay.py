"""The load bench's relay answers the widget's protocol with Rasa's replies, so its phase is a desk doing nothing.

It runs beside the real servers during `make bench-load`, so it takes the account from the signed hello as the desk does.
"""
import aiohttp
from aiohttp import web

from bench.relay import start_relays
from shopbot import config
from harness.buyer_sim import SimulatedBuyer


async def stand_in_rasa(replies):
    """Rasa's REST channel on a free port, answering every message with `replies(text, account)`."""
    heard = []

    async def webhook(request):
        body = await request.json()
        heard.append((body["message"], body["metadata"].get("account")))
        return web.json_response(replies(body["message"], body["metadata"].get("account")))

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", heard


async def test_a_buyer_through_the_relay_gets_rasas_answer_and_a_silent_rasa_still_answers():
    runner, rasa_url, heard = await stand_in_rasa(
        lambda text, account: [] if text == "转人工" else [{"text": f"亲,{account}:{text}有货哦"}])
    relays, urls = start_relays([rasa_url], count=1)
    try:
        async with aiohttp.ClientSession() as http:
            buyer = SimulatedBuyer(http, urls[0], "tb_lily", config.load().desk_secret)
            forger = SimulatedBuyer(http, urls[0], "tb_boss", "not-the-shops-secret")
            await buyer.open()
            answered = await buyer.say("芒果干", timeout=10)
            silent = await buyer.say("转人工", timeout=10)
            await forger.open()
            forged = await forger.say("我的订单", timeout=10)
            await buyer.close()
            await forger.close()
    finally:
        relays[0].kill()
        await runner.cleanup()
    assert answered.answer["text"] == "亲,tb_lily:芒果干有货哦"
    assert silent.answer is not None  # the bench's buyer is never left waiting out its timeout
    assert forged.answer["text"] == "亲,None:我的订单有货哦"  # a forged signature reaches Rasa as no account
    assert heard == [("芒果干", "tb_lily"), ("转人工", "tb_lily"), ("我的订单", None)]
