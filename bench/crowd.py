"""Simulated buyers offering a rate of messages to the desks or to bare Rasa, and one phase's figures.

bench/load.py and bench/saturation.py drive the same crowd: buyers play
multi-turn conversations from the manual's situations, paced so the whole crowd
offers a given rate of messages a second. Each buyer waits for the answer, then
types its next line after a random pause (exponential: the crowd's lines arrive
as independent buyers' do, a Poisson stream, not 20 buyers sending in lockstep).
Through the desk a buyer is a widget (`harness.buyer_sim.SimulatedBuyer`); against
bare Rasa it posts to Rasa's REST channel. Reply latency runs from sending a line
to the first answer to it. The checks afterwards judge the stores, not what the
buyers happened to receive: a line sent but not stored once is lost, one stored
twice duplicated.
"""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import aiohttp

from harness import proc_cpu
from harness.buyer_sim import SimulatedBuyer
from harness.fault_drill import ACCOUNTS
from harness.tokens import channel_headers, rasa_api
from shopbot.desk.service import is_handoff
from shopbot.desk.stage_times import percentile_ms

CONVERSATIONS = [
    ["在吗", "这个芒果干还有货吗", "保质期多久", "新疆包邮吗", "好的谢谢"],
    ["你好", "能便宜点吗", "再便宜5块我就拍", "有优惠券吗", "我再考虑考虑"],
    ["我的快递到哪了", "怎么还不发货", "有发票吗", "能开专票吗", "好的"],
    ["发什么快递", "能发顺丰吗", "几天能到上海", "可以用信用卡吗", "拜拜"],
    ["收到的饼干碎了", "我要退货", "退货运费谁出", "好的"],
    ["在吗", "转人工"],  # handed off: the simulated agent answers, then hands back
]


@dataclass
class Stats:
    """One phase's figures (or several phases', merged: see `combined`)."""
    latencies: List[float] = field(default_factory=list)
    # Lines the bot answered (bare Rasa: all). Through the desk, a line in a chat waiting for or
    # held by a person is answered by that person, and a request for one by the desk's own
    # notice, without Rasa: neither is the bot's answer whose wait the desk adds to.
    opening: List[float] = field(default_factory=list)  # desk only: clicking the widget to its welcome
    answered_at: List[float] = field(default_factory=list)  # monotonic time of each latency, for the timeline
    bot_by_line: Dict[str, List[float]] = field(default_factory=dict)  # the bot's answers, by the line's text
    sent: int = 0
    errors: int = 0
    handoffs: int = 0
    started: float = 0.0
    finished: float = 0.0
    elapsed: Optional[float] = None  # set when merged from phases with a gap between them
    cpu: Dict[str, float] = field(default_factory=dict)  # CPU seconds by role over the phase
    stolen: float = 0.0  # CPU seconds the host gave other guests over the phase (/proc/stat's steal)
    waited: Dict[str, float] = field(default_factory=dict)  # seconds by role spent ready to run, with no core free

    @property
    def bot_latencies(self) -> List[float]:
        return [seconds for by_line in self.bot_by_line.values() for seconds in by_line]

    @property
    def duration(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @classmethod
    def combined(cls, *phases: "Stats") -> "Stats":
        merged = cls(elapsed=sum(p.finished - p.started for p in phases))
        for phase in phases:
            merged.latencies += phase.latencies
            for text, seconds in phase.bot_by_line.items():
                merged.bot_by_line.setdefault(text, []).extend(seconds)
            merged.sent += phase.sent
            merged.errors += phase.errors
        return merged

    def summary(self) -> Dict[str, float]:
        elapsed = max(self.elapsed, 1e-9) if self.elapsed is not None else self.duration
        return {"messages": self.sent, "throughput": self.sent / elapsed, "p50_ms": percentile_ms(self.latencies, 0.50),
                "p95_ms": percentile_ms(self.latencies, 0.95), "p99_ms": percentile_ms(self.latencies, 0.99),
                "bot_p50_ms": percentile_ms(self.bot_latencies, 0.50), "bot_answers": len(self.bot_latencies),
                "errors": self.errors, "handoffs": self.handoffs,
                "open_p50_ms": percentile_ms(self.opening, 0.50), "open_p95_ms": percentile_ms(self.opening, 0.95)}


def shows_the_buyer(answer) -> bool:
    """Whether a REST answer has a reply the desk would show the buyer: the bot's answer, as the desk counts it.

    A chat the bot handed to a person is paused in Rasa, which then answers its
    lines with nothing (no policy, no action: NLU only). Through the desk those
    lines go to the person; counted as bare Rasa's answers they were a cheap kind
    of work the desk's side never times, pulling bare Rasa's p50 down.
    """
    return isinstance(answer, list) and any(isinstance(message, dict) and not is_handoff(message)
                                            for message in answer)


def record_bot_answer(stats: "Stats", text: str, seconds: float) -> None:
    """Count one of the bot's answers, under the line it answered (the load bench compares them line by line)."""
    stats.bot_by_line.setdefault(text, []).append(seconds)


def bot_p50(stats: Stats) -> float:
    """The bot's answers' p50 in ms (NaN when it gave none)."""
    return percentile_ms(stats.bot_latencies, 0.50) or float("nan")


class Pacer:
    """When a buyer sends next: a Poisson process of mean gap `interval` per buyer.

    The schedule runs on regardless of reply latency (a late reply only makes
    the next line go out at once), so the crowd offers the asked-for rate.
    """

    def __init__(self, interval: float):
        self.interval = interval
        self.next_at = time.monotonic() + random.expovariate(1.0 / interval)

    async def wait(self) -> None:
        await asyncio.sleep(max(0.0, self.next_at - time.monotonic()))
        self.next_at = max(self.next_at, time.monotonic() - self.interval) + random.expovariate(1.0 / self.interval)


# -- bare Rasa ---------------------------------------------------------------------------------
async def rasa_buyer(http, rasa_url, stats, deadline, interval, sent_by_sender):
    """Conversations posted to Rasa's REST channel until `deadline`, counting each sender's lines for check_rasa."""
    pacer = Pacer(interval)
    while time.monotonic() < deadline:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        account = random.choice(ACCOUNTS)
        for text in random.choice(CONVERSATIONS):
            await pacer.wait()
            if time.monotonic() >= deadline:
                return
            began = time.monotonic()
            try:
                async with http.post(f"{rasa_url}/webhooks/rest/webhook", headers=channel_headers(), json={
                        "sender": sender, "message": text, "metadata": {"account": account}}) as response:
                    answer = await response.json(content_type=None)
                    if response.status >= 400:
                        raise RuntimeError(response.status)
                stats.latencies.append(time.monotonic() - began)
                if shows_the_buyer(answer):
                    record_bot_answer(stats, text, stats.latencies[-1])
                stats.answered_at.append(time.monotonic())
                sent_by_sender[sender] = sent_by_sender.get(sender, 0) + 1
            except Exception:
                stats.errors += 1
            stats.sent += 1


async def check_rasa(http, rasa_url, sent_by_sender) -> Dict[str, int]:
    """Each line Rasa answered must be in its sender's tracker exactly once: lost and duplicated lines."""
    lost = duplicated = 0
    for sender, count in sent_by_sender.items():
        async with http.get(f"{rasa_url}/conversations/{sender}/tracker", params=rasa_api()) as response:
            tracker = await response.json(content_type=None)
        stored = sum(1 for e in tracker.get("events", []) if e.get("event") == "user")
        lost += max(0, count - stored)
        duplicated += max(0, stored - count)
    return {"lost": lost, "duplicated": duplicated, "conversations": len(sent_by_sender)}


# -- through the desk ----------------------------------------------------------------------------
async def desk_buyer(http, desk_url, secret, stats, deadline, interval, crowd, hands_off=True):
    """Conversations through the desk, one after another, as the widget holds them.

    The widget connects when the buyer opens it, before the first line is typed,
    so opening is timed on its own and reply latency starts at sending.
    """
    pacer = Pacer(interval)
    while time.monotonic() < deadline:
        buyer = SimulatedBuyer(http, desk_url, random.choice(ACCOUNTS), secret)
        crowd.append(buyer)
        try:
            stats.opening.append(await buyer.open())
            for text in random.choice(CONVERSATIONS):
                await pacer.wait()
                if time.monotonic() >= deadline:
                    break
                stats.sent += 1
                turn = await buyer.say(text, timeout=30)
                if turn.answer is None:
                    stats.errors += 1
                else:
                    stats.latencies.append(turn.seconds)
                    if turn.answer.get("sender") == "bot":
                        record_bot_answer(stats, text, turn.seconds)
                    stats.answered_at.append(time.monotonic())
                    stats.handoffs += hands_off and text == "转人工"
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, KeyError, ValueError):
            stats.errors += 1
            await asyncio.sleep(0.5)
        finally:
            await buyer.close()


# -- a phase ---------------------------------------------------------------------------------------
async def run_phase(name, buyers, duration, rate, make_buyer, roles: proc_cpu.Roles) -> Stats:
    """`buyers` buyers offering `rate` msg/s together for `duration` s; their figures and the CPU each role spent.

    `make_buyer(stats, deadline, interval)` is one buyer (rasa_buyer or desk_buyer
    with its servers bound). The phase ends when the last buyer has its last answer.
    """
    cpu_before, stolen_before = proc_cpu.snapshot(roles), proc_cpu.stolen_seconds()
    waits_before = proc_cpu.waits_snapshot(roles)
    stats = Stats(started=time.monotonic())
    deadline = stats.started + duration
    interval = buyers / rate
    await asyncio.gather(*(make_buyer(stats, deadline, interval) for _ in range(buyers)))
    stats.finished = time.monotonic()
    stats.cpu = proc_cpu.seconds_by_role(cpu_before, proc_cpu.snapshot(roles))
    stats.stolen = proc_cpu.stolen_seconds() - stolen_before
    stats.waited = proc_cpu.seconds_by_role(waits_before, proc_cpu.waits_snapshot(roles))
    return stats
