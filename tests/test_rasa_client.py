"""The desk's Rasa client: what it sends again, and what it must never send twice."""
import asyncio
import os

import pytest
from aiohttp import web

from harness.cluster import free_port
from shopbot.desk.rasa_client import RasaClient, RasaUnavailable
from shopbot.line_replies import replies_to_line

REPLY = [{"recipient_id": "c1", "text": "亲,有货的哦"}]


class FlakyRasa:
    """A REST channel that answers `statuses` in turn (then 200), counting every request."""

    def __init__(self, statuses, delay=0.0, reply=REPLY):
        self.statuses, self.delay, self.reply, self.requests = list(statuses), delay, reply, 0

    async def webhook(self, request):
        self.requests += 1
        await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response(self.reply if status == 200 else {"error": "x"}, status=status)


async def serve(rasa: FlakyRasa):
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def talk(rasa: FlakyRasa, timeout=5.0):
    runner, url = await serve(rasa)
    client = RasaClient(url, timeout_seconds=timeout, retry_delays=(0.01, 0.01))
    try:
        return await client.send("c1", "有货吗", "tb_lily")
    finally:
        await client.close()
        await runner.cleanup()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_message_rasa_did_not_process_is_sent_again_and_answered(status):
    rasa = FlakyRasa([status])
    assert asyncio.run(talk(rasa)) == REPLY
    assert rasa.requests == 2


def test_after_the_retries_rasa_counts_as_unavailable():
    rasa = FlakyRasa([503, 503, 503])
    with pytest.raises(RasaUnavailable):
        asyncio.run(talk(rasa))
    assert rasa.requests == 3


@pytest.mark.parametrize("reply", [{"error": "maintenance"}, ["亲,有货的哦"], None])
def test_an_answer_that_is_not_a_list_of_messages_counts_as_unavailable_and_is_not_repeated(reply):
    """The desk then hands the chat to a person instead of failing on it with the buyer unanswered."""
    rasa = FlakyRasa([], reply=reply)
    with pytest.raises(RasaUnavailable):
        asyncio.run(talk(rasa))
    assert rasa.requests == 1


def test_an_error_that_may_have_processed_the_message_is_not_repeated():
    rasa = FlakyRasa([500])
    with pytest.raises(RasaUnavailable):
        asyncio.run(talk(rasa))
    assert rasa.requests == 1


def test_a_slow_rasa_is_not_sent_a_second_copy():
    rasa = FlakyRasa([], delay=1.0)
    with pytest.raises(RasaUnavailable):
        asyncio.run(talk(rasa, timeout=0.3))
    assert rasa.requests == 1


def test_nobody_listening_is_retried_then_reported():
    client = RasaClient(f"http://127.0.0.1:{free_port()}", retry_delays=(0.01,))

    async def send():
        try:
            return await client.send("c1", "在吗", None)
        finally:
            await client.close()

    with pytest.raises(RasaUnavailable) as error:
        asyncio.run(send())
    assert error.value.retryable


def test_the_desk_takes_the_rasa_replicas_in_turn():
    async def scenario():
        first, second = FlakyRasa([]), FlakyRasa([])
        (runner1, url1), (runner2, url2) = await serve(first), await serve(second)
        client = RasaClient([url1, url2], retry_delays=())
        try:
            for _ in range(6):
                assert await client.send("c1", "有货吗", "tb_lily") == REPLY
        finally:
            await client.close()
            await runner1.cleanup()
            await runner2.cleanup()
        return first.requests, second.requests

    assert asyncio.run(scenario()) == (3, 3)


def test_while_one_replica_works_on_a_message_the_next_ones_go_to_the_other():
    async def scenario():
        busy, idle = FlakyRasa([], delay=0.6), FlakyRasa([])
        (runner1, url1), (runner2, url2) = await serve(busy), await serve(idle)
        client = RasaClient([url1, url2], retry_delays=())
        loop = asyncio.get_running_loop()
        try:
            slow = asyncio.ensure_future(client.send("c1", "这个能便宜点吗", "tb_lily"))  # first in turn: url1
            await asyncio.sleep(0.1)
            began = loop.time()
            for _ in range(3):
                assert await client.send("c2", "发什么快递", "tb_mike") == REPLY
            others_waited = loop.time() - began
            assert await slow == REPLY
        finally:
            await client.close()
            await runner1.cleanup()
            await runner2.cleanup()
        return busy.requests, idle.requests, others_waited

    busy_served, idle_served, others_waited = asyncio.run(scenario())
    assert (busy_served, idle_served) == (1, 3)
    assert others_waited < 0.4  # none of them queued behind the slow one


def test_a_replica_that_is_down_costs_no_wait_and_is_asked_last_for_a_while():
    async def scenario():
        alive = FlakyRasa([])
        runner, url = await serve(alive)
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        client = RasaClient([dead, url], retry_delays=(5.0,))  # a retry's wait would show
        began = asyncio.get_running_loop().time()
        try:
            answers = [await client.send("c1", "有货吗", "tb_lily") for _ in range(4)]
        finally:
            await client.close()
            await runner.cleanup()
        return answers, alive.requests, asyncio.get_running_loop().time() - began

    answers, served, seconds = asyncio.run(scenario())
    assert answers == [REPLY] * 4 and served == 4
    assert seconds < 2.0


def test_when_no_replica_can_be_reached_the_desk_hears_it_is_unavailable():
    async def scenario():
        client = RasaClient([f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"],
                            retry_delays=())
        try:
            await client.send("c1", "有货吗", "tb_lily")
        finally:
            await client.close()

    with pytest.raises(RasaUnavailable) as raised:
        asyncio.run(scenario())
    assert raised.value.retryable


def desks_client(rasa_url: str) -> RasaClient:
    """The client as the desk makes it: Rasa's API token, and the channel token for the account."""
    return RasaClient(rasa_url, token=os.environ["RASA_TOKEN"], channel_token=os.environ["CHANNEL_TOKEN"])


def test_without_rasas_token_the_client_can_neither_pause_nor_resume(rasa_url):
    async def scenario():
        client = RasaClient(rasa_url, retry_delays=())
        try:
            for attempt in (client.pause("no-token"), client.resume("no-token")):
                with pytest.raises(RasaUnavailable, match="401|403"):
                    await attempt
        finally:
            await client.close()
    asyncio.run(scenario())

def test_pausing_and_resuming_a_long_chat_works_on_rasa_without_fetching_its_history(rasa_url):
    """A handoff pauses the bot and a hand-back resumes it; Rasa is asked for no events back."""
    async def scenario():
        client = desks_client(rasa_url)
        try:
            for text in ["在吗", "这个芒果干还有货吗", "保质期多久", "新疆包邮吗"] * 5:
                assert await client.send("long-chat", text, "tb_lily")  # a history of 20 turns
            await client.pause("long-chat")
            while_paused = await client.send("long-chat", "有发票吗", "tb_lily")
            await client.resume("long-chat")
            after = await client.send("long-chat", "有发票吗", "tb_lily")
            return while_paused, after
        finally:
            await client.close()

    while_paused, after = asyncio.run(scenario())
    assert while_paused == []  # a person has the chat: the bot says nothing
    assert after and "发票" in after[0]["text"]


def test_pause_and_resume_ask_rasa_to_send_no_events_back():
    asked = []

    async def events(request):
        asked.append((request.match_info["conversation_id"], request.query.get("include_events"),
                      (await request.json())[0]["event"]))
        return web.json_response({"sender_id": request.match_info["conversation_id"], "events": None})

    async def scenario():
        app = web.Application()
        app.router.add_post("/conversations/{conversation_id}/tracker/events", events)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        client = RasaClient(f"http://127.0.0.1:{port}")
        try:
            await client.pause("c1")
            await client.resume("c1")
        finally:
            await client.close()
            await runner.cleanup()

    asyncio.run(scenario())
    assert asked == [("c1", "NONE", "pause"), ("c1", "NONE", "resume")]


def user_turns(tracker) -> list:
    return [event["metadata"].get("desk_line") for event in tracker["events"] if event["event"] == "user"]


def test_a_line_asked_again_is_answered_as_before_and_not_processed_twice(rasa_url):
    """The sweep asks again what a desk that died had sent: Rasa gives the answer it gave then."""
    async def scenario():
        client = desks_client(rasa_url)
        try:
            first = await client.send("asked-again", "这个芒果干还有货吗", "tb_lily", line="w-1")
            second = await client.send("asked-again", "保质期多久", "tb_lily", line="w-2")
            again = await client.send("asked-again", "这个芒果干还有货吗", "tb_lily", line="w-1", again=True)
            never_answered = await client.send("asked-again", "有发票吗", "tb_lily", line="w-3", again=True)
            tracker = await client._get("/conversations/asked-again/tracker", {"include_events": "ALL"})
            return first, second, again, never_answered, tracker
        finally:
            await client.close()

    first, second, again, never_answered, tracker = asyncio.run(scenario())
    assert first and second != first
    assert again == first
    assert never_answered and "发票" in never_answered[0]["text"]  # never processed: processed now
    assert user_turns(tracker) == ["w-1", "w-2", "w-3"]


def test_a_line_asked_again_while_rasa_still_works_on_it_waits_and_gets_that_answer(rasa_url):
    """The dead desk's request may still be in Rasa when the sweep asks: the two are one turn."""
    async def scenario():
        client, sweeper = desks_client(rasa_url), desks_client(rasa_url)
        try:
            under_way = asyncio.ensure_future(client.send("still-working", "我的快递到哪了", "tb_lily", line="w-1"))
            await asyncio.sleep(0.05)
            again = await sweeper.send("still-working", "我的快递到哪了", "tb_lily", line="w-1", again=True)
            tracker = await client._get("/conversations/still-working/tracker", {"include_events": "ALL"})
            return await under_way, again, tracker
        finally:
            await client.close()
            await sweeper.close()

    first, again, tracker = asyncio.run(scenario())
    assert first and again == first
    assert user_turns(tracker) == ["w-1"]


def test_a_lines_replies_end_at_the_next_user_turn_and_keep_buttons_and_handoffs():
    handoff = {"handoff": {"reason": "complaint", "priority": "high"}}
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "在吗", "metadata": {"desk_line": "w-1"}},
        {"event": "bot", "text": "亲,在的哦", "data": {"buttons": [{"title": "查物流"}], "image": None}},
        {"event": "slot", "name": "x", "value": 1},
        {"event": "user", "text": "你们太差了", "metadata": {"desk_line": "w-2", "account": "tb_lily"}},
        {"event": "bot", "text": "亲,非常抱歉", "data": {}},
        {"event": "bot", "text": None, "data": {"custom": handoff}},
        {"event": "user", "text": "人呢", "metadata": {}},
    ]
    assert replies_to_line(events, "w-1") == [{"text": "亲,在的哦", "buttons": [{"title": "查物流"}]}]
    assert replies_to_line(events, "w-2") == [{"text": "亲,非常抱歉"}, {"custom": handoff}]
    assert replies_to_line(events, "w-9") is None
    assert replies_to_line([{"event": "user", "metadata": {"desk_line": "w-1"}}], "w-1") == []  # said nothing
