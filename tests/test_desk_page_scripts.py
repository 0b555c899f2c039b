"""The desk serves its pages' scripts: the one-file widget, the label table, and pages that load them.

A real desk process (no Rasa behind it: these are static scripts and pages).
"""
import re

import pytest
import requests

from harness.cluster import free_port
from shopbot.desk.labels import labels_script, load_labels
from shopbot.desk.widget_bundle import widget_bundle
from tests.conftest import DeskProcess
from tests.js_page import STATIC


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    process = DeskProcess(tmp_path_factory.mktemp("desk"), f"http://127.0.0.1:{free_port()}")
    process.start()
    yield process
    process.stop()


def test_widget_js_is_the_bundle_with_the_shared_renderer_declared_as_utf8(desk):
    served = requests.get(f"{desk.url}/widget.js", timeout=10)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/javascript; charset=utf-8"
    assert served.text == widget_bundle(STATIC)
    assert "function renderBody(" in served.text and "function eventsInFrame(" in served.text


def test_the_label_table_is_served_as_a_script(desk):
    served = requests.get(f"{desk.url}/desk-labels.js", timeout=10)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/javascript; charset=utf-8"
    assert served.text == labels_script(load_labels())


@pytest.mark.parametrize("page, scripts", [
    ("/console", ["/desk-labels.js", "/static/desk-common.js", "/static/chat-render.js",
                  "/static/console-base.js", "/static/console-queue.js", "/static/console-conversation.js",
                  "/static/console-reply.js", "/static/console-live.js", "/static/console-login.js"]),
    ("/trainer", ["/desk-labels.js", "/static/desk-common.js",
                  "/static/trainer-base.js", "/static/trainer-labels.js", "/static/trainer-inbox.js",
                  "/static/trainer-report.js", "/static/trainer-retrain.js", "/static/trainer-login.js"]),
])
def test_each_desk_page_loads_the_labels_and_shared_scripts_first_and_each_is_there(desk, page, scripts):
    html = requests.get(f"{desk.url}{page}", timeout=10).text
    assert re.findall(r'<script src="([^"]+)"', html) == scripts
    for script in scripts:
        assert requests.get(f"{desk.url}{script}", timeout=10).status_code == 200, script
