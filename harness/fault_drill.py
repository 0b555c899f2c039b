"""A fault drill: buyers chat through the desks while something in the cluster breaks.

Used by the cluster fault tests (short) and `make bench-faults` (long). Buyers
behave like the widget (harness.buyer_sim), a simulated agent serves whatever
is handed off, and `fault` (a plain function: kill a replica, restart
PostgreSQL) runs `fault_at` seconds in. Afterwards the desk's stored
transcripts are read back: every message must be there once, with an answer.
"""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

import aiohttp

from harness.buyer_sim import SimulatedAgent, SimulatedBuyer, check_transcripts

ACCOUNTS = ["tb_lily", "tb_wang88", "小鱼儿2019", "tb_chen_mama", "吃货阿强", "tb_zhou77", "sunny_day", "老李爱坚果"]
SCRIPTS = [
    ["在吗", "这个芒果干还有货吗", "保质期多久", "新疆包邮吗", "好的谢谢"],
    ["你好", "能便宜点吗", "有优惠券吗", "发什么快递", "我再考虑考虑"],
    ["发什么快递", "能发顺丰吗", "几天能到上海", "可以用信用卡吗", "拜拜"],
    ["坚果礼盒还有吗", "生产日期是什么时候", "能开发票吗", "好的"],
]


@dataclass
class DrillReport:
    messages: int
    answered_by_bot: int
    answered_by_people: int  # agent replies and the desk's notices (a handoff)
    unanswered: int  # the buyer saw no answer within the timeout
    reconnects: int
    lost: int
    duplicated: int
    unanswered_stored: int
    slowest_seconds: float
    fault_seconds: float

    def line(self, name: str) -> str:
        return (f"{name}: messages={self.messages} bot={self.answered_by_bot} "
                f"handed_off={self.answered_by_people} unanswered={self.unanswered} "
                f"reconnects={self.reconnects} lost={self.lost} duplicated={self.duplicated} "
                f"slowest={self.slowest_seconds:.1f}s fault_took={self.fault_seconds:.1f}s")


async def drill(desk_url: str, secret: str, agent: tuple, fault: Optional[Callable[[], object]],
                *, buyers: int = 6, turns: int = 6, pace: float = 0.5, fault_at: float = 2.0,
                answer_timeout: float = 60.0, seed: int = 1) -> DrillReport:
    rng = random.Random(seed)
    timeout = aiohttp.ClientTimeout(total=30)
    # unsafe=True: keep the session cookie of a desk addressed by IP (127.0.0.1).
    async with aiohttp.ClientSession(timeout=timeout) as http, \
            aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent_http:
        simulated_agent = SimulatedAgent(agent_http, desk_url)
        if not await simulated_agent.login(*agent):
            raise RuntimeError(f"the drill's agent {agent[0]} cannot log in")
        crowd = [SimulatedBuyer(http, desk_url, rng.choice(ACCOUNTS), secret) for _ in range(buyers)]
        scripts = [rng.choice(SCRIPTS) for _ in crowd]
        fault_seconds = 0.0

        async def play(buyer: SimulatedBuyer, script: List[str]) -> None:
            for i in range(turns):
                await buyer.say(script[i % len(script)], timeout=answer_timeout)
                await asyncio.sleep(pace * (0.5 + rng.random()))

        async def strike() -> None:
            nonlocal fault_seconds
            await asyncio.sleep(fault_at)
            began = time.monotonic()
            await asyncio.to_thread(fault)
            fault_seconds = time.monotonic() - began

        serving = asyncio.ensure_future(simulated_agent.run(until=float("inf")))
        striking = asyncio.ensure_future(strike()) if fault else None
        try:
            await asyncio.gather(*(play(b, s) for b, s in zip(crowd, scripts)))
            if striking:
                await striking
        finally:
            serving.cancel()
            for buyer in crowd:
                await buyer.close()
        stored = await _check_when_reachable(agent_http, desk_url, crowd)

    turns_played = [t for b in crowd for t in b.turns]
    answered = [t for t in turns_played if t.answer is not None]
    return DrillReport(
        messages=len(turns_played),
        answered_by_bot=sum(t.answer["sender"] == "bot" for t in answered),
        answered_by_people=sum(t.answer["sender"] != "bot" for t in answered),
        unanswered=len(turns_played) - len(answered),
        reconnects=sum(b.reconnects for b in crowd),
        lost=stored.lost, duplicated=stored.duplicated, unanswered_stored=stored.unanswered,
        slowest_seconds=max((t.seconds for t in answered), default=0.0),
        fault_seconds=fault_seconds)


async def _check_when_reachable(agent_http, desk_url, crowd, attempts: int = 20):
    """The desk may still be settling after the fault: retry the read, not the verdict."""
    for attempt in range(attempts):
        try:
            return await check_transcripts(agent_http, desk_url, crowd)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)


@dataclass
class StrandedLine:
    """What became of one line whose desk was killed while the bot was thinking."""
    confirmed: bool  # the desk had stored it and told the widget so before it was killed
    answer_sender: Optional[str]  # who answered it in the end (None: nobody, in time)
    seconds: Optional[float]  # from the line to its answer
    reconnects: int


async def stranded_line(cluster, secret: str, timeout: float = 120.0) -> StrandedLine:
    """Kill a desk between storing a buyer's line and the bot's answer; wait for the answer.

    Rasa's replicas are frozen (SIGSTOP) while the line is sent, so the kill always lands
    while the bot is thinking: the drills under load only catch that moment by chance.
    The desk restarts (the cluster's supervisor) under a new name; the line is the
    sweep's to answer. `cluster`: a running harness.cluster.Cluster.
    """
    import os
    import signal

    victim = f"desk-{cluster.desk_replicas[0]}"
    rasa_pids = [cluster.pid(f"rasa-{port}") for port in cluster.rasa_replicas]
    async with aiohttp.ClientSession() as http:
        buyer = SimulatedBuyer(http, f"http://127.0.0.1:{cluster.desk_replicas[0]}", "tb_lily", secret)
        await buyer.open()
        for pid in rasa_pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            saying = asyncio.ensure_future(buyer.say("这款有货吗", timeout=timeout))
            for _ in range(100):  # until the desk confirms it stored the line
                await asyncio.sleep(0.1)
                if buyer.turns and buyer.turns[-1].stored_id is not None:
                    break
            confirmed = bool(buyer.turns) and buyer.turns[-1].stored_id is not None
            cluster.kill(victim, signal.SIGKILL)
        finally:
            for pid in rasa_pids:
                os.kill(pid, signal.SIGCONT)
        turn = await saying
        await buyer.close()
    return StrandedLine(confirmed, turn.answer["sender"] if turn.answer else None, turn.seconds, buyer.reconnects)
