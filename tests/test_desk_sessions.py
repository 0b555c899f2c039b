"""An agent's session ends everywhere at once, no other site acts with it, and buyers never
learn an agent's login name: the attacks.

Logout and a password reset end every session of the user, and the live feed of every
buyer's words closes within seconds; a change asked for by another site's page, or the
feed opened from one, is refused; over HTTPS the session cookie is Secure.
"""
import json
import time

import aiohttp
import pytest

from tests.desk_support import AGENT_PASSWORD, running_desk, signed_hello, widget
from tests.test_desk_http import ask_for_a_person

EVIL = {"Origin": "https://evil.example"}


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running:
        await running.add_user("alice")
        yield running


async def me_status(session, desk) -> int:
    async with session.get(desk.url + "/api/me") as answer:
        return answer.status


async def feed_closes_within(feed, seconds: float) -> dict:
    """The error the feed sends before it closes; fails if it stays open longer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = await feed.receive(timeout=deadline - time.monotonic())
        if frame.type == aiohttp.WSMsgType.TEXT and '"error"' in frame.data:
            closing = await feed.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            return frame.json()
    raise AssertionError(f"the feed stayed open {seconds} s after the session ended")


async def test_logging_out_on_one_device_ends_the_others_and_closes_their_feed(desk):
    laptop, phone = await desk.session("alice"), await desk.session("alice")
    try:
        async with phone.ws_connect(desk.ws_url + "/ws/agent") as feed:
            async with laptop.post(desk.url + "/api/logout") as answer:
                assert answer.status == 200
            assert (await feed_closes_within(feed, 6))["status"] == 401
        assert await me_status(phone, desk) == 401 and await me_status(laptop, desk) == 401
    finally:
        await laptop.close()
        await phone.close()


async def test_a_password_reset_ends_the_old_passwords_sessions_and_feeds(desk):
    stolen = await desk.session("alice")
    try:
        async with stolen.ws_connect(desk.ws_url + "/ws/agent") as feed:
            await desk.add_user("alice", password="a-new-password-1")
            assert (await feed_closes_within(feed, 6))["status"] == 401
        assert await me_status(stolen, desk) == 401
        renewed = await desk.session("alice", password="a-new-password-1")
        assert await me_status(renewed, desk) == 200
        await renewed.close()
    finally:
        await stolen.close()


async def test_another_sites_page_can_neither_log_in_nor_act_nor_open_the_feed(desk):
    alice = await desk.session("alice")
    try:
        async with alice.post(desk.url + "/api/logout", headers=EVIL) as answer:
            assert answer.status == 403
        assert await me_status(alice, desk) == 200  # the forged logout did nothing
        async with alice.post(desk.url + "/api/conversations/x/claim", headers=EVIL) as answer:
            assert answer.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await alice.ws_connect(desk.ws_url + "/ws/agent", headers=EVIL)
        own = {"Origin": desk.url}
        async with alice.post(desk.url + "/api/conversations/x/claim", headers=own) as answer:
            assert answer.status == 404  # its own page gets through (there is no chat x)
    finally:
        await alice.close()
    async with aiohttp.ClientSession() as http:
        async with http.post(desk.url + "/api/login", headers=EVIL,
                             json={"username": "alice", "password": AGENT_PASSWORD}) as answer:
            assert answer.status == 403


@pytest.mark.parametrize("https, secure", [("1", True), ("", False)])
async def test_the_session_cookie_is_secure_when_the_desk_is_served_over_https(tmp_path, https, secure):
    async with running_desk(tmp_path, DESK_HTTPS=https) as desk:
        await desk.add_user("alice")
        async with aiohttp.ClientSession() as http:
            async with http.post(desk.url + "/api/login",
                                 json={"username": "alice", "password": AGENT_PASSWORD}) as answer:
                cookie = answer.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure, cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_buyers_see_an_agents_nickname_never_the_login_name(tmp_path):
    """A login name is half of a login: a buyer who learnt it could lock the agent out."""
    async with running_desk(tmp_path) as desk:
        await desk.add_user("alice_zhang", nickname="小鲜")
        await desk.add_user("bob_li")
        agents = {name: await desk.session(name) for name in ("alice_zhang", "bob_li")}
        seen = []
        try:
            for name, notice in (("alice_zhang", "小鲜为您服务"), ("bob_li", "马上为您服务")):
                async with widget(desk, signed_hello("tb_lily")) as lily:
                    chat = await ask_for_a_person(lily)
                    async with agents[name].post(f"{desk.url}/api/conversations/{chat}/claim") as answer:
                        assert answer.status == 200
                    async with agents[name].post(f"{desk.url}/api/conversations/{chat}/messages",
                                                 json={"text": "亲,您好"}) as answer:
                        assert answer.status == 200
                    events = await lily.until(lambda e: e["type"] == "message" and e["message"]["sender"] == "agent")
                    assert any(notice in e["message"]["text"] for e in events if e["type"] == "message")
                    seen += events
                async with widget(desk, signed_hello("tb_lily", conversation_id=chat)) as again:
                    seen += await again.until(lambda e: e["type"] == "message" and e["message"]["sender"] == "agent")
            async with agents["alice_zhang"].get(f"{desk.url}/api/conversations/{chat}") as answer:
                assert (await answer.json())["messages"][-1]["author"] == "bob_li"  # agents still see who wrote
        finally:
            for session in agents.values():
                await session.close()
        frames = json.dumps(seen, ensure_ascii=False)
        assert "alice" not in frames and "bob" not in frames, frames
