"""Guessing at an agent's password: that name's logins wait, other agents are not affected."""
import asyncio

import aiohttp

from shopbot.desk.login_throttle import LoginThrottle
from tests.conftest import DeskProcess
from tests.test_desk_drain import slow_rasa


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_name_waits_after_too_many_wrong_passwords_until_the_oldest_is_old_enough():
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window=600, clock=clock)
    for _ in range(3):
        assert throttle.wait_seconds("alice") == 0
        throttle.failed("alice")
        clock.now += 10
    assert throttle.wait_seconds("alice") == 600 - 30
    assert throttle.wait_seconds("bob") == 0
    clock.now += 600 - 30
    assert throttle.wait_seconds("alice") == 0


def test_the_right_password_clears_a_names_wrong_ones():
    throttle = LoginThrottle(max_failures=3, clock=Clock())
    throttle.failed("alice"), throttle.failed("alice")
    throttle.succeeded("alice")
    throttle.failed("alice"), throttle.failed("alice")
    assert throttle.wait_seconds("alice") == 0


def test_checks_under_way_count_so_a_burst_cannot_slip_past_the_limit():
    throttle = LoginThrottle(max_failures=3, window=600, clock=Clock())
    for _ in range(3):
        assert throttle.wait_seconds("alice") == 0
        throttle.checking("alice")
    assert throttle.wait_seconds("alice") > 0  # the fourth waits for the three under way
    throttle.not_checked("alice")  # one could not be checked (the database away)
    assert throttle.wait_seconds("alice") == 0
    throttle.failed("alice"), throttle.failed("alice")
    throttle.checking("alice"), throttle.failed("alice")
    assert throttle.wait_seconds("alice") == 600


def test_made_up_names_do_not_grow_the_desks_memory_without_bound():
    throttle = LoginThrottle(max_failures=1, clock=Clock(), names_kept=100)
    for number in range(1000):
        throttle.failed(f"guess{number}")
    assert len(throttle._failures) == 100
    assert throttle.wait_seconds("guess999") > 0


async def logins(desk, attempts):
    async with aiohttp.ClientSession() as http:
        answers = []
        for username, password in attempts:
            async with http.post(f"{desk.url}/api/login", json={"username": username, "password": password}) as r:
                answers.append((r.status, (await r.json()).get("error"), r.headers.get("Retry-After")))
        return answers


async def burst(desk, attempts):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one(username, password):
            async with http.post(f"{desk.url}/api/login", json={"username": username, "password": password}) as r:
                return r.status
        return await asyncio.gather(*[one(u, p) for u, p in attempts])


def test_after_ten_wrong_passwords_even_the_right_one_waits_and_says_how_long(tmp_path):
    desk = DeskProcess(tmp_path, slow_rasa(0.0))
    desk.add_user("alice", "agentpass1")
    desk.add_user("bob", "agentpass1")
    desk.start()
    try:
        answers = asyncio.run(logins(desk, [("alice", "guess")] * 10 + [("alice", "agentpass1"), ("bob", "agentpass1")]))
        sent_at_once = asyncio.run(burst(desk, [("bob", "guess")] * 25))
    finally:
        desk.stop()
    assert [status for status, _, _ in answers[:10]] == [401] * 10
    status, error, retry_after = answers[10]
    assert status == 429 and error == "密码错误次数太多,请15分钟后再试" and 0 < int(retry_after) <= 900
    assert answers[11][0] == 200  # another agent logs in as usual
    # 25 guesses sent at once: only 10 are checked, the rest wait without a check.
    assert sorted(sent_at_once) == [401] * 10 + [429] * 15
