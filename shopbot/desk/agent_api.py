"""The agents' JSON API: the queue, a chat's transcript, claim, reply, hand back, close, reminders sent.

Every endpoint needs an agent's or the admin's session (`auth.login_required`; the
stage timings, any session); a chat is closed by the agent who holds it or by the
admin; a reply that breaks a Tmall rule is refused with the rule until the agent
confirms it.
"""
from __future__ import annotations

import time

from sanic import Blueprint, Request, response

from shopbot.compliance import RULES
from shopbot.desk import states
from shopbot.desk.auth import login_required, may
from shopbot.desk.photo_links import AGENTS_VIEWER, with_photo_urls
from shopbot.desk.web import body_of, json_error


def agent_blueprint() -> Blueprint:
    bp = Blueprint("agents", url_prefix="/api")

    @bp.get("/queue")
    @login_required("agent")
    async def queue(request: Request):
        store = request.app.ctx.store
        return response.json({
            "waiting": [c.as_dict() for c in await store.queue()],
            "mine": [c.as_dict() for c in await store.active(request.ctx.user["username"])],
            "now": time.time(),
        })

    @bp.get("/stats/stages")
    @login_required()
    async def stage_stats(request: Request):
        """How long this desk's own steps of a bot answer take (per replica: ask each on its own port)."""
        times = request.app.ctx.service.stage_times
        return response.json({"since": times.since, "stages": times.summary()})

    @bp.get("/conversations/<conversation_id>")
    @login_required("agent")
    async def conversation_detail(request: Request, conversation_id: str):
        store = request.app.ctx.store
        conversation = await store.conversation(conversation_id)
        if conversation is None:
            return json_error("会话不存在", 404)
        return response.json({"conversation": conversation.as_dict(),
                              "messages": [with_photo_urls(m.as_dict(), AGENTS_VIEWER, request.app.ctx.cfg.desk_secret)
                                           for m in await store.transcript(conversation_id)]})

    @bp.post("/conversations/<conversation_id>/claim")
    @login_required("agent")
    async def claim(request: Request, conversation_id: str):
        store = request.app.ctx.store
        if await store.conversation(conversation_id) is None:
            return json_error("会话不存在", 404)
        try:
            user = request.ctx.user
            conversation = await request.app.ctx.service.claim(conversation_id, user["username"], user.get("nickname"))
        except states.TransitionError:
            current = await store.conversation(conversation_id)
            return json_error(f"已被{current.agent}接入" if current and current.agent else "当前状态不能接入", 409)
        return response.json(conversation.as_dict())

    @bp.post("/conversations/<conversation_id>/messages")
    @login_required("agent")
    async def agent_reply(request: Request, conversation_id: str):
        data = body_of(request)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return json_error("回复内容不能为空", 400)
        service = request.app.ctx.service
        conversation = await request.app.ctx.store.conversation(conversation_id)
        if conversation is None:
            return json_error("会话不存在", 404)
        breaches = await service.check_agent_text(conversation, text)
        if breaches and data.get("confirm") is not True:
            return json_error("这条回复可能违反天猫规则,请修改或确认后再发送", 422,
                              breaches=[b.__dict__ for b in breaches])
        try:
            message = await service.agent_message(conversation_id, request.ctx.user["username"], text)
        except states.TransitionError as error:
            return json_error(f"请先接入该会话({error})", 409)
        return response.json({"message": message.as_dict(), "confirmed_breaches": [b.__dict__ for b in breaches]})

    async def agent_step(request: Request, step):
        """hand_back / close: the chat moves on, or a 409 saying why not."""
        try:
            conversation = await step
        except states.TransitionError as error:
            return json_error(str(error), 409)
        return response.json(conversation.as_dict())

    @bp.post("/conversations/<conversation_id>/hand-back")
    @login_required("agent")
    async def hand_back(request: Request, conversation_id: str):
        return await agent_step(request, request.app.ctx.service.hand_back(conversation_id,
                                                                          request.ctx.user["username"]))

    @bp.post("/conversations/<conversation_id>/close")
    @login_required("agent")
    async def close(request: Request, conversation_id: str):
        user = request.ctx.user
        return await agent_step(request, request.app.ctx.service.close(conversation_id, user["username"],
                                                                      any_holder=may(user, "admin")))

    @bp.get("/reminders")
    @login_required("agent")
    async def reminders(request: Request):
        """The unpaid-order reminders (催付) the bot sent, newest first."""
        return response.json({"reminders": await request.app.ctx.reminders.sent()})

    @bp.get("/quick-replies")
    @login_required("agent")
    async def quick_replies(request: Request):
        query = (request.args.get("q") or "").strip()
        items = [r for r in request.app.ctx.quick_replies if not query or query in r["text"]]
        return response.json(items[:50])

    @bp.get("/rules")
    @login_required("agent")
    async def rules(request: Request):
        return response.json(RULES)

    return bp
