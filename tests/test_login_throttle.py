"""Guessing at an agent's password: that name's logins wait, other agents are not affected."""
import asyncio
import uuid

import aiohttp
import pytest

from shopbot.desk.login_throttle import LoginThrottle
from shopbot.desk.shared_login_throttle import RedisLoginThrottle
from tests.conftest import DeskProcess
from tests.test_desk_drain import slow_rasa

pytestmark = pytest.mark.local_services

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_name_waits_after_too_many_wrong_passwords_until_the_oldest_is_old_enough():
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window=600, clock=clock)
    for _ in range(3):
        assert throttle.admit_now("alice") == 0
        throttle.failed_now("alice")
        clock.now += 10
    assert throttle.admit_now("alice") == 600 - 30
    assert throttle.admit_now("bob") == 0
    clock.now += 600 - 30
    assert throttle.admit_now("alice") == 0


def test_the_right_password_clears_a_names_wrong_ones():
    throttle = LoginThrottle(max_failures=3, clock=Clock())
    for _ in range(2):
        throttle.admit_now("alice"), throttle.failed_now("alice")
    throttle.admit_now("alice"), throttle.succeeded_now("alice")
    for _ in range(2):
        throttle.admit_now("alice"), throttle.failed_now("alice")
    assert throttle.admit_now("alice") == 0


def test_checks_under_way_count_so_a_burst_cannot_slip_past_the_limit():
    throttle = LoginThrottle(max_failures=3, window=600, clock=Clock())
    assert [throttle.admit_now("alice") for _ in range(3)] == [0, 0, 0]
    assert throttle.admit_now("alice") > 0  # the fourth waits for the three under way
    throttle.not_checked_now("alice")  # one could not be checked (the database away)
    assert throttle.admit_now("alice") == 0
    for _ in range(3):
        throttle.failed_now("alice")
    assert throttle.admit_now("alice") == 600


def test_made_up_names_do_not_grow_the_desks_memory_without_bound():
    throttle = LoginThrottle(max_failures=1, clock=Clock(), names_kept=100)
    for number in range(1000):
        throttle.admit_now(f"guess{number}"), throttle.failed_now(f"guess{number}")
    assert len(throttle._failures) == 100
    assert throttle.admit_now("guess999") > 0


# -- several replicas: the counts in Redis ---------------------------------------------------
async def _guess(throttle, name):
    """One wrong password, if the throttle lets it be checked: True when it did."""
    if await throttle.admit(name) > 0:
        return False
    await asyncio.sleep(0.01)  # the check itself
    await throttle.failed(name)
    return True


def test_wrong_passwords_spread_over_the_replicas_add_up():
    async def scenario():
        name, clock = f"alice-{uuid.uuid4().hex}", Clock()
        first, second = (RedisLoginThrottle(REDIS_URL, max_failures=4, window=600, clock=clock) for _ in range(2))
        try:
            checked = []
            for throttle in (first, second, first, second):
                checked.append(await _guess(throttle, name))
                clock.now += 10
            refused = [await first.admit(name), await second.admit(name), await first.admit("bob-" + name)]
            clock.now += 600 - 40
            return checked, refused, await second.admit(name)
        finally:
            await first.close(), await second.close()

    checked, refused, after_the_window = asyncio.run(scenario())
    assert checked == [True] * 4
    assert refused[:2] == [600 - 40, 600 - 40] and refused[2] == 0  # another agent is not held up
    assert after_the_window == 0


def test_a_burst_sent_to_both_replicas_at_once_gets_only_the_allowed_checks():
    async def scenario():
        name = f"bob-{uuid.uuid4().hex}"
        replicas = [RedisLoginThrottle(REDIS_URL, max_failures=10) for _ in range(2)]
        try:
            return await asyncio.gather(*[_guess(replicas[n % 2], name) for n in range(30)])
        finally:
            for throttle in replicas:
                await throttle.close()

    assert sum(asyncio.run(scenario())) == 10


def test_the_right_password_on_one_replica_clears_the_count_on_the_other():
    async def scenario():
        name = f"carol-{uuid.uuid4().hex}"
        first, second = (RedisLoginThrottle(REDIS_URL, max_failures=3) for _ in range(2))
        try:
            await _guess(first, name), await _guess(first, name)
            assert await second.admit(name) == 0
            await second.succeeded(name)
            return [await _guess(first, name) for _ in range(4)]
        finally:
            await first.close(), await second.close()

    assert asyncio.run(scenario()) == [True, True, True, False]


def test_with_redis_away_each_replica_still_counts_on_its_own():
    async def scenario():
        # Nothing listens on port 1: every Redis call fails at once.
        throttle = RedisLoginThrottle("redis://127.0.0.1:1/0", max_failures=3)
        try:
            return [await _guess(throttle, "dave") for _ in range(5)], await throttle.admit("erin")
        finally:
            await throttle.close()

    guesses, another_agent = asyncio.run(scenario())
    assert guesses == [True, True, True, False, False]
    assert another_agent == 0


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
    desk.env["DESK_LOGIN_RATE"] = "1000,1000"  # the limit per name, not per address (test_desk_limits)
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


def test_guesses_spread_over_two_desk_replicas_share_one_limit(tmp_path):
    """Behind the balancer the guesses alternate between the replicas: together they get ten."""
    rasa = slow_rasa(0.0)
    name = f"frank{uuid.uuid4().hex[:8]}"
    replicas = [DeskProcess(tmp_path, rasa), DeskProcess(tmp_path, rasa)]  # one database, like the cluster
    for desk in replicas:
        desk.env["REDIS_URL"] = REDIS_URL
        desk.env["DESK_LOGIN_RATE"] = "1000,1000"
    replicas[0].add_user(name, "agentpass1")
    for desk in replicas:
        desk.start()
    try:
        answers = [asyncio.run(logins(replicas[n % 2], [(name, "guess")]))[0][0] for n in range(10)]
        right_password = asyncio.run(logins(replicas[1], [(name, "agentpass1")]))[0]
    finally:
        for desk in replicas:
            desk.stop()
    assert answers == [401] * 10
    status, error, _ = right_password
    assert status == 429 and error == "密码错误次数太多,请15分钟后再试"
