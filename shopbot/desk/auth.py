"""Who is asking: agents' and trainers' logins, sessions and roles.

A session is a random token in an HttpOnly, SameSite=Strict cookie, Secure when the
desk is served over HTTPS (or a Bearer header for scripts); logout and a password
reset end every session of the user. Changes asked for by another site's page are
refused (`same_origin_only`). Passwords are checked in a small pool of threads of their
own: a burst of logins never holds up the buyers' answers on the event loop.
"""
from __future__ import annotations

import math
import re
from functools import wraps
from typing import Dict, Optional
from urllib.parse import urlsplit

from sanic import Blueprint, Request, response

from shopbot.desk.off_loop import TooManyChecks
from shopbot.desk.passwords import hash_password, unknown_user_hash, verify_password
from shopbot.desk.store import ROLES, DeskStore
from shopbot.desk.web import body_of, client_address, json_error

SESSION_COOKIE = "desk_session"
MIN_PASSWORD_LENGTH = 8
NICKNAME = re.compile(r"[\w\u4e00-\u9fff·]{1,16}")
# Who may do a role's work: the shop's owner (admin) may do everyone's.
ALLOWED = {"agent": {"agent", "admin"}, "trainer": {"trainer", "admin"}, "admin": {"admin"}}


def may(user: Optional[Dict[str, str]], role: str) -> bool:
    """Whether `user` may do `role`'s work."""
    return user is not None and user.get("role") in ALLOWED[role]


async def add_user(store: DeskStore, username: str, password: str, role: str = "agent",
                   nickname: Optional[str] = None) -> None:
    """Create an agent, trainer or admin, or reset one's password and role; `nickname` is
    what buyers see of an agent (kept as it was when not given)."""
    if role not in ROLES:
        raise ValueError(f"the role must be one of {', '.join(ROLES)}")
    if not username or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a username and a password of at least {MIN_PASSWORD_LENGTH} characters are needed")
    if nickname is not None and not NICKNAME.fullmatch(nickname):
        raise ValueError("a nickname is 1 to 16 letters, digits or Chinese characters")
    await store.save_user(username, hash_password(password), role, nickname)


async def check_password(request: Request, username: str, password: str) -> bool:
    """Whether the password is `username`'s; an unknown name is checked against a stand-in
    hash, so it takes as long to refuse as a wrong password."""
    stored = await request.app.ctx.store.password_hash(username)
    matches = await request.app.ctx.password_checks.run(
        lambda: verify_password(password, stored or unknown_user_hash()))
    return matches and stored is not None


def session_token(request: Request) -> Optional[str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def current_user(request: Request) -> Optional[Dict[str, str]]:
    token = session_token(request)
    return await request.app.ctx.store.session_user(token) if token else None


CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


async def same_origin_only(request: Request):
    """A request middleware: a change (or the agents' feed) asked for by a page of another
    site is refused. Browsers name the page's site in `Origin`; scripts send none. The
    buyer's socket is exempt: the widget lives on the shop's own pages."""
    origin = request.headers.get("origin")
    if origin is None or not (request.method in CHANGES or request.path == "/ws/agent"):
        return None
    if urlsplit(origin).netloc.lower() != (request.host or "").lower():
        return json_error("请求来源不被允许", 403)
    return None


def login_required(role: Optional[str] = None):
    """The endpoint answers 401 without a session and 403 to a user who may not do `role`'s
    work (`ALLOWED`; None: any user); the user is on `request.ctx.user`."""
    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            user = await current_user(request)
            if user is None:
                return json_error("请先登录", 401)
            if role and not may(user, role):
                return json_error("没有权限", 403)
            request.ctx.user = user
            return await handler(request, *args, **kwargs)
        return wrapper
    return decorator


def retry_after(refusal, seconds: float):
    refusal.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return refusal


def auth_blueprint() -> Blueprint:
    bp = Blueprint("auth", url_prefix="/api")

    @bp.post("/login")
    async def login(request: Request):
        data = body_of(request)
        username, password = data.get("username"), data.get("password")
        if not (isinstance(username, str) and isinstance(password, str)):
            return json_error("请输入用户名和密码", 400)
        ctx = request.app.ctx
        wait = ctx.login_limits.spend(client_address(request))
        if wait > 0:
            return retry_after(json_error("登录尝试太频繁,请稍后再试", 429), wait)
        wait = await ctx.login_throttle.admit(username)
        if wait > 0:
            return retry_after(json_error(f"密码错误次数太多,请{math.ceil(wait / 60)}分钟后再试", 429), wait)
        try:
            right = await check_password(request, username, password)
        except TooManyChecks:
            await ctx.login_throttle.not_checked(username)
            return retry_after(json_error("登录的人太多,请稍后再试", 503), 1)
        except BaseException:
            await ctx.login_throttle.not_checked(username)
            raise
        if not right:
            await ctx.login_throttle.failed(username)
            return json_error("用户名或密码错误", 401)
        await ctx.login_throttle.succeeded(username)
        token = await ctx.store.start_session(username)
        resp = response.json(await ctx.store.session_user(token))
        resp.cookies[SESSION_COOKIE] = token
        resp.cookies[SESSION_COOKIE]["httponly"] = True
        resp.cookies[SESSION_COOKIE]["samesite"] = "Strict"
        resp.cookies[SESSION_COOKIE]["path"] = "/"
        resp.cookies[SESSION_COOKIE]["secure"] = ctx.cfg.desk_https
        return resp

    @bp.post("/logout")
    async def logout(request: Request):
        """Ends every session of this user (a shared or lost device logs out too)."""
        user = await current_user(request)
        if user is not None:
            await request.app.ctx.store.end_sessions_of(user["username"])
        resp = response.json({"ok": True})
        del resp.cookies[SESSION_COOKIE]
        return resp

    @bp.get("/me")
    @login_required()
    async def me(request: Request):
        return response.json(request.ctx.user)

    return bp
