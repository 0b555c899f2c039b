"""A desk's start and stop: what it connects to, what it builds, and what it finishes first.

Start: the live-event hub (Redis when REDIS_URL is set), the database (migrated),
the shop's data, the Rasa client and the service, and the sweep that answers
what a dead desk left. Stop: every buyer's line being handled is finished
(its answer stored and published) before the connections close.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from pathlib import Path
from typing import Dict

import yaml
from sanic import Sanic

from shopbot.desk.aftersale_desk import AftersaleDesk
from shopbot.desk.buyer_photos import photo_cleaning_slots
from shopbot.desk.cases import CaseStore
from shopbot.desk.hub import LocalHub, RedisHub
from shopbot.desk.order_notices import OrderNotices
from shopbot.desk.photo_store import DirectoryPhotoStore
from shopbot.desk.reminders import ReminderRules, Reminders
from shopbot.desk.login_throttle import LoginThrottle
from shopbot.desk.rate_limits import Buckets, BuyerLimits, Rate
from shopbot.desk.off_loop import password_check_pool
from shopbot.desk.rasa_client import RasaClient
from shopbot.desk.service import RECOVER_EVERY, DeskService
from shopbot.desk.shared_login_throttle import RedisLoginThrottle
from shopbot.desk.store import DeskStore
from shopbot.desk.triggers import Triggers
from shopbot.training.jobs import RetrainJobs

logger = logging.getLogger(__name__)
DRAIN_SECONDS = 30  # longer than one message can take (Rasa's 20 s timeout and 7.5 s of retries)
FALLBACK_REPLIES = ("utter_ask_rephrase", "utter_offer_human")


def domain_responses(domain_path: Path) -> Dict[str, list]:
    """The reply scripts of domain.yml, by name."""
    if not domain_path.exists():
        return {}
    return (yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}).get("responses") or {}


def quick_replies(responses: Dict[str, list]) -> list:
    """The scripts an agent can pick as they are: those without blanks to fill."""
    return [{"name": name, "text": v["text"]} for name, variants in responses.items()
            for v in variants if "text" in v and "{" not in v["text"]]


async def start(app: Sanic, _loop) -> None:
    from shopbot.shop.aftersale_policy import agent_confirms_within_hours
    from shopbot.shop.policy import ShopPolicy
    from shopbot.shop.store import ShopStore, now_from

    ctx, cfg = app.ctx, app.ctx.cfg
    if ctx.hub is None:
        # Unique per process: replicas in containers share one host:port, and a desk
        # restarted on the same port must not pass for the one that was killed.
        replica = f"{socket.gethostname()}:{cfg.desk_port}:{secrets.token_hex(4)}"
        ctx.hub = RedisHub(cfg.redis_url, replica=replica) if cfg.redis_url else LocalHub(replica)
    await ctx.hub.start()
    ctx.store = await DeskStore(cfg.desk_db_url).open()
    policy = ShopPolicy(cfg.shop_dir)
    shop_store = ShopStore(cfg.shop_db_url)
    await asyncio.get_running_loop().run_in_executor(None, shop_store.sync_from_files, cfg.shop_dir)
    responses = domain_responses(cfg.domain_path)

    ctx.password_checks = password_check_pool()
    # Shared by the replicas when they share Redis: else each would allow its own MAX_FAILURES.
    ctx.login_throttle = RedisLoginThrottle(cfg.redis_url) if cfg.redis_url else LoginThrottle()
    ctx.login_limits = Buckets(Rate(*cfg.login_rate))  # per address, whatever the names tried
    ctx.buyer_limits = BuyerLimits(Rate(*cfg.socket_rate), Rate(*cfg.address_rate), Rate(*cfg.chats_rate))
    if ctx.rasa is None:
        ctx.rasa = RasaClient(cfg.rasa_replica_urls, token=cfg.rasa_token, channel_token=cfg.channel_token)
    ctx.quick_replies = quick_replies(responses)
    ctx.service = DeskService(
        ctx.store, ctx.rasa, ctx.hub, Triggers.from_settings(policy.settings),
        [v["text"] for name in FALLBACK_REPLIES for v in responses.get(name, []) if "text" in v],
        agents_online=ctx.hub.agents_online, agent_hours=policy.agent_hours_text(),
        own_order_ids=lambda account: {o["order_id"] for o in shop_store.orders_of(account or "")},
        secret=cfg.desk_secret)
    ctx.cases = CaseStore(ctx.store.engine)
    ctx.service.aftersale = AftersaleDesk(ctx.cases, ctx.service, agent_confirms_within_hours(policy.settings),
                                          policy.returns.get("address", ""))
    ctx.photos = DirectoryPhotoStore(cfg.photo_dir)
    ctx.photo_limits = Buckets(Rate(*cfg.photo_rate))  # per chat
    ctx.photo_cleaning, ctx.photo_queue = photo_cleaning_slots(), 0
    ctx.shop_store = shop_store
    ctx.order_notices = OrderNotices(ctx.service, policy, lambda: now_from(cfg.shop_now))
    ctx.reminders = ctx.service.reminders = Reminders(
        ctx.store.engine, shop_store, ctx.service, ReminderRules.from_settings(policy.settings),
        lambda: now_from(cfg.shop_now))
    ctx.shop_name = policy.shop_name
    ctx.retrain_jobs = RetrainJobs(Path.cwd(), cfg.rasa_url, cfg.gate_margin, cfg.rasa_token,
                                   rasa_replica_urls=cfg.rasa_replica_urls)
    ctx.recovery = [
        asyncio.ensure_future(keep_doing(RECOVER_EVERY, ctx.service.recover_unanswered,
                                         "could not look for abandoned messages")),
        asyncio.ensure_future(keep_doing(GONE_DESKS_EVERY, ctx.service.recover_lines_of_gone_desks,
                                         "could not answer for a desk that stopped"))]
    if cfg.remind_every > 0:
        ctx.recovery.append(asyncio.ensure_future(keep_doing(cfg.remind_every, ctx.reminders.send_due,
                                                             "could not send unpaid reminders")))


async def drain(app: Sanic, _loop=None) -> None:
    """Finish the buyers' messages being handled: their answers are stored and published.

    Run before the sockets close (the answers reach the buyers' own sockets), and
    again after (a line read while Sanic was closing them is answered through the
    hub, which reaches the buyer's next socket on another desk).
    """
    give_up_at = time.monotonic() + DRAIN_SECONDS
    while app.ctx.in_flight and time.monotonic() < give_up_at:
        await asyncio.wait(set(app.ctx.in_flight), timeout=give_up_at - time.monotonic())


async def stop(app: Sanic, _loop) -> None:
    ctx = app.ctx
    await drain(app)
    for task in ctx.recovery:
        task.cancel()
    await ctx.rasa.close()
    await ctx.store.close()
    await ctx.hub.stop()
    ctx.password_checks.shutdown()
    await ctx.login_throttle.close()


async def keep_doing(every: float, work, failed: str) -> None:
    """`await work()` every `every` seconds until cancelled; an error is logged and the next round tries again
    (the database or Redis away)."""
    while True:
        await asyncio.sleep(every)
        try:
            await work()
        except Exception:
            logger.exception(failed)


GONE_DESKS_EVERY = 0.5  # a killed desk's buyers are answered this soon after the hub sees it gone
