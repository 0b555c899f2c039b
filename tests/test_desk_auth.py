"""Logging in to the desk: what a wrong name or password costs, and what a session allows."""
import aiohttp
import pytest

from shopbot.desk import auth
from tests.desk_support import running_desk


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running:
        await running.add_user("alice")
        yield running


async def login(desk, username, password):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{desk.url}/api/login", json={"username": username, "password": password}) as answer:
            return answer.status


async def test_an_unknown_name_costs_the_same_password_check_as_a_wrong_password(desk, monkeypatch):
    """Else the time of a refusal would tell an attacker which agents' names exist."""
    checked = []
    real_check = auth.verify_password
    monkeypatch.setattr(auth, "verify_password",
                        lambda password, stored: checked.append(stored) or real_check(password, stored))
    assert await login(desk, "alice", "wrong password") == 401
    assert await login(desk, "nobody", "wrong password") == 401
    assert len(checked) == 2 and all(stored.startswith("scrypt$") for stored in checked)
    assert await login(desk, "nobody", "") == 401  # no password matches the stand-in hash
    assert await login(desk, "alice", "agentpass1") == 200
