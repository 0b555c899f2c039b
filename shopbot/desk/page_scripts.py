"""Scripts the desk puts together for its pages: /widget.js and /desk-labels.js.

Each is built once, when the app is made, and then served from memory.
"""
from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request, response

from shopbot.desk.labels import LABELS_FILE, labels_script, load_labels
from shopbot.desk.widget_bundle import widget_bundle

# Declared so a shop's page in another encoding (GBK) still reads the widget's Chinese right.
JAVASCRIPT = "application/javascript; charset=utf-8"


def page_scripts_blueprint(static_dir: Path, labels_file: Path = LABELS_FILE) -> Blueprint:
    """Routes for the buyer widget (one file, embeddable on a shop's page) and the labels."""
    bp = Blueprint("page_scripts")
    widget = widget_bundle(static_dir)
    labels = labels_script(load_labels(labels_file))

    @bp.get("/widget.js")
    async def widget_js(request: Request):
        return response.text(widget, content_type=JAVASCRIPT)

    @bp.get("/desk-labels.js")
    async def labels_js(request: Request):
        return response.text(labels, content_type=JAVASCRIPT)

    return bp
