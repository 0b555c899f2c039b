"""The console and the trainer page run as the parts their HTML loads, in node (tests/js_page.py).

Each page's own script is several files with one job each that share one namespace
object (window.ShopbotConsole, window.ShopbotTrainer). Loaded in the page's order into
a stand-in page holding the elements the HTML names, with a stand-in for the desk's
API: they add no global but their namespace, and the parts reach one another (a login,
the queue, a conversation, a live frame, a reply; the inbox, a label, a retrain report).
"""
import json
import re
from typing import Dict, List, Tuple

from shopbot.desk.labels import labels_script, load_labels
from tests.js_page import STATIC, run_in_page

SETTLE = "function settle() { return new Promise(function (done) { setTimeout(done, 5); }); }\n"


def page_scripts(page: str) -> List[Tuple[str, str]]:
    """(name, source) of each script the page loads, in its order."""
    html = (STATIC / page).read_text(encoding="utf-8")
    scripts = []
    for src in re.findall(r'<script src="([^"]+)"', html):
        if src == "/desk-labels.js":
            scripts.append((src, labels_script(load_labels())))
        else:
            assert src.startswith("/static/"), src
            name = src[len("/static/"):]
            scripts.append((name, (STATIC / name).read_text(encoding="utf-8")))
    return scripts


def stand_in(page: str, routes: Dict[str, list]) -> Tuple[str, str]:
    """A first script: the page's elements (by id, flat in <body>) and fetch answering from `routes`.

    routes: "METHOD path" -> [status, JSON body]; the check may change window.apiRoutes.
    Every fetch is kept in window.apiCalls as [method, path, body].
    """
    html = (STATIC / page).read_text(encoding="utf-8")
    elements = [{"tag": tag, "id": id_, "hidden": bool(re.search(r"\bhidden\b", attrs))}
                for tag, attrs, id_ in re.findall(r'<(\w+)\b([^>]*?\bid="([^"]+)"[^>]*)>', html)]
    source = f"""
        {json.dumps(elements, ensure_ascii=False)}.forEach(function (e) {{
          var node = document.createElement(e.tag);
          node.id = e.id;
          node.hidden = e.hidden;
          if (e.tag === "input" || e.tag === "textarea" || e.tag === "select") node.value = "";
          document.body.appendChild(node);
        }});
        window.apiRoutes = {json.dumps(routes, ensure_ascii=False)};
        window.apiCalls = [];
        window.fetch = function (path, options) {{
          var answer = window.apiRoutes[options.method + " " + path] || [404, {{error: "no such route"}}];
          window.apiCalls.push([options.method, path, options.body ? JSON.parse(options.body) : null]);
          return Promise.resolve({{ok: answer[0] < 400, status: answer[0],
                                   text: function () {{ return Promise.resolve(JSON.stringify(answer[1])); }}}});
        }};
        window.pageGlobals = Object.keys(window).concat(["pageGlobals"]);
    """
    return "stand-in.js", source


def new_globals() -> str:
    return "Object.keys(window).filter(function (k) { return window.pageGlobals.indexOf(k) < 0; }).sort()"


QUEUE = {"now": 1000.0, "waiting": [
    {"id": "c1", "account": "tb_lily", "state": "waiting", "priority": "high", "reason": "buyer_request",
     "waiting_since": 990.5, "summary": {"last_message": "转人工"}}],
    "mine": [{"id": "c2", "account": "tb_bob", "state": "agent", "agent": "alice", "summary": {}}]}
CONVERSATION = {"conversation": {"id": "c1", "account": "tb_lily", "state": "waiting", "priority": "high",
                                 "summary": {"intents": ["ask_invoice"], "entities": {"order_id": "123"}}},
                "messages": [{"id": 1, "sender": "buyer", "text": "<b>在吗</b>", "created_at": 990.0}]}


def test_the_console_parts_load_in_order_share_one_namespace_and_reach_one_another():
    routes = {"GET /api/me": [200, {"username": "alice", "role": "agent"}],
              "GET /api/queue": [200, QUEUE],
              "GET /api/quick-replies?q=": [200, [{"name": "发票", "text": "可以开发票的"}]],
              "GET /api/conversations/c1": [200, CONVERSATION],
              "POST /api/conversations/c1/messages": [422, {"error": "可能违规", "breaches": [
                  {"title": "不得承诺", "excerpt": "保证"}]}],
              "POST /api/logout": [200, {}]}
    frame = {"type": "batch", "events": [
        {"type": "message", "conversation_id": "c1", "message": {"id": 2, "sender": "bot", "text": "亲,在的"}},
        {"type": "message", "conversation_id": "c2", "message": {"id": 7, "sender": "buyer", "text": "还在吗"}}]}
    sent = {"message": {"id": 3, "sender": "agent", "author": "alice", "text": "您好"}}
    seen = run_in_page([stand_in("console.html", routes)] + page_scripts("console.html"), SETTLE + f"""
        var $ = window.ShopbotDesk.$, seen = {{}};
        function lines(id) {{
          return $(id).children.map(function (n) {{ return [n.className, n.getAttribute("data-id"), n.textContent]; }});
        }}
        return settle().then(function () {{
          seen.globals = {new_globals()};
          seen.views = [$("login-view").hidden, $("desk-view").hidden, $("current-user").textContent];
          seen.queue = lines("queue");
          seen.mine = lines("mine");
          seen.title = document.title;
          seen.quick = lines("quick-list");
          seen.socket = window.sockets[0].url;
          $("queue").children[0].click();
          return settle();
        }}).then(function () {{
          seen.chat = [$("chat").hidden, $("chat-state").textContent, $("composer-hint").textContent];
          seen.summary = $("summary").textContent;
          window.sockets[0].onmessage({{data: {json.dumps(json.dumps(frame, ensure_ascii=False))}}});
          seen.mineAfterFrame = lines("mine");
          $("reply-text").value = "您好";
          $("reply-send").click();
          return settle();
        }}).then(function () {{
          seen.breach = [$("breach-box").hidden, $("breach-list").textContent];
          window.apiRoutes["POST /api/conversations/c1/messages"] = [200, {json.dumps(sent, ensure_ascii=False)}];
          $("breach-confirm").click();
          return settle();
        }}).then(function () {{
          seen.afterReply = [$("breach-box").hidden, $("reply-text").value];
          seen.transcript = lines("transcript");
          $("logout").click();
          return settle();
        }}).then(function () {{
          seen.loggedOut = [$("login-view").hidden, $("desk-view").hidden, window.sockets[0].readyState];
          seen.posts = window.apiCalls.filter(function (c) {{ return c[0] === "POST"; }});
          return seen;
        }});""")
    assert seen["globals"] == ["ShopbotChat", "ShopbotConsole", "ShopbotDesk", "ShopbotLabels"]
    assert seen["views"] == [True, False, "alice"]
    assert seen["queue"] == [["queue-item", "c1", "tb_lily接入紧急买家要求人工等待 9秒转人工"]]
    assert seen["mine"] == [["mine-item", "c2", "tb_bob"]]
    assert seen["title"] == "(1) 客服工作台"
    assert seen["quick"] == [["quick-item", None, "可以开发票的发票"]]
    assert seen["socket"] == "wss://shop.example/ws/agent"
    assert seen["chat"] == [False, "等待接入", "请先接入该会话再回复"]
    assert "问发票" in seen["summary"] and "订单号123" in seen["summary"]
    assert seen["mineAfterFrame"] == [["mine-item", "c2", "tb_bob1还在吗"]]
    assert seen["breach"] == [False, "不得承诺保证"]
    assert seen["afterReply"] == [True, ""]
    assert [(cls, id_) for cls, id_, _ in seen["transcript"]] == [
        ("line line-buyer", "1"), ("line line-bot", "2"), ("line line-agent", "3")]
    assert seen["transcript"][0][2].endswith("<b>在吗</b>")
    assert seen["loggedOut"] == [False, True, 3]
    assert seen["posts"] == [["POST", "/api/conversations/c1/messages", {"text": "您好"}],
                             ["POST", "/api/conversations/c1/messages", {"text": "您好", "confirm": True}],
                             ["POST", "/api/logout", None]]


INBOX = [{"text": "能开专票吗", "reasons": ["low_confidence"], "predicted_intent": "greet", "confidence": 0.41,
          "count": 2, "after": "您好"}]
JOB = {"id": "j1", "state": "refused", "progress": 100, "override": False, "message": "新模型更差",
       "report": {"passed": False, "live_macro_f1": 0.9, "candidate_macro_f1": 0.8, "n": 40,
                  "changes": [{"intent": "greet", "live_f1": 0.9, "candidate_f1": 0.8, "delta": -0.1}],
                  "worse": ["greet"]}}


def test_the_trainer_parts_load_in_order_share_one_namespace_and_reach_one_another():
    routes = {"GET /api/me": [200, {"username": "tina", "role": "trainer"}],
              "GET /api/trainer/intents": [200, ["greet", "ask_invoice"]],
              "GET /api/trainer/inbox": [200, INBOX],
              "POST /api/trainer/label": [200, {"status": "added", "path": "data/nlu.yml"}],
              "POST /api/trainer/retrain": [200, JOB],
              "POST /api/trainer/rollback": [200, {"model": "models/20240101.tar.gz"}]}
    seen = run_in_page([stand_in("trainer.html", routes)] + page_scripts("trainer.html"), SETTLE + f"""
        var $ = window.ShopbotDesk.$, seen = {{}}, item;
        return settle().then(function () {{
          seen.globals = {new_globals()};
          seen.views = [$("login-view").hidden, $("trainer-view").hidden, $("current-user").textContent,
                        $("retrain-override-box").hidden];
          seen.intents = $("add-intent").children.map(function (o) {{ return o.value; }});
          seen.count = $("inbox-count").textContent;
          item = $("inbox").children[0];
          seen.item = [item.querySelector(".item-text").textContent, item.querySelector(".item-meta").textContent];
          item.querySelector("select").value = "ask_invoice";
          item.querySelector(".label-save").click();
          return settle();
        }}).then(function () {{
          seen.labelled = [item.className, item.querySelector(".label-result").textContent,
                           $("inbox-count").textContent];
          $("retrain-start").click();
          return settle();
        }}).then(function () {{
          seen.report = [$("retrain-report").hidden, $("retrain-verdict").textContent,
                         $("retrain-progress-text").textContent,
                         $("retrain-rows").children.map(function (r) {{ return [r.className, r.textContent]; }})];
          seen.job = localStorage.getItem("shopbot.trainer.job");
          $("rollback").click();
          return settle();
        }}).then(function () {{
          seen.rollback = $("rollback-result").textContent;
          seen.posts = window.apiCalls.filter(function (c) {{ return c[0] === "POST"; }});
          return seen;
        }});""")
    assert seen["globals"] == ["ShopbotDesk", "ShopbotLabels", "ShopbotTrainer"]
    assert seen["views"] == [True, False, "tina(训练师)", True]  # only the admin may override the gate
    assert seen["intents"] == ["", "greet", "ask_invoice", "__new__"]
    assert seen["count"] == "1"
    assert seen["item"] == ["能开专票吗", "置信度低模型猜测:greet(打招呼)置信度 0.41出现 2 次"]
    assert seen["labelled"] == ["inbox-item done", "已添加到 data/nlu.yml", "0"]
    assert seen["report"] == [False, "未上线:新模型更差", "已完成 100%",
                              [["report-row worse", "greet打招呼0.9000.800-0.100"]]]
    assert seen["job"] == "j1"
    assert seen["rollback"] == "已回滚,线上模型:20240101.tar.gz"
    assert seen["posts"] == [["POST", "/api/trainer/label", {"intent": "ask_invoice", "text": "能开专票吗"}],
                             ["POST", "/api/trainer/retrain", {"override": False, "cross_validation_folds": 0}],
                             ["POST", "/api/trainer/rollback", None]]


def test_the_trainer_page_turns_away_an_agent():
    routes = {"GET /api/me": [200, {"username": "alice", "role": "agent"}]}
    seen = run_in_page([stand_in("trainer.html", routes)] + page_scripts("trainer.html"), SETTLE + """
        var $ = window.ShopbotDesk.$;
        return settle().then(function () {
          return [$("forbidden-view").hidden, $("trainer-view").hidden, $("forbidden-detail").textContent];
        });""")
    assert seen == [False, True, "账号 alice 不是训练师,不能使用训练台。请换训练师账号登录。"]
