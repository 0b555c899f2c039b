"""A buyer, or a script at one address, cannot flood the desk: the attacks, against the real app.

Lines beyond a socket's or an address's rate are refused with "发送太频繁,请稍后再试" and
how long to wait; the widget keeps such a line and sends it again, so nothing is lost. New
chats per address are capped, so a loop of new sockets cannot fill the agents' queue.
"""
import asyncio

import aiohttp

from shopbot.desk.rate_limits import TOO_FAST, Buckets, Rate
from tests.desk_support import running_desk, signed_hello, widget


def test_a_bucket_allows_its_burst_then_one_per_interval():
    now = [100.0]
    bucket = Buckets(Rate(burst=3, per_second=0.5), clock=lambda: now[0])
    assert [bucket.spend("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.spend("a") == 2.0  # one token every 2 s
    assert bucket.spend("b") == 0  # another key has its own
    now[0] += 2.0
    assert bucket.spend("a") == 0 and bucket.spend("a") > 0


async def test_a_loop_of_new_sockets_crying_complaint_opens_only_so_many_chats(tmp_path):
    async with running_desk(tmp_path, DESK_CHATS_RATE="3,0.001") as desk:
        welcomed, refused = 0, 0
        for _ in range(8):
            async with widget(desk, {"type": "hello"}) as bot:
                if bot.welcome["type"] == "welcome":
                    welcomed += 1
                    await bot.say("投诉", "c1")
                    await bot.next_event()
                else:
                    assert (bot.welcome["type"], bot.welcome["error"]) == ("error", TOO_FAST)
                    assert bot.welcome["retry_after"] >= 1
                    refused += 1
        assert (welcomed, refused) == (3, 5)
        assert len(await desk.store.queue()) <= 3


async def test_lines_beyond_a_sockets_rate_are_refused_with_a_wait_and_taken_when_sent_again(tmp_path):
    async with running_desk(tmp_path, DESK_SOCKET_RATE="4,2") as desk:
        async with widget(desk, signed_hello("tb_lily")) as lily:
            for n in range(6):
                await lily.say(f"第{n}句", f"line-{n}")
            events = [await lily.next_event() for _ in range(4 * 2 + 2)]
            refusals = [e for e in events if e["type"] == "error"]
            assert [e["client_id"] for e in refusals] == ["line-4", "line-5"]
            assert all(e["error"] == TOO_FAST and e["retry_after"] >= 1 for e in refusals)
            await asyncio.sleep(refusals[-1]["retry_after"])
            await lily.say("第5句", "line-5")  # as the widget resends it
            echo = await lily.until(lambda e: e["type"] == "message" and e["message"]["client_id"] == "line-5")
            assert echo[-1]["message"]["text"] == "第5句"
        stored = [m.client_id for m in await desk.store.transcript(lily.welcome["conversation_id"])
                  if m.sender == "buyer"]
        assert stored == ["line-0", "line-1", "line-2", "line-3", "line-5"]


async def test_one_address_shares_one_rate_over_all_its_sockets(tmp_path):
    async with running_desk(tmp_path, DESK_ADDRESS_RATE="4,0.001") as desk:
        refused = 0
        for buyer in range(3):
            async with widget(desk, signed_hello("tb_lily")) as lily:
                await lily.say("有货吗", f"b{buyer}")
                first = await lily.next_event()
                refused += first["type"] == "error"
                if first["type"] != "error":
                    await lily.next_event()
                await lily.say("发货吗", f"b{buyer}-2")
                refused += (await lily.until(lambda e: e["type"] == "error" or (
                    e["type"] == "message" and e["message"]["client_id"] == f"b{buyer}-2")))[-1]["type"] == "error"
        assert refused == 2  # 6 lines, 4 taken


async def test_logins_from_one_address_are_limited_whatever_names_they_try(tmp_path):
    async with running_desk(tmp_path, DESK_LOGIN_RATE="5,0.01") as desk:
        await desk.add_user("alice")
        async with aiohttp.ClientSession() as http:
            statuses = []
            for number in range(8):
                async with http.post(desk.url + "/api/login",
                                     json={"username": f"guess{number}", "password": "x"}) as answer:
                    statuses.append((answer.status, answer.headers.get("Retry-After")))
        assert [status for status, _ in statuses] == [401] * 5 + [429] * 3
        assert all(int(wait) >= 1 for status, wait in statuses if status == 429)


async def test_a_full_password_check_queue_answers_busy_with_retry_after(tmp_path):
    async with running_desk(tmp_path, DESK_LOGIN_RATE="1000,1000") as desk:
        await desk.add_user("alice")
        desk.app.ctx.password_checks.max_queued = 2
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async def login(number):
                async with http.post(desk.url + "/api/login",
                                     json={"username": f"guess{number}", "password": "x"}) as answer:
                    return answer.status, answer.headers.get("Retry-After")
            answers = await asyncio.gather(*[login(n) for n in range(12)])
        assert {status for status, _ in answers} == {401, 503}
        assert all(wait == "1" for status, wait in answers if status == 503)
        assert desk.app.ctx.password_checks.queued == 0
