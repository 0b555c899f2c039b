"""Each login does its own work: the attacks of one role on another's, against the real app.

Agents (and the admin) take chats; trainers (and the admin) train; only the admin deploys a
model the gate refused. A chat is closed by the agent who holds it, or by the admin, and one
conditional update decides, so a close cannot slip past a claim made at the same moment.
"""
import asyncio

import aiohttp
import pytest

from tests.desk_support import running_desk, signed_hello, widget
from tests.test_desk_http import AGENT_ENDPOINTS, ask_for_a_person


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running:
        await running.add_user("alice")
        await running.add_user("bob")
        await running.add_user("tina", role="trainer")
        await running.add_user("olga", role="admin")
        yield running


async def waiting_chat(desk) -> str:
    async with widget(desk, signed_hello("tb_lily")) as lily:
        return await ask_for_a_person(lily)


async def test_a_trainer_can_take_no_chat_and_read_no_live_feed(desk):
    tina = await desk.session("tina")
    try:
        for method, path in AGENT_ENDPOINTS:
            if path == "/api/stats/stages" or path == "/api/me":
                continue
            async with tina.request(method, desk.url + path, json={}) as answer:
                assert answer.status == 403, (method, path, answer.status)
        async with tina.ws_connect(desk.ws_url + "/ws/agent") as feed:
            refusal = await feed.receive_json(timeout=5)
            assert (refusal["type"], refusal["status"]) == ("error", 403)
            assert (await feed.receive(timeout=5)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    finally:
        await tina.close()


async def test_the_admin_may_do_an_agents_work(desk):
    chat = await waiting_chat(desk)
    olga = await desk.session("olga")
    try:
        async with olga.get(desk.url + "/api/queue") as answer:
            assert answer.status == 200 and [c["id"] for c in (await answer.json())["waiting"]] == [chat]
        async with olga.post(f"{desk.url}/api/conversations/{chat}/claim") as answer:
            assert answer.status == 200
    finally:
        await olga.close()


async def test_only_the_agent_holding_a_chat_or_the_admin_closes_it(desk):
    chat = await waiting_chat(desk)
    alice, bob, olga = [await desk.session(name) for name in ("alice", "bob", "olga")]
    try:
        async with bob.post(f"{desk.url}/api/conversations/{chat}/close") as answer:
            assert answer.status == 409  # a waiting chat nobody holds: bob may not close it
        async with alice.post(f"{desk.url}/api/conversations/{chat}/claim") as answer:
            assert answer.status == 200
        async with bob.post(f"{desk.url}/api/conversations/{chat}/close") as answer:
            assert answer.status == 409
        assert (await desk.store.conversation(chat)).state == "agent"
        async with olga.post(f"{desk.url}/api/conversations/{chat}/close") as answer:
            assert answer.status == 200
        assert (await desk.store.conversation(chat)).state == "closed"
    finally:
        for session in (alice, bob, olga):
            await session.close()


async def test_a_close_sent_with_a_claim_never_closes_the_chat_just_claimed(desk):
    alice, bob = await desk.session("alice"), await desk.session("bob")
    try:
        for _ in range(5):
            chat = await waiting_chat(desk)
            claim = bob.post(f"{desk.url}/api/conversations/{chat}/claim")
            close = alice.post(f"{desk.url}/api/conversations/{chat}/close")
            claimed, closed = await asyncio.gather(claim, close)
            assert (claimed.status, closed.status) == (200, 409)
            current = await desk.store.conversation(chat)
            assert (current.state, current.agent) == ("agent", "bob")
    finally:
        await alice.close()
        await bob.close()


class RecordedJobs:
    """The desk's retrain jobs, recorded instead of training."""

    def __init__(self):
        self.started = []

    def start(self, override=False, cross_validation_folds=0):
        self.started.append(override)
        return type("Job", (), {"as_dict": lambda self: {"id": "job-1", "override": override}})()


async def test_only_the_admin_deploys_a_model_the_gate_refused(desk):
    desk.app.ctx.retrain_jobs = jobs = RecordedJobs()
    tina, olga, alice = [await desk.session(name) for name in ("tina", "olga", "alice")]
    try:
        async with tina.post(desk.url + "/api/trainer/retrain", json={"override": True}) as answer:
            assert answer.status == 403 and "管理员" in (await answer.json())["error"]
        async with alice.post(desk.url + "/api/trainer/retrain", json={}) as answer:
            assert answer.status == 403
        async with tina.post(desk.url + "/api/trainer/retrain", json={}) as answer:
            assert answer.status == 202
        async with olga.post(desk.url + "/api/trainer/retrain", json={"override": True}) as answer:
            assert answer.status == 202
        assert jobs.started == [False, True]
    finally:
        for session in (tina, olga, alice):
            await session.close()
