"""The login throttle of several desk replicas, kept in Redis.

Each replica counting on its own let a guesser who spread the guesses over the
replicas (the balancer does it for them) try MAX_FAILURES times per replica.
Here the wrong passwords of a name and its checks under way live in Redis, and
letting a check through is one script, so two replicas cannot both let the
last allowed guess through.

Redis away: each replica counts on its own again (the per-replica cap) rather
than refusing every login or letting every guess through. A check let through
by the local count is settled there too.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import Counter
from typing import Callable

from shopbot.desk.login_throttle import MAX_FAILURES, WINDOW, LoginThrottle

logger = logging.getLogger(__name__)

# A desk that dies while a check is under way leaves it counted: the count expires
# this long after the last check began (far longer than a check, or a flood's wait
# for the password threads, takes).
CHECKING_EXPIRES = 120

# KEYS: the name's wrong passwords (sorted set of times), its checks under way (counter).
# ARGV: now, window, max failures, CHECKING_EXPIRES. Returns the seconds to wait, "0" when admitted.
_ADMIT = """
local now, window, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local recent = redis.call('ZCARD', KEYS[1])
local checking = tonumber(redis.call('GET', KEYS[2]) or '0')
if recent + checking < most then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  return '0'
end
if recent < most then
  return '1'
end
local deciding = redis.call('ZRANGE', KEYS[1], recent - most, recent - most, 'WITHSCORES')
return tostring(math.max(0, tonumber(deciding[2]) + window - now))
"""

# KEYS: as above. ARGV: "failed" (ARGV[2]: now, ARGV[3]: a unique member, ARGV[4]: window), "succeeded"
# or "not_checked".
_SETTLE = """
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
if ARGV[1] == 'failed' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])))
elseif ARGV[1] == 'succeeded' then
  redis.call('DEL', KEYS[1])
end
return 1
"""


class RedisLoginThrottle:
    PREFIX = "shopbot:desk:login:"

    def __init__(self, url: str, max_failures: int = MAX_FAILURES, window: float = WINDOW,
                 clock: Callable[[], float] = time.time):
        import redis.asyncio as redis_asyncio

        # Wall-clock time: the replicas compare each other's failures.
        self.redis = redis_asyncio.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self.local = LoginThrottle(max_failures, window)
        self._admitted_here: Counter = Counter()  # checks let through by the local count, by name
        self._admit = self.redis.register_script(_ADMIT)
        self._settle = self.redis.register_script(_SETTLE)

    async def close(self) -> None:
        await self.redis.close()

    def _keys(self, username: str):
        # Hashed: a name is whatever a login form was sent (up to the request's 256 KB), and
        # every made-up name's failures stay in Redis for the window.
        name = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:32]
        return [f"{self.PREFIX}failures:{name}", f"{self.PREFIX}checking:{name}"]

    async def admit(self, username: str) -> float:
        try:
            wait = float(await self._admit(keys=self._keys(username), args=[
                self.clock(), self.window, self.max_failures, CHECKING_EXPIRES]))
        except Exception as error:  # Redis away: this replica's own count
            logger.warning("login throttle: Redis unavailable, counting on this desk only: %r", error)
            wait = self.local.admit_now(username)
            if wait == 0:
                self._admitted_here[username] += 1
        return wait

    async def failed(self, username: str) -> None:
        now = self.clock()
        await self._settled(username, "failed", now, f"{now}:{secrets.token_hex(4)}", self.window)

    async def succeeded(self, username: str) -> None:
        await self._settled(username, "succeeded")

    async def not_checked(self, username: str) -> None:
        await self._settled(username, "not_checked")

    async def _settled(self, username: str, outcome: str, *args) -> None:
        if self._admitted_here[username] > 0:
            self._admitted_here[username] -= 1
            if not self._admitted_here[username]:
                del self._admitted_here[username]
            getattr(self.local, f"{outcome}_now")(username)
            return
        try:
            await self._settle(keys=self._keys(username), args=[outcome, *args])
        except Exception as error:
            # The check under way expires with CHECKING_EXPIRES; a failure not recorded is one
            # guess more for this name, which the local count still sees.
            logger.warning("login throttle: could not record a login's outcome in Redis: %r", error)
            if outcome == "failed":
                self.local.failed_now(username)
