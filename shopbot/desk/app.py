"""The desk's Sanic app: `create_app()` builds it; nothing happens at import time.

Pages: the demo storefront with the chat widget (/), the agents' console
(/console). APIs: the buyer WebSocket (/ws/buyer), the agents' JSON API (/api/...)
and WebSocket (/ws/agent). Agent endpoints answer 401 without a valid session.
"""
from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import json
import logging
import math
import secrets
import socket
import time
from functools import wraps
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote

import yaml
from sanic import Request, Sanic, response
from sanic.exceptions import WebsocketClosed

from shopbot import config as config_module
from shopbot.compliance import RULES
from shopbot.desk import signing, states
from shopbot.desk.frames import MOST_EVENTS_IN_A_FRAME, frame_of
from shopbot.desk.hub import AGENTS, LocalHub, RedisHub, conversation_channel
from shopbot.desk.login_throttle import LoginThrottle
from shopbot.desk.message_writes import message_writes_for
from shopbot.desk.off_loop import in_thread, password_check_pool
from shopbot.desk.page_scripts import page_scripts_blueprint
from shopbot.desk.rasa_client import RasaClient
from shopbot.desk.sanic_compat import patch_websocket_recv
from shopbot.desk.service import RECOVER_EVERY, DeskService
from shopbot.desk.shared_login_throttle import RedisLoginThrottle
from shopbot.desk.store import DeskStore
from shopbot.desk.triggers import Triggers
from shopbot.gc_tuning import freeze_after_start

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "desk_session"
_app_numbers = itertools.count(1)
DRAIN_SECONDS = 30  # longer than one message can take (Rasa's 20 s timeout and 7.5 s of retries)


def _json_error(message: str, status: int, **extra: Any):
    return response.json({"error": message, **extra}, status=status)


def _scrub(value: Any) -> Any:
    """JSON with its lone surrogates ("\\ud800") replaced: they cannot be stored as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _client_id(value: Any) -> Optional[str]:
    """The widget's id for a message, as stored (64 characters at most).

    A longer one (no widget sends it) is replaced by its SHA-256, not cut: two
    different ids must not become one, or the second message would be taken
    for a resend of the first.
    """
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= 64 else hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def _load_domain_responses(domain_path: Path) -> Dict[str, list]:
    if not domain_path.exists():
        return {}
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    return domain.get("responses") or {}


def create_app(cfg: Optional[config_module.Config] = None, hub=None) -> Sanic:
    cfg = cfg or config_module.load()
    patch_websocket_recv()
    # Sanic's lines go to the process's logging (shopbot.desk.logs) alone; with Sanic's own
    # handlers as well, each was printed twice.
    app = Sanic(f"shopbot_desk_{next(_app_numbers)}", configure_logging=False)
    app.config.WEBSOCKET_MAX_SIZE = 64 * 1024
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.ctx.cfg = cfg
    app.ctx.hub = hub
    app.ctx.in_flight = set()  # buyers' messages being handled now
    app.register_listener(freeze_after_start("desk"), "after_server_start")

    @app.before_server_start
    async def start(app_: Sanic, _loop) -> None:
        from shopbot.shop.policy import ShopPolicy
        from shopbot.shop.store import ShopStore

        if app_.ctx.hub is None:
            # Unique per process: replicas in containers share one host:port, and a desk
            # restarted on the same port must not pass for the one that was killed.
            replica = f"{socket.gethostname()}:{cfg.desk_port}:{secrets.token_hex(4)}"
            app_.ctx.hub = RedisHub(cfg.redis_url, replica=replica) if cfg.redis_url else LocalHub(replica)
        await app_.ctx.hub.start()
        store = DeskStore(cfg.desk_db_url)
        app_.ctx.writes = message_writes_for(store, cfg.desk_db_url)
        await app_.ctx.writes.start()
        policy = ShopPolicy(cfg.shop_dir)
        shop_store = ShopStore(cfg.shop_db_url)
        shop_store.sync_from_files(cfg.shop_dir)
        responses = _load_domain_responses(cfg.domain_path)
        fallback_texts = [v["text"] for name in ("utter_ask_rephrase", "utter_offer_human")
                          for v in responses.get(name, []) if "text" in v]
        app_.ctx.store = store
        app_.ctx.password_checks = password_check_pool()
        # Shared by the replicas when they share Redis: else each would allow its own MAX_FAILURES.
        app_.ctx.login_throttle = RedisLoginThrottle(cfg.redis_url) if cfg.redis_url else LoginThrottle()
        app_.ctx.rasa = RasaClient(cfg.rasa_replica_urls)
        app_.ctx.quick_replies = [
            {"name": name, "text": v["text"]} for name, variants in responses.items()
            for v in variants if "text" in v and "{" not in v["text"]]
        app_.ctx.service = DeskService(
            store, app_.ctx.rasa, app_.ctx.hub, Triggers.from_settings(policy.settings),
            fallback_texts, agents_online=app_.ctx.hub.agents_online,
            agent_hours=policy.agent_hours_text(),
            own_order_ids=lambda account: {o["order_id"] for o in shop_store.orders_of(account or "")},
            writes=app_.ctx.writes)
        app_.ctx.shop_name = policy.shop_name
        app_.ctx.recovery = asyncio.ensure_future(_recover_abandoned(app_.ctx.service))

    async def drain(app_: Sanic) -> None:
        """Finish the buyers' messages being handled: their answers are stored and published."""
        give_up_at = time.monotonic() + DRAIN_SECONDS
        while app_.ctx.in_flight and time.monotonic() < give_up_at:
            await asyncio.wait(set(app_.ctx.in_flight), timeout=give_up_at - time.monotonic())

    @app.before_server_stop
    async def drain_while_sockets_are_open(app_: Sanic, _loop) -> None:
        """A restart first answers on the buyers' own sockets, before closing them."""
        await drain(app_)

    @app.after_server_stop
    async def stop(app_: Sanic, _loop) -> None:
        # A message read while Sanic was closing the connections: answered through the
        # hub, which reaches the buyer's next socket on another desk.
        await drain(app_)
        app_.ctx.recovery.cancel()
        await app_.ctx.rasa.close()
        await app_.ctx.writes.close()
        await app_.ctx.hub.stop()
        app_.ctx.password_checks.shutdown(wait=False)
        await app_.ctx.login_throttle.close()

    # -- auth ----------------------------------------------------------------------------
    async def current_user(request: Request) -> Optional[Dict[str, str]]:
        token = request.cookies.get(SESSION_COOKIE)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        return await in_thread(request.app.ctx.store.session_user, token) if token else None

    def login_required(role: Optional[str] = None):
        def decorator(handler):
            @wraps(handler)
            async def wrapper(request: Request, *args, **kwargs):
                user = await current_user(request)
                if user is None:
                    return _json_error("请先登录", 401)
                if role and user["role"] != role:
                    return _json_error("没有权限", 403)
                request.ctx.user = user
                return await handler(request, *args, **kwargs)
            return wrapper
        return decorator

    def body_of(request: Request) -> Dict[str, Any]:
        try:
            data = request.json
        except Exception:  # Sanic raises on malformed JSON
            return {}
        return _scrub(data) if isinstance(data, dict) else {}

    @app.post("/api/login")
    async def login(request: Request):
        data = body_of(request)
        username, password = data.get("username"), data.get("password")
        if not (isinstance(username, str) and isinstance(password, str)):
            return _json_error("请输入用户名和密码", 400)
        ctx = request.app.ctx
        wait = await ctx.login_throttle.admit(username)
        if wait > 0:
            minutes = math.ceil(wait / 60)
            refused = _json_error(f"密码错误次数太多,请{minutes}分钟后再试", 429)
            refused.headers["Retry-After"] = str(math.ceil(wait))
            return refused
        try:
            token = await in_thread(ctx.store.login, username, password, executor=ctx.password_checks)
        except BaseException:
            await ctx.login_throttle.not_checked(username)
            raise
        if token is None:
            await ctx.login_throttle.failed(username)
            return _json_error("用户名或密码错误", 401)
        await ctx.login_throttle.succeeded(username)
        user = await in_thread(ctx.store.session_user, token)
        resp = response.json(user)
        resp.cookies[SESSION_COOKIE] = token
        resp.cookies[SESSION_COOKIE]["httponly"] = True
        resp.cookies[SESSION_COOKIE]["samesite"] = "Strict"
        resp.cookies[SESSION_COOKIE]["path"] = "/"
        return resp

    @app.post("/api/logout")
    async def logout(request: Request):
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await in_thread(request.app.ctx.store.logout, token)
        resp = response.json({"ok": True})
        del resp.cookies[SESSION_COOKIE]
        return resp

    @app.get("/api/me")
    @login_required()
    async def me(request: Request):
        return response.json(request.ctx.user)

    # -- agents' API ---------------------------------------------------------------------------
    async def conversation_or_none(request: Request, conversation_id: str):
        return await in_thread(request.app.ctx.store.conversation, conversation_id)

    @app.get("/api/queue")
    @login_required()
    async def queue(request: Request):
        store = request.app.ctx.store
        waiting = await in_thread(store.queue)
        mine = await in_thread(store.active, request.ctx.user["username"])
        return response.json({
            "waiting": [c.as_dict() for c in waiting],
            "mine": [c.as_dict() for c in mine],
            "now": time.time(),
        })

    @app.get("/api/stats/stages")
    @login_required()
    async def stage_stats(request: Request):
        """How long this desk's own steps of a bot answer take (shopbot/desk/stage_times.py).

        Per replica: behind a load balancer, ask each replica on its own port.
        """
        times = request.app.ctx.service.stage_times
        return response.json({"since": times.since, "stages": times.summary()})

    @app.get("/api/conversations/<conversation_id>")
    @login_required()
    async def conversation_detail(request: Request, conversation_id: str):
        conversation = await conversation_or_none(request, conversation_id)
        if conversation is None:
            return _json_error("会话不存在", 404)
        messages = await in_thread(request.app.ctx.store.transcript, conversation_id)
        return response.json({"conversation": conversation.as_dict(),
                              "messages": [m.as_dict() for m in messages]})

    @app.post("/api/conversations/<conversation_id>/claim")
    @login_required()
    async def claim(request: Request, conversation_id: str):
        if await conversation_or_none(request, conversation_id) is None:
            return _json_error("会话不存在", 404)
        try:
            conversation = await request.app.ctx.service.claim(conversation_id, request.ctx.user["username"])
        except states.TransitionError:
            current = await conversation_or_none(request, conversation_id)
            who = f"已被{current.agent}接入" if current and current.agent else "当前状态不能接入"
            return _json_error(who, 409)
        return response.json(conversation.as_dict())

    @app.post("/api/conversations/<conversation_id>/messages")
    @login_required()
    async def agent_reply(request: Request, conversation_id: str):
        data = body_of(request)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return _json_error("回复内容不能为空", 400)
        service = request.app.ctx.service
        conversation = await conversation_or_none(request, conversation_id)
        if conversation is None:
            return _json_error("会话不存在", 404)
        breaches = await service.check_agent_text(conversation, text)
        if breaches and data.get("confirm") is not True:
            return response.json({"error": "这条回复可能违反天猫规则,请修改或确认后再发送",
                                  "breaches": [b.__dict__ for b in breaches]}, status=422)
        try:
            message = await service.agent_message(conversation_id, request.ctx.user["username"], text)
        except states.TransitionError as error:
            return _json_error(f"请先接入该会话({error})", 409)
        return response.json({"message": message.as_dict(),
                              "confirmed_breaches": [b.__dict__ for b in breaches]})

    async def _agent_step(request: Request, conversation_id: str, step: str):
        """hand_back / close: the agent's own chat moves on, or a 409 saying why not."""
        try:
            conversation = await getattr(request.app.ctx.service, step)(
                conversation_id, request.ctx.user["username"])
        except states.TransitionError as error:
            return _json_error(str(error), 409)
        return response.json(conversation.as_dict())

    @app.post("/api/conversations/<conversation_id>/hand-back")
    @login_required()
    async def hand_back(request: Request, conversation_id: str):
        return await _agent_step(request, conversation_id, "hand_back")

    @app.post("/api/conversations/<conversation_id>/close")
    @login_required()
    async def close(request: Request, conversation_id: str):
        return await _agent_step(request, conversation_id, "close")

    @app.get("/api/quick-replies")
    @login_required()
    async def quick_replies(request: Request):
        query = (request.args.get("q") or "").strip()
        items = [r for r in request.app.ctx.quick_replies if not query or query in r["text"]]
        return response.json(items[:50])

    @app.get("/api/rules")
    @login_required()
    async def rules(request: Request):
        return response.json(RULES)

    from shopbot.desk.trainer_api import trainer_blueprint

    app.blueprint(trainer_blueprint(login_required, body_of, cfg))

    @app.get("/trainer")
    async def trainer_page(request: Request):
        return await response.file(STATIC / "trainer.html")

    # -- websockets ---------------------------------------------------------------------------
    @app.websocket("/ws/agent")
    async def agent_socket(request: Request, ws):
        user = await current_user(request)
        if user is None:
            await ws.send(json.dumps({"type": "error", "error": "请先登录", "status": 401}))
            await ws.close()
            return
        hub = request.app.ctx.hub
        hub.agent_connected(user["username"], +1)
        try:
            await _pump(hub, AGENTS, ws, on_message=None)
        finally:
            hub.agent_connected(user["username"], -1)

    @app.websocket("/ws/buyer")
    async def buyer_socket(request: Request, ws):
        ctx = request.app.ctx
        try:
            hello = _scrub(json.loads(await asyncio.wait_for(ws.recv(), timeout=30)))
        except (asyncio.TimeoutError, ValueError, TypeError, RecursionError, WebsocketClosed) as error:
            logger.info("buyer socket closed before a valid hello: %r", error)
            await ws.close()
            return
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await ws.send(json.dumps({"type": "error", "error": "bad hello"}))
            await ws.close()
            return
        account = signing.verified_account(hello.get("account"), hello.get("ts"), hello.get("sig"),
                                           cfg.desk_secret, cfg.signature_max_age)
        conversation = None
        wanted = hello.get("conversation_id")
        if isinstance(wanted, str):
            existing = await in_thread(ctx.store.conversation, wanted)
            # Resume only the same buyer's conversation (anonymous resumes anonymous).
            if existing and existing.account == account:
                conversation = existing
        new_chat = conversation is None
        if new_chat:
            conversation = await ctx.writes.create_conversation(account)
        after = hello.get("after")
        # A count of messages seen: not a bool (SQLAlchemy refuses `id > True`), within SQLite's range.
        after = after if isinstance(after, int) and not isinstance(after, bool) and 0 <= after < 2 ** 63 else 0
        # Subscribe before reading the transcript: a message stored while the history is
        # being sent then arrives live instead of being lost (the widget dedupes by id).
        channel = conversation_channel(conversation.id)
        live = ctx.hub.subscribe(channel)
        try:
            await ws.send(json.dumps({"type": "welcome", "conversation_id": conversation.id,
                                      "account": account, "state": conversation.state,
                                      "shop_name": ctx.shop_name}, ensure_ascii=False))
            # A chat made just now has no history: a read saved on every widget opened.
            history = [] if new_chat else await in_thread(ctx.store.transcript, conversation.id, after_id=after)
            for message in history:
                await ws.send(json.dumps({"type": "message", "message": message.as_dict()},
                                         ensure_ascii=False))
        except WebsocketClosed:
            ctx.hub.unsubscribe(channel, live)
            return

        async def on_message(raw: str) -> None:
            try:
                data = _scrub(json.loads(raw))
            except (ValueError, RecursionError):  # RecursionError: "[[[[..." thousands deep
                await ws.send(json.dumps({"type": "error", "error": "消息格式不正确"}))
                return
            if not isinstance(data, dict) or data.get("type") != "message":
                return
            client_id = _client_id(data.get("client_id"))

            async def confirm_resend(stored) -> None:
                # A new line's live echo, with its id and client_id, tells the widget it is
                # stored (it stops resending it). A resend of a line stored before gets no
                # echo (it is not delivered twice), so this socket alone is told here.
                if not stored.duplicate:
                    return
                try:
                    await ws.send(json.dumps({"type": "message", "message": stored.as_dict()}, ensure_ascii=False))
                except (WebsocketClosed, ConnectionError):
                    pass  # gone: the next socket gets the message from the transcript

            # The message is handled to the end even if this socket or this desk goes away
            # meanwhile (a restart drains it): the answer reaches the buyer's next socket.
            handling = asyncio.ensure_future(ctx.service.buyer_message(conversation, data.get("text"), client_id,
                                                                       on_stored=confirm_resend,
                                                                       first_send=data.get("resend") is False))
            ctx.in_flight.add(handling)
            handling.add_done_callback(ctx.in_flight.discard)
            await asyncio.shield(handling)  # one message at a time per socket, in order

        await _pump(ctx.hub, channel, ws, on_message, queue=live)

    # -- pages -----------------------------------------------------------------------------------
    @app.middleware("request")
    async def refuse_impossible_paths(request: Request):
        # Sanic's static handler resolves the path: a NUL byte or a name longer than the
        # file system allows (ENAMETOOLONG) made that a 500.
        path = unquote(request.path)
        if "\x00" in path or any(len(part.encode()) > 255 for part in path.split("/")):
            return _json_error("not found", 404)

    app.static("/static", str(STATIC), name="static")

    app.blueprint(page_scripts_blueprint(STATIC))  # /widget.js and /desk-labels.js

    @app.get("/")
    async def storefront(request: Request):
        account = request.args.get("account", "tb_lily")
        ts = int(time.time())
        signed = {"account": account, "ts": ts, "sig": signing.sign(account, ts, cfg.desk_secret)}
        if request.args.get("anonymous"):
            signed = {}
        page = (STATIC / "storefront.html").read_text(encoding="utf-8")
        # The demo page plays the shop's server: it signs the logged-in account.
        page = page.replace("__BUYER__", html.escape(json.dumps(signed, ensure_ascii=False), quote=True))
        return response.html(page)

    @app.get("/console")
    async def console(request: Request):
        return await response.file(STATIC / "console.html")

    @app.get("/health")
    async def health(request: Request):
        return response.json({"status": "ok"})

    return app


async def _recover_abandoned(service: DeskService) -> None:
    """Every few seconds, answer what a desk that died left unanswered (never stops on an error)."""
    while True:
        await asyncio.sleep(RECOVER_EVERY)
        try:
            await service.recover_unanswered()
        except Exception:  # the database or Redis away: the next round tries again
            logger.exception("could not look for abandoned messages")


async def _pump(hub, channel: str, ws, on_message, queue: Optional[asyncio.Queue] = None) -> None:
    """Forward hub events to the socket and socket messages to `on_message` until it closes.

    Events queued while the socket was being written to, or published together,
    leave in one frame (see frames).
    """
    queue = queue if queue is not None else hub.subscribe(channel)

    async def outgoing() -> None:
        while True:
            events = [await queue.get()]
            while not queue.empty() and len(events) < MOST_EVENTS_IN_A_FRAME:
                events.append(queue.get_nowait())
            await ws.send(json.dumps(frame_of(events), ensure_ascii=False))

    sender = asyncio.ensure_future(outgoing())
    try:
        while True:
            raw = await ws.recv()
            if raw is None:
                break
            if on_message is not None:
                await on_message(raw)
    except (WebsocketClosed, asyncio.CancelledError):
        pass
    except Exception:  # never takes the desk down; the widget reconnects and resends what is unconfirmed
        logger.exception("closing a socket of %s after an error", channel)
    finally:
        sender.cancel()
        hub.unsubscribe(channel, queue)
