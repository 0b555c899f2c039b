"""Two desk replicas share live events and agent presence through Redis."""
import asyncio
import time
import uuid

import pytest

from shopbot.desk.hub import REDIS_TIMEOUT, RedisHub
from tests.desk_support import bot_answer, running_desk, signed_hello, widget
from tests.test_desk_http import ask_for_a_person

pytestmark = pytest.mark.local_services

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _two_replicas():
    RedisHub.PREFIX = f"shopbot:test:{uuid.uuid4().hex}:"  # isolate from other runs
    RedisHub.PRESENCE = RedisHub.PREFIX + "agents-online"
    first, second = RedisHub(REDIS_URL, "desk-1"), RedisHub(REDIS_URL, "desk-2")
    await first.start()
    await second.start()
    await asyncio.sleep(0.3)  # listeners subscribed
    return first, second


def test_an_event_published_on_one_replica_reaches_sockets_on_the_other():
    async def scenario():
        first, second = await _two_replicas()
        try:
            agents_on_second = second.subscribe("agents")
            await first.publish("agents", {"type": "message", "text": "买家:在吗"})
            event = await asyncio.wait_for(agents_on_second.get(), timeout=5)
            assert event == {"type": "message", "text": "买家:在吗"}
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def test_a_replica_delivers_its_own_events_once_and_in_order():
    async def scenario():
        first, second = await _two_replicas()
        try:
            here, there = first.subscribe("conversation:c1"), second.subscribe("conversation:c1")
            events = [("conversation:c1", {"type": "message", "n": n}) for n in range(3)]
            await first.publish_many(events)
            for feed in (here, there):
                got = [await asyncio.wait_for(feed.get(), timeout=5) for _ in range(3)]
                assert [e["n"] for e in got] == [0, 1, 2]
            await asyncio.sleep(0.3)  # Redis's copy of its own events must not arrive again
            assert here.empty() and there.empty()
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def test_an_agent_online_on_one_replica_counts_on_every_replica():
    async def scenario():
        first, second = await _two_replicas()
        try:
            assert second.agents_online() == 0
            first.agent_connected("alice", +1)
            await asyncio.sleep(0.3)
            await second._refresh_presence()
            assert second.agents_online() == 1
            first.agent_connected("alice", -1)
            await asyncio.sleep(0.3)
            await second._refresh_presence()
            assert second.agents_online() == 0
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def test_a_console_on_another_replica_sees_the_buyers_line_once_and_before_the_bots_answer(tmp_path):
    from shopbot.desk.service import NOTICE_BOT_DOWN, NOTICE_WAITING, DeskService
    from shopbot.desk.store import DeskStore
    from shopbot.desk.triggers import Triggers
    from tests.desk_support import StandInRasa

    async def scenario():
        first, second = await _two_replicas()
        store, rasa = await DeskStore(f"sqlite:///{tmp_path / 'desk.db'}").open(), StandInRasa()
        service = DeskService(store, rasa, first, Triggers.from_settings({}), [], agents_online=lambda: 1)
        console_elsewhere = second.subscribe("agents")

        async def seen_elsewhere():
            """Every message event the other replica's console got, until it has been quiet for 0.5 s."""
            events = []
            while True:
                try:
                    events.append(await asyncio.wait_for(console_elsewhere.get(), timeout=0.5))
                except asyncio.TimeoutError:
                    return [(e["message"]["sender"], e["message"]["text"]) for e in events if e["type"] == "message"]

        try:
            chat = await store.create_conversation("tb_lily")
            await service.buyer_message(chat, "在吗", "c1")
            assert await seen_elsewhere() == [("buyer", "在吗"), ("bot", "亲,收到:在吗")]

            rasa.thinking_seconds = 0.6  # slow: the typing dots come between them
            await service.buyer_message(chat, "有货吗", "c2")
            assert await seen_elsewhere() == [("buyer", "有货吗"), ("bot", "亲,收到:有货吗")]

            rasa.thinking_seconds, rasa.down = 0.0, True  # no answer at all: a person takes over
            await service.buyer_message(chat, "人呢", "c3")
            assert await seen_elsewhere() == [("buyer", "人呢"), ("system", NOTICE_BOT_DOWN), ("system", NOTICE_WAITING)]
        finally:
            await store.close()
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def test_a_replica_gets_the_events_of_its_own_chats_from_a_mixed_batch_in_order():
    """One publish carries events for several chats and the consoles; each socket elsewhere gets only its own."""
    async def scenario():
        first, second = await _two_replicas()
        try:
            chat_there, console_there = second.subscribe("conversation:c1"), second.subscribe("agents")
            await first.publish_many([("conversation:c1", {"n": 1}), ("agents", {"n": 2}),
                                      ("conversation:c2", {"n": 3}), ("conversation:c1", {"n": 4})])
            got = [await asyncio.wait_for(chat_there.get(), timeout=5) for _ in range(2)]
            assert [e["n"] for e in got] == [1, 4]
            assert (await asyncio.wait_for(console_there.get(), timeout=5)) == {"n": 2}
            await asyncio.sleep(0.3)
            assert chat_there.empty() and console_there.empty()  # c2 has no socket there
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def killed(hub: RedisHub) -> None:
    """The desk's process gone at once: nothing more renews its key, nothing says goodbye."""
    for task in hub._tasks:
        task.cancel()


def test_a_killed_desk_is_known_gone_within_seconds_and_forgotten_once_its_lines_are_answered():
    async def scenario():
        first, second, third = *(await _two_replicas()), RedisHub(REDIS_URL, "desk-3")
        await third.start()
        try:
            await asyncio.sleep(0.2)
            while_running = (await second.desks_alive(["desk-1", "desk-2", "desk-that-never-ran"]),
                             await second.desks_gone())
            killed(first)
            started = time.monotonic()
            while not await second.desks_gone() and time.monotonic() - started < 10:
                await asyncio.sleep(0.1)
            seen_gone_after = time.monotonic() - started
            # What Redis held then, to tell a slow expiry from a lost registration if this fails.
            state = {"desks": await second.redis.smembers(RedisHub.PREFIX + RedisHub.DESKS),
                     "desk-1 ttl ms": await second.redis.pttl(f"{RedisHub.PREFIX}alive:desk-1")}
            gone = (await second.desks_gone(), await third.desks_gone(), await second.desks_alive(["desk-1"]))
            await second.forget_desk("desk-1")
            forgotten = await third.desks_gone()
        finally:
            await first.redis.close()
            await first.redis_listener.close()
            await second.stop()
            await third.stop()
        return while_running, seen_gone_after, state, gone, forgotten

    while_running, seen_gone_after, state, gone, forgotten = asyncio.run(scenario())
    assert while_running == ({"desk-1", "desk-2"}, set())
    assert seen_gone_after <= RedisHub.ALIVE_TTL + 0.5, state
    assert gone == ({"desk-1"}, {"desk-1"}, set())
    assert forgotten == set()


def test_a_desk_stopped_on_purpose_is_not_waited_for():
    """It finished its lines before stopping: the others have nothing of it to answer."""
    async def scenario():
        first, second = await _two_replicas()
        try:
            await first.stop()
            return await second.desks_alive(["desk-1"]), await second.desks_gone()
        finally:
            await second.stop()

    assert asyncio.run(scenario()) == (set(), set())


def test_when_redis_cannot_tell_every_desk_counts_as_running():
    """Then a sweep waits the whole minute for a line rather than answer one a live desk is answering."""
    async def scenario():
        hub = RedisHub("redis://127.0.0.1:1/0", "desk-1")  # nothing listens there
        try:
            return await hub.desks_alive(["desk-1", "desk-2"])
        finally:
            await hub.stop()

    assert asyncio.run(scenario()) == {"desk-1", "desk-2"}


async def hung_redis():
    """A server that takes connections and never answers them: Redis hung."""
    held = []

    async def hold(reader, writer):
        held.append(writer)
        await asyncio.sleep(3600)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"


def test_with_redis_away_or_hung_a_publish_reaches_this_desks_sockets_within_the_timeout():
    async def scenario():
        server, hung = await hung_redis()
        timings = []
        try:
            for url in ("redis://127.0.0.1:1/0", hung):
                hub = RedisHub(url, "desk-1")
                try:
                    queue = hub.subscribe("conversation:c1")
                    started = time.monotonic()
                    await hub.publish_many([("conversation:c1", {"type": "message", "n": 1})])
                    timings.append(time.monotonic() - started)
                    assert queue.get_nowait() == {"type": "message", "n": 1}
                finally:
                    await hub.stop()
        finally:
            server.close()
        return timings

    assert all(elapsed < REDIS_TIMEOUT + 1 for elapsed in asyncio.run(scenario()))


async def test_with_redis_hung_the_buyer_is_answered_and_claim_reply_close_are_no_500(tmp_path):
    server, hung = await hung_redis()
    try:
        async with running_desk(tmp_path, hub=RedisHub(hung, "desk-1")) as desk:
            await desk.add_user("alice")
            async with widget(desk, signed_hello("tb_lily")) as lily:
                await lily.say("有货吗", "c0")
                await lily.until(bot_answer, timeout=15)  # the first publish waits REDIS_TIMEOUT
                chat = await ask_for_a_person(lily)
            alice = await desk.session("alice")
            try:
                async with alice.post(f"{desk.url}/api/conversations/{chat}/claim") as answer:
                    assert answer.status == 200
                async with alice.post(f"{desk.url}/api/conversations/{chat}/messages", json={"text": "亲,在的"}) as answer:
                    assert answer.status == 200
                async with alice.post(f"{desk.url}/api/conversations/{chat}/close") as answer:
                    assert answer.status == 200
                assert (await desk.store.conversation(chat)).state == "closed"
            finally:
                await alice.close()
    finally:
        server.close()
