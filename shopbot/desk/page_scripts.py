"""Scripts the desk puts together for its pages: /widget.js.

Each is built once, when the app is made, and then served from memory.
"""
from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request, response

from shopbot.desk.widget_bundle import widget_bundle

# Declared so a shop's page in another encoding (GBK) still reads the widget's Chinese right.
JAVASCRIPT = "application/javascript; charset=utf-8"


def page_scripts_blueprint(static_dir: Path) -> Blueprint:
    """The route for the buyer widget (one file, embeddable on a shop's page)."""
    bp = Blueprint("page_scripts")
    widget = widget_bundle(static_dir)

    @bp.get("/widget.js")
    async def widget_js(request: Request):
        return response.text(widget, content_type=JAVASCRIPT)

    return bp
