"""What a desk's recovery sweep costs PostgreSQL, for a first sweep and for each later one.

    .venv/bin/python -m bench.sweep [--rate 32] [--db-url postgresql://postgres@127.0.0.1:5432/shopbot_bench_sweep]

Every desk looks for abandoned buyer messages every RECOVER_EVERY seconds
(shopbot/desk/service.py). This fills a scratch database with RECOVER_WITHIN of
a busy desk's traffic (`--rate` buyer lines a second, each answered), then times
the sweep's query over the window a desk's first sweep reads and over the one
each later sweep reads, and prints both with their ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid

import sqlalchemy as sa

from shopbot.desk import service, states
from shopbot.desk.schema import conversations, messages
from shopbot.desk.store import DeskStore

LINES_PER_CHAT = 5


async def fill(store: DeskStore, rate: float, now: float) -> int:
    """RECOVER_WITHIN of traffic ending at `now`: chats of LINES_PER_CHAT lines, each answered 20 ms later."""
    lines = int(rate * service.RECOVER_WITHIN)
    chats, rows = [], []
    for number in range(lines):
        if number % LINES_PER_CHAT == 0:
            chat = uuid.uuid4().hex
            chats.append({"id": chat, "account": "tb_lily", "state": states.BOT,
                          "created_at": now, "updated_at": now})
        sent = now - service.RECOVER_WITHIN + number / rate
        rows.append({"conversation_id": chat, "sender": "buyer", "text": "这款有货吗", "created_at": sent})
        rows.append({"conversation_id": chat, "sender": "bot", "text": "亲,有货的哦", "created_at": sent + 0.02})
    async with store.engine.connect() as conn:
        await conn.execute(conversations.insert(), chats)
        await conn.execute(messages.insert(), rows)
        await conn.execute(sa.text("ANALYZE"))
    return len(rows)


async def timed(store: DeskStore, window, repeats: int) -> float:
    """The median ms of the sweep's query over `window`."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        await store.unanswered(window)
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=32.0, help="buyer lines a second on the desk")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--db-url", default="postgresql://postgres@127.0.0.1:5432/shopbot_bench_sweep")
    args = parser.parse_args()

    server, _, name = args.db_url.rpartition("/")
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        print(f"error: PostgreSQL is not reachable at {server}: {error.orig}", file=sys.stderr)
        return 2
    asyncio.run(sweeps(args))
    with admin.connect() as conn:  # a scratch database: nothing in it is worth keeping
        conn.execute(sa.text(f'DROP DATABASE "{name}"'))
    admin.dispose()
    return 0


async def sweeps(args: argparse.Namespace) -> None:
    store = await DeskStore(args.db_url).open()  # migrated: the desk's tables and indexes
    now = time.time()
    rows = await fill(store, args.rate, now)
    # As DeskService.recover_unanswered reads: up to ORPHANED_AFTER ago (lines of desks that died),
    # from RECOVER_WITHIN ago the first time (and each time a desk is seen gone), later from
    # SWEEP_OVERLAP before the last sweep's ABANDONED_AFTER.
    newest = now - service.ORPHANED_AFTER
    first_window = (now - service.RECOVER_WITHIN, newest)
    later_window = (now - service.RECOVER_EVERY - service.ABANDONED_AFTER - service.SWEEP_OVERLAP, newest)
    first = await timed(store, first_window, args.repeats)
    later = await timed(store, later_window, args.repeats)
    per_minute = 60 / service.RECOVER_EVERY
    print(f"{rows} messages of the last {service.RECOVER_WITHIN:.0f} s ({args.rate:g} buyer lines/s, each answered)")
    print(f"first sweep of a desk ({first_window[1] - first_window[0]:.0f} s of messages): {first:.1f} ms")
    print(f"each later sweep ({later_window[1] - later_window[0]:.0f} s of messages): {later:.1f} ms")
    print(f"first / later = {first / later:.1f}; a desk sweeps {per_minute:.0f} times a minute: "
          f"{per_minute * first:.0f} ms of queries a minute reading the whole window, {per_minute * later:.0f} ms reading only what is new")
    await store.close()


if __name__ == "__main__":
    sys.exit(main())
