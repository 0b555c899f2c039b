"""The desk's pages: the demo storefront with the widget, the console, the trainer page,
their static files, and the health check (the scripts the desk assembles: `page_scripts`)."""
from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import unquote

from sanic import Blueprint, Request, response

from shopbot.desk import signing
from shopbot.desk.web import json_error

STATIC = Path(__file__).parent / "static"
DEMO_ACCOUNT = "tb_lily"


async def refuse_impossible_paths(request: Request):
    """A request middleware: a path with a NUL byte or a name longer than a file system
    allows is not found (Sanic's static handler, resolving it, would fail with a 500)."""
    path = unquote(request.path)
    if "\x00" in path or any(len(part.encode()) > 255 for part in path.split("/")):
        return json_error("not found", 404)


def pages_blueprint() -> Blueprint:
    bp = Blueprint("pages")

    bp.static("/static", str(STATIC), name="static")

    @bp.get("/")
    async def storefront(request: Request):
        """A product page of the sample shop. Under DESK_DEMO=1 (make run) it plays the shop's
        server and signs `?account=` (tb_lily by default); otherwise its widget is anonymous:
        only a shop's own server, which knows who is logged in, may sign an account."""
        cfg = request.app.ctx.cfg
        account = request.args.get("account", DEMO_ACCOUNT)
        signed = {}
        if cfg.desk_demo and not request.args.get("anonymous") and signing.ACCOUNT.fullmatch(account):
            signed = signing.hello_for(account, cfg.desk_secret)
        page = (STATIC / "storefront.html").read_text(encoding="utf-8")
        page = page.replace("__BUYER__", html.escape(json.dumps(signed, ensure_ascii=False), quote=True))
        return response.html(page)

    @bp.get("/console")
    async def console(request: Request):
        return await response.file(STATIC / "console.html")

    @bp.get("/trainer")
    async def trainer_page(request: Request):
        return await response.file(STATIC / "trainer.html")

    @bp.get("/health")
    async def health(request: Request):
        return response.json({"status": "ok"})

    return bp
