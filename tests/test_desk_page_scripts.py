"""The desk serves its pages' scripts: the one-file widget, the label table, and pages that load them.

The real app, served in the test's loop (no Rasa needed: these are scripts and pages).
"""
import re

import aiohttp
import pytest

from shopbot.desk.labels import labels_script, load_labels
from shopbot.desk.widget_bundle import widget_bundle
from tests.desk_support import running_desk
from tests.js_page import STATIC


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running, aiohttp.ClientSession() as http:
        running.http = http
        yield running


async def fetch(desk, path):
    async with desk.http.get(f"{desk.url}{path}") as answer:
        return answer.status, answer.headers.get("content-type"), await answer.text()


async def test_widget_js_is_the_bundle_with_the_shared_renderer_declared_as_utf8(desk):
    status, kind, text = await fetch(desk, "/widget.js")
    assert (status, kind) == (200, "application/javascript; charset=utf-8")
    assert text == widget_bundle(STATIC)
    assert "function renderBody(" in text and "function eventsInFrame(" in text


async def test_the_label_table_is_served_as_a_script(desk):
    status, kind, text = await fetch(desk, "/desk-labels.js")
    assert (status, kind) == (200, "application/javascript; charset=utf-8")
    assert text == labels_script(load_labels())


@pytest.mark.parametrize("page, scripts", [
    ("/console", ["/desk-labels.js", "/static/desk-common.js", "/static/chat-render.js",
                  "/static/console-base.js", "/static/console-queue.js", "/static/console-conversation.js",
                  "/static/console-reply.js", "/static/console-cases.js", "/static/console-live.js",
                  "/static/console-login.js"]),
    ("/trainer", ["/desk-labels.js", "/static/desk-common.js",
                  "/static/trainer-base.js", "/static/trainer-labels.js", "/static/trainer-inbox.js",
                  "/static/trainer-report.js", "/static/trainer-retrain.js", "/static/trainer-login.js"]),
])
async def test_each_desk_page_loads_the_labels_and_shared_scripts_first_and_each_is_there(desk, page, scripts):
    _, _, html = await fetch(desk, page)
    assert re.findall(r'<script src="([^"]+)"', html) == scripts
    for script in scripts:
        assert (await fetch(desk, script))[0] == 200, script
