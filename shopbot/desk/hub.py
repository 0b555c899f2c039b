"""Live events to the open WebSockets: a buyer's widget, the agents' consoles.

In-process by default. With several desk replicas the same interface runs over
Redis pub/sub (production topology), so an agent on one replica sees a buyer
connected to another.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Sequence, Set, Tuple

logger = logging.getLogger(__name__)

AGENTS = "agents"
REDIS_TIMEOUT = 2.0  # seconds a Redis command may take before the desk goes on without it
REDIS_RETRY_AFTER = 5  # seconds a desk publishes to its own sockets only, after Redis failed


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class LocalHub:
    def __init__(self, replica: str = "") -> None:
        # This desk's name among the replicas; alone, it is the only desk alive.
        self.replica = replica or f"local:{secrets.token_hex(4)}"
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)
        self._agents: Dict[str, int] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def agent_connected(self, username: str, delta: int) -> None:
        self._agents[username] = self._agents.get(username, 0) + delta
        if self._agents[username] <= 0:
            self._agents.pop(username, None)

    def agents_online(self) -> int:
        return len(self._agents)

    def subscribe(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._subscribers[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        self._subscribers[channel].discard(queue)
        if not self._subscribers[channel]:
            del self._subscribers[channel]

    def has_subscribers(self, channel: str) -> bool:
        return bool(self._subscribers.get(channel))

    async def desks_alive(self, replicas: Iterable[str]) -> Set[str]:
        """Of these desk replicas, those still running: here, only this one."""
        return {replica for replica in replicas if replica == self.replica}

    async def desks_gone(self) -> Set[str]:
        """Desks that were running and stopped without finishing their lines: none, alone."""
        return set()

    async def forget_desk(self, replica: str) -> None:
        return None

    async def publish(self, channel: str, event: Dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            # A stuck socket must not block the others; it resyncs on reconnect.
            if not queue.full():
                queue.put_nowait(event)

    async def publish_many(self, events: List[Tuple[str, Dict[str, Any]]]) -> None:
        """Several events, delivered in this order."""
        for channel, event in events:
            await self.publish(channel, event)


def _batch(replica: str, events: Sequence[Tuple[str, Dict[str, Any]]]) -> str:
    """One Redis message: who sent it, the events' channels, then the events (decoded only where wanted)."""
    channels = "\t".join(channel for channel, _ in events)
    return f"{replica}\n{channels}\n" + json.dumps([event for _, event in events], ensure_ascii=False)


class RedisHub:
    """The same interface across desk replicas: events travel through Redis pub/sub.

    Every publish goes to Redis; each replica's listener hands what arrives to
    its local subscribers (its own sockets), so a message reaches the agent
    whichever replica their console is connected to. Agent presence is a
    sorted set of (replica, agent) entries that expire unless refreshed.

    A batch of events (a bot answer: the buyer's line and the answer, each to the
    chat and to the consoles) is one Redis message on one channel, not one per
    event on a channel each: every replica hears every batch either way, and one
    message is one wake-up and one parse for each of them, and one publish for Redis.
    """

    PREFIX = "shopbot:desk:"
    EVENTS = "events"  # the one Redis channel (after PREFIX) the replicas share
    PRESENCE = "shopbot:desk:agents-online"
    PRESENCE_TTL = 30.0
    # A running desk renews its key (after PREFIX: alive:<replica>) every ALIVE_TTL / 4 s;
    # a killed one's is gone ALIVE_TTL s later. Short, so that a killed desk's buyers are
    # answered within seconds; a live desk whose loop stalls longer only loses its answer to
    # the sweep (DeskService answers each line once whoever stores it first).
    ALIVE_TTL = 2.0
    DESKS = "desks"  # (after PREFIX) the set of desks that said they were running

    def __init__(self, url: str, replica: str):
        import redis.asyncio as redis_asyncio

        # Commands wait REDIS_TIMEOUT at most: a hung Redis must not hold up a buyer's answer.
        self.redis = redis_asyncio.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        # The listener waits for events as long as there are none: no read timeout there.
        self.redis_listener = redis_asyncio.from_url(url, socket_connect_timeout=REDIS_TIMEOUT)
        self.replica = replica
        self.local = LocalHub()
        self._local_agents: Dict[str, int] = {}
        self._online_count = 0
        self._tasks: list = []
        self._redis_away_until = 0.0

    async def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._listen()), asyncio.ensure_future(self._presence_loop()),
                       asyncio.ensure_future(self._alive_loop())]

    async def stop(self) -> None:
        """Stop, saying so: a desk stopped on purpose has finished its lines (see lifecycle.drain)."""
        for task in self._tasks:
            task.cancel()
        try:
            await self.redis.delete(f"{self.PREFIX}alive:{self.replica}")
            await self.forget_desk(self.replica)
        except Exception as error:  # noqa: BLE001 - Redis away: the key expires, the others sweep nothing
            logger.warning("could not tell Redis this desk stopped: %r", error)
        await self.redis.close()
        await self.redis_listener.close()

    def subscribe(self, channel: str) -> asyncio.Queue:
        return self.local.subscribe(channel)

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        self.local.unsubscribe(channel, queue)

    async def publish(self, channel: str, event: Dict[str, Any]) -> None:
        await self.publish_many([(channel, event)])

    async def publish_many(self, events: List[Tuple[str, Dict[str, Any]]]) -> None:
        """Several events, in order: to this replica's sockets at once, to the others in one round trip.

        A socket here gets its event without a trip through Redis; the listener
        skips what this replica sent.
        """
        if not events:
            return
        await self.local.publish_many(events)
        if time.monotonic() < self._redis_away_until:
            return  # it failed a moment ago: not another wait of REDIS_TIMEOUT per event meanwhile
        try:
            await self.redis.publish(self.PREFIX + self.EVENTS, _batch(self.replica, events))
        except Exception as error:  # noqa: BLE001 - Redis away or hung: what was done stays done
            # The change is stored; sockets on other replicas get it when they next resync.
            self._redis_away_until = time.monotonic() + REDIS_RETRY_AFTER
            logger.warning("could not pass events to the other desks through Redis (trying again in %d s): %r",
                           REDIS_RETRY_AFTER, error)

    async def _listen(self) -> None:
        mine = self.replica.encode() + b"\n"
        while True:
            try:
                pubsub = self.redis_listener.pubsub()
                await pubsub.subscribe(self.PREFIX + self.EVENTS)
                async for message in pubsub.listen():
                    if message.get("type") != "message" or message["data"].startswith(mine):
                        continue
                    _, channels, body = message["data"].split(b"\n", 2)
                    # Every replica hears every chat; decode only what a socket here waits for.
                    wanted = [(position, channel) for position, channel in enumerate(channels.decode().split("\t"))
                              if self.local.has_subscribers(channel)]
                    if wanted:
                        events = json.loads(body)
                        for position, channel in wanted:
                            await self.local.publish(channel, events[position])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: reconnect, sockets resync on their own
                await asyncio.sleep(1)

    # -- agent presence across replicas -------------------------------------------------
    def agent_connected(self, username: str, delta: int) -> None:
        self._local_agents[username] = self._local_agents.get(username, 0) + delta
        if self._local_agents[username] <= 0:
            self._local_agents.pop(username, None)
        asyncio.ensure_future(self._refresh_presence())

    def agents_online(self) -> int:
        return max(self._online_count, len(self._local_agents))

    async def _refresh_presence(self) -> None:
        now = time.time()
        try:
            members = {f"{self.replica}|{name}": now + self.PRESENCE_TTL for name in self._local_agents}
            mine = [e for e in await self.redis.zrange(self.PRESENCE, 0, -1)
                    if e.decode().startswith(f"{self.replica}|") and e.decode() not in members]
            pipe = self.redis.pipeline()
            pipe.zremrangebyscore(self.PRESENCE, "-inf", now)
            if mine:
                pipe.zrem(self.PRESENCE, *mine)  # agents who left this replica
            if members:
                pipe.zadd(self.PRESENCE, members)
            pipe.zrange(self.PRESENCE, 0, -1)
            entries = (await pipe.execute())[-1]
            live = {e.decode().split("|", 1)[1] for e in entries}
            self._online_count = len(live | set(self._local_agents))
        except Exception:
            self._online_count = len(self._local_agents)

    async def _presence_loop(self) -> None:
        while True:
            await self._refresh_presence()
            await asyncio.sleep(self.PRESENCE_TTL / 3)

    # -- which desk replicas are running ---------------------------------------------------
    async def _alive_loop(self) -> None:
        while True:
            try:
                pipe = self.redis.pipeline()
                pipe.set(f"{self.PREFIX}alive:{self.replica}", "1", px=int(self.ALIVE_TTL * 1000))
                pipe.sadd(self.PREFIX + self.DESKS, self.replica)
                await pipe.execute()
            except Exception as error:  # Redis restarting: the next beat renews it
                logger.warning("could not tell Redis this desk is running: %r", error)
            await asyncio.sleep(self.ALIVE_TTL / 4)

    async def desks_gone(self) -> Set[str]:
        """Desks that said they were running and no longer do, without having stopped on purpose
        (killed, or cut off): their lines may wait for an answer. Empty if Redis cannot tell."""
        try:
            desks = [d.decode() for d in await self.redis.smembers(self.PREFIX + self.DESKS)]
            desks = [d for d in desks if d != self.replica]
            alive = await self.desks_alive(desks)
        except Exception as error:  # noqa: BLE001 - Redis away: no desk is known to be gone
            logger.warning("could not read which desks are running: %r", error)
            return set()
        return set(desks) - alive

    async def forget_desk(self, replica: str) -> None:
        """Take a gone desk off the list once its lines are answered."""
        await self.redis.srem(self.PREFIX + self.DESKS, replica)

    async def desks_alive(self, replicas: Iterable[str]) -> Set[str]:
        """Of these desk replicas, those still running (or all of them, if Redis cannot tell).

        Counting a dead desk as alive only makes a sweep wait longer for its lines;
        the other way round, two desks would answer one line.
        """
        replicas = list(replicas)
        try:
            pipe = self.redis.pipeline()
            for replica in replicas:
                pipe.exists(f"{self.PREFIX}alive:{replica}")
            found = await pipe.execute()
        except Exception as error:
            logger.warning("could not read which desks are running: %r", error)
            return set(replicas)
        return {replica for replica, there in zip(replicas, found) if there}
