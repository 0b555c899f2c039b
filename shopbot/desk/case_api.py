"""The agents' after-sales API: the open cases (the console's 售后 tab) and an agent's decision.

GET /api/cases lists the cases not yet done, urgent first then the oldest, each with its
order as the shop's data has it and its photos' addresses (signed for agents). An agent
approves a case as proposed or with another resolution, refuses it with a reason the
buyer reads, or marks an approved case done; the buyer is told in the case's chat.
"""
from __future__ import annotations

from sanic import Blueprint, Request, response

from shopbot.desk.aftersale_desk import case_summary
from shopbot.desk.auth import login_required
from shopbot.desk.cases import CaseError
from shopbot.desk.off_loop import in_thread
from shopbot.desk.web import body_of, json_error
from shopbot.shop.aftersale_policy import RESOLUTIONS

ACTIONS = {"approve", "refuse", "finish"}


def case_blueprint() -> Blueprint:
    bp = Blueprint("cases", url_prefix="/api")

    @bp.get("/cases")
    @login_required("agent")
    async def open_cases(request: Request):
        ctx = request.app.ctx
        listed = []
        for case in await ctx.cases.open_cases():
            summary = case_summary(case, ctx.cfg.desk_secret)
            summary["order"] = await in_thread(ctx.shop_store.order, case.order_id, case.account)
            listed.append(summary)
        return response.json({"cases": listed, "resolutions": list(RESOLUTIONS)})

    @bp.post("/cases/<case_id:int>/<action>")
    @login_required("agent")
    async def decide(request: Request, case_id: int, action: str):
        if action not in ACTIONS:
            return json_error("未知的操作", 404)
        data = body_of(request)
        resolution = data.get("resolution") or None
        note = data.get("note") if isinstance(data.get("note"), str) else None
        if resolution is not None and resolution not in RESOLUTIONS:
            return json_error(f"处理方式只能是:{'、'.join(RESOLUTIONS)}", 400)
        if action == "refuse" and not (note or "").strip():
            return json_error("拒绝时请写明原因,买家会看到", 400)
        if await request.app.ctx.cases.case(case_id) is None:
            return json_error("售后单不存在", 404)
        try:
            case = await request.app.ctx.service.aftersale.decide(
                case_id, action, request.ctx.user["username"], resolution=resolution, note=note)
        except CaseError as error:
            return json_error(f"这个售后单现在不能这样处理({error})", 409)
        return response.json(case_summary(case, request.app.ctx.cfg.desk_secret))

    return bp
