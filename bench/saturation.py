"""Saturation: the highest rate the desks hold, and bare Rasa, stepped up in one run.

    python -m bench.saturation            (starts make run-cluster's topology, then stops it;
                                           `make bench-saturation` trains first)
    python -m bench.saturation --rates 30,45,60 --step-seconds 60
    python -m bench.saturation --no-cluster --desk-url ... --rasa-url ...   (servers you run)

bench/load.py measures the desks at the one rate issue 6 asks for. This asks
how far above it they go before buyers feel it, and whether the desks give out
before Rasa does: the same crowd (bench/crowd.py) offers each path a rising rate,
a step at a time, until a step is not held (bench/saturation_rule.py: p95 over
1 s, errors, lost or duplicated lines, or the path answering less than it was
offered). The desks and bare Rasa climb in the same run, a step of each at every
rate, taking turns at going first (A B B A) so the machine's drift weighs on both.
The crowd grows with the rate, each buyer keeping bench-load's pace (20 buyers at
32 msg/s), so a buyer waiting on a slow answer does not by itself cap what the
crowd offers. Each step's lines are checked against the stores before the next.
The machine is shared: a step during which PostgreSQL restarted or the cluster's
supervisor restarted a process (other work on the machine did it) is run again,
up to three times in all.

Prints a line per step as it ends, then the highest rate each path held and the
desks' over bare Rasa's; the last line is

    saturation desk_held=R bare_held=R ratio=X

(R with a '+' when the path held every step it was offered: a lower bound, and
the ratio then a bound too, '<=' or '>=', or n/a.) A
run with the default rates takes under 13 minutes with the cluster's start;
--budget-minutes stops the climb before it runs over.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import time
from typing import Dict, List, Tuple

import aiohttp

from bench.bench_cluster import cluster_state, cpu_roles, start_cluster, wait_healthy, what_happened
from bench.crowd import Stats, check_rasa, desk_buyer, rasa_buyer, run_phase
from bench.saturation_rule import Limits, Step, capacity, capacity_ratio, climb_is_over, held, why_not_held
from harness.buyer_sim import SimulatedAgent, SimulatedBuyer, check_transcripts
from shopbot import config
from shopbot.desk.stage_times import percentile_ms

DESK, BARE = "desk", "bare Rasa"
CHECK_SECONDS = 10  # a step's tail, its check against the stores and the pause after it, roughly
TRIES = 3  # runs of a step while other work on the machine keeps disturbing the cluster
# Coarse where both paths have always held (bench-load's 32 msg/s is well inside), 10 msg/s apart where
# they gave out on a quiet machine (80-100 msg/s on 2026-12-07), so the climbs end within the budget.
DEFAULT_RATES = "20,40,60,70,80,90,100,110,120"
# bench-load's crowd: 20 buyers offering 32 msg/s together.
LOAD_BENCH_PACE = 32.0 / 20


def buyers_for(rate: float, pace: float = LOAD_BENCH_PACE) -> int:
    """How many buyers offer `rate` msg/s when each sends `pace` msg/s on average."""
    return max(1, math.ceil(rate / pace))


def step_from(path: str, rate: float, seconds: float, stats: Stats, lost: int, duplicated: int) -> Step:
    """A step's figures as the stopping rule reads them: every line answered, the bot's answers' p95."""
    return Step(path=path, offered=rate, seconds=seconds, answered=len(stats.latencies),
                p95_ms=percentile_ms(stats.bot_latencies, 0.95) or float("nan"),
                errors=stats.errors, lost=lost, duplicated=duplicated)


# p50, p95, p99: the bot's answers; answered: every line, msg/s over the step; cores: every role's CPU.
HEADER = (f"{'path':<11}{'offered':>8}{'buyers':>7}{'answered':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>7}{'lost':>6}{'dup':>5}{'cores':>7}  verdict")


def step_row(step: Step, buyers: int, stats: Stats, verdict: str) -> str:
    """One step's line: what was offered, what came back, the cores busy, and the verdict."""
    cores = sum(stats.cpu.values()) / stats.duration
    bot = stats.bot_latencies
    return (f"{step.path:<11}{step.offered:>8g}{buyers:>7}{step.answered / step.seconds:>9.1f}"
            f"{percentile_ms(bot, 0.50):>9.1f}{step.p95_ms:>9.1f}{percentile_ms(bot, 0.99):>9.1f}"
            f"{step.errors:>7}{step.lost:>6}{step.duplicated:>5}{cores:>7.2f}  {verdict}")


def verdict(step: Step, limits: Limits) -> str:
    return "held" if held(step, limits) else "not held: " + ", ".join(why_not_held(step, limits))


async def climb(args) -> int:
    cfg = config.load()
    limits = Limits(p95_ms=args.p95_limit_ms, shortfall_sd=args.shortfall_sd)
    budget_ends = time.monotonic() + 60 * args.budget_minutes
    timeout = aiohttp.ClientTimeout(total=30)  # as long as a desk buyer waits for an answer
    steps: Dict[str, List[Step]] = {DESK: [], BARE: []}
    out_of_time = False
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http, \
            aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent_http:
        # unsafe=True: keep the agent's session cookie from an IP address (127.0.0.1).
        async with agent_http.post(f"{args.desk_url}/api/login",
                                   json={"username": args.agent, "password": args.agent_password}) as login:
            if login.status != 200:
                print(f"error: the simulated agent cannot log in ({login.status}); "
                      f"create it: shopbot user add {args.agent}", file=sys.stderr)
                return 2

        async def desk_step(rate: float, seconds: float) -> Tuple[Step, Stats]:
            crowd: List[SimulatedBuyer] = []
            agent = asyncio.ensure_future(SimulatedAgent(agent_http, args.desk_url).run(
                time.monotonic() + seconds + 35, every=1.0))
            try:
                stats = await run_phase(DESK, buyers_for(rate, args.pace), seconds, rate,
                                        lambda s, d, i: desk_buyer(http, args.desk_url, cfg.desk_secret,
                                                                   s, d, i, crowd),
                                        cpu_roles(args.cluster))
            finally:
                agent.cancel()
            stored = await check_transcripts(agent_http, args.desk_url, crowd)
            return step_from(DESK, rate, seconds, stats, stored.lost, stored.duplicated), stats

        async def bare_step(rate: float, seconds: float) -> Tuple[Step, Stats]:
            record: Dict[str, int] = {}
            stats = await run_phase(BARE, buyers_for(rate, args.pace), seconds, rate,
                                    lambda s, d, i: rasa_buyer(http, args.rasa_url, s, d, i, record),
                                    cpu_roles(args.cluster))
            stored = await check_rasa(http, args.rasa_url, record)
            return step_from(BARE, rate, seconds, stats, stored["lost"], stored["duplicated"]), stats

        async def judged_step(path: str, rate: float) -> Step:
            """A step of `path` at `rate`, again (TRIES in all) while other work on the machine disturbs the cluster."""
            for attempt in range(1, TRIES + 1):
                before = cluster_state(args.cluster)
                try:
                    step, stats = await (desk_step if path == DESK else bare_step)(rate, args.step_seconds)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as error:
                    # The stores' check failed: fine if PostgreSQL was away, a bug otherwise.
                    happened = what_happened(before, cluster_state(args.cluster))
                    if not happened or attempt == TRIES:
                        raise
                    print(f"{path:<11}{rate:>8g}  the step's check failed ({type(error).__name__}); "
                          f"{', '.join(happened)} meanwhile, not by this bench: not judged, again", flush=True)
                else:
                    happened = what_happened(before, cluster_state(args.cluster))
                    if not happened or attempt == TRIES:
                        note = f" ({', '.join(happened)} meanwhile)" if happened else ""
                        print(step_row(step, buyers_for(rate, args.pace), stats, verdict(step, limits) + note),
                              flush=True)
                        return step
                    print(step_row(step, buyers_for(rate, args.pace), stats,
                                   f"{', '.join(happened)} meanwhile, not by this bench: not judged, again"),
                          flush=True)
                await asyncio.to_thread(wait_healthy, args.cluster)
                await asyncio.sleep(3 * args.settle_seconds)

        print(f"{os.cpu_count()} cores; {args.step_seconds:g} s a step; each buyer {args.pace:g} msg/s; held: "
              f"the bot's p95 <= {limits.p95_ms:g} ms, no errors, nothing lost or duplicated, and the lines "
              f"answered within {limits.shortfall_sd:g} Poisson standard deviations of those offered")
        print(HEADER, flush=True)
        if args.warm_up_seconds > 0:
            # A fresh cluster's first answers (connections, Rasa's first predictions) are not a rate's.
            for path in (BARE, DESK):
                step, stats = await (desk_step if path == DESK else bare_step)(args.rates[0], args.warm_up_seconds)
                print(step_row(step, buyers_for(args.rates[0], args.pace), stats, "warm-up, not judged"), flush=True)
        for number, rate in enumerate(args.rates):
            for path in (BARE, DESK) if number % 2 == 0 else (DESK, BARE):
                if climb_is_over(steps[path], limits):
                    continue
                if time.monotonic() + args.step_seconds + CHECK_SECONDS > budget_ends:
                    out_of_time = True
                    break
                step = await judged_step(path, rate)
                steps[path].append(step)
                # A path pushed past what it holds has a backlog: let it drain before the other's step.
                await asyncio.sleep(args.settle_seconds if held(step, limits) else 3 * args.settle_seconds)
            if out_of_time or all(climb_is_over(s, limits) for s in steps.values()):
                break

    desk, bare = capacity(steps[DESK], limits), capacity(steps[BARE], limits)
    if out_of_time:
        print(f"stopped by the budget ({args.budget_minutes:g} min) before every climb was over")
    print(f"highest rate held: desk {desk.describe()}, bare Rasa {bare.describe()}; "
          f"desk / bare Rasa = {capacity_ratio(desk, bare)}, as coarse as the steps")
    print(f"saturation desk_held={desk.figure()} bare_held={bare.figure()} ratio={capacity_ratio(desk, bare)}")
    return 0


def rates(text: str) -> List[float]:
    values = [float(part) for part in text.split(",") if part.strip()]
    if not values or values != sorted(values) or values[0] <= 0:
        raise argparse.ArgumentTypeError("rising positive rates, comma-separated, e.g. 20,30,40")
    return values


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=rates, default=rates(DEFAULT_RATES),
                        help=f"offered msg/s, one step each, rising (default {DEFAULT_RATES})")
    parser.add_argument("--step-seconds", type=float, default=30.0, help="seconds of each step")
    parser.add_argument("--pace", type=float, default=LOAD_BENCH_PACE,
                        help="msg/s each buyer sends on average; the crowd grows with the rate (default bench-load's)")
    parser.add_argument("--p95-limit-ms", type=float, default=Limits.p95_ms)
    parser.add_argument("--shortfall-sd", type=float, default=Limits.shortfall_sd,
                        help="how many Poisson standard deviations the lines answered may fall short of those offered")
    parser.add_argument("--warm-up-seconds", type=float, default=10.0,
                        help="a step of each path at the first rate before the climb, not judged (0: none)")
    parser.add_argument("--settle-seconds", type=float, default=5.0, help="pause after a step held (3x after one not)")
    parser.add_argument("--budget-minutes", type=float, default=11.0,
                        help="no step starts that would end later than this after the cluster is up")
    parser.add_argument("--no-cluster", action="store_true", help="use servers already running")
    parser.add_argument("--desk-url", default="http://127.0.0.1:8000")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--agent", default="load-agent")
    parser.add_argument("--agent-password", default="load-agent-pass")
    args = parser.parse_args(argv)
    cluster = None if args.no_cluster else start_cluster("bench-saturation-cluster", args.agent, args.agent_password)
    if cluster is not None:
        args.desk_url, args.rasa_url = cluster.desk_url, cluster.rasa_url
    args.cluster = cluster
    try:
        return asyncio.run(climb(args))
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
