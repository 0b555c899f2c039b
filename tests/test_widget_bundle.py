"""/widget.js: the buyer widget as one file a shop embeds, with the renderer it shares with the console.

Run in node in a stand-in page (tests/js_page.py): it parses as one script, runs
alone, keeps its helpers out of the shop page's globals, and speaks the desk's
protocol (hello, welcome, frames of events, messages).
"""
import json

from shopbot.desk.widget_bundle import WIDGET_PARTS, widget_bundle
from tests.js_page import STATIC, run_in_page, syntax_error_of

SHOP_PAGE = {"currentScript": {"src": "https://desk.example/widget.js",
                               "attributes": {"data-buyer": '{"account": "tb_lily", "ts": 1, "sig": "s"}'}}}


def welcomed(welcome: dict) -> str:
    """Page script: open the widget, open its socket (`socket`) and deliver the desk's `welcome`."""
    return f"""window.ShopbotWidget.open();
        var socket = window.sockets[0];
        socket.readyState = 1;
        socket.onopen();
        socket.onmessage({{data: {json.dumps(json.dumps(welcome, ensure_ascii=False))}}});"""

def test_the_widget_is_one_script_holding_the_shared_renderer_and_its_own_code(tmp_path):
    bundle = widget_bundle(STATIC)
    for name in WIDGET_PARTS:
        assert (STATIC / name).read_text(encoding="utf-8").rstrip() in bundle
    assert bundle.index("var ShopbotChat") < bundle.index("window.ShopbotWidget")
    assert syntax_error_of(bundle, tmp_path) == ""


def test_the_widget_runs_alone_on_a_shop_page_and_adds_only_its_own_globals():
    found = run_in_page([("widget.js", widget_bundle(STATIC))], """
        return {
          widget: typeof window.ShopbotWidget, shared: typeof window.ShopbotChat,
          bubble: !!document.getElementById("shopbot-bubble"), panel: !!document.getElementById("shopbot-chat")
        };""", page=SHOP_PAGE)
    assert found == {"widget": "object", "shared": "undefined", "bubble": True, "panel": True}


def test_the_widget_says_hello_and_shows_a_batch_frame_from_the_desk():
    frame = {"type": "batch", "events": [
        {"type": "message", "message": {"id": 1, "sender": "buyer", "text": "<b>在吗</b>", "client_id": "c1"}},
        {"type": "message", "message": {"id": 2, "sender": "bot", "text": "亲,请选择", "payload": {
            "image": "javascript:alert(1)", "buttons": [{"title": "查物流", "payload": "/ask_logistics"}]}}}]}
    welcome = {"type": "welcome", "conversation_id": "conv-1", "account": "tb_lily", "state": "bot",
               "shop_name": "鲜果时光"}
    found = run_in_page([("widget.js", widget_bundle(STATIC))], f"""
        {welcomed(welcome)}
        socket.onmessage({{data: {json.dumps(json.dumps(frame, ensure_ascii=False))}}});
        var list = document.getElementById("shopbot-messages");
        list.querySelector(".sb-chip").click();
        return {{
          url: socket.url,
          sent: socket.sent,
          shop: document.querySelector(".sb-shop").textContent,
          lines: list.children.map(function (n) {{ return [n.className, n.textContent]; }}),
          images: list.querySelectorAll("img").length
        }};""", page=SHOP_PAGE)
    assert found["url"] == "wss://desk.example/ws/buyer"
    assert found["sent"][0] == {"type": "hello", "conversation_id": None, "resume": None, "after": 0,
                                "account": "tb_lily", "ts": 1, "sig": "s"}
    assert found["shop"] == "鲜果时光"
    # The buyer's markup is text; the unsafe image is left out; the button says its title.
    assert found["lines"][:2] == [["msg msg-buyer", "<b>在吗</b>"], ["msg msg-bot", "智能助手亲,请选择查物流"]]
    assert found["images"] == 0
    clicked = found["sent"][-1]
    assert (clicked["type"], clicked["text"], clicked["resend"]) == ("message", "查物流", False)
    assert found["lines"][2] == ["msg msg-buyer pending", "查物流发送中…"]


def test_a_second_copy_of_the_widget_on_one_page_does_nothing():
    bundle = widget_bundle(STATIC)
    found = run_in_page([("widget.js", bundle), ("widget-again.js", bundle)], """
        return {
          bubbles: document.querySelectorAll("button").filter(function (b) { return b.id === "shopbot-bubble"; }).length,
          styles: document.head.children.length
        };""", page=SHOP_PAGE)
    assert found == {"bubbles": 1, "styles": 1}


def test_a_reconnecting_widget_comes_back_to_its_chat_with_the_chats_own_token():
    """The page's signature counts ten minutes; the chat's token, kept from its welcome, brings it back later."""
    welcome = {"type": "welcome", "conversation_id": "conv-1", "account": "tb_lily", "state": "bot",
               "resume": "token-of-conv-1"}
    found = run_in_page([("widget.js", widget_bundle(STATIC))], f"""
        {welcomed(welcome)}
        socket.readyState = 3;
        socket.onclose();
        return new Promise(function (done) {{ setTimeout(done, 1200); }}).then(function () {{
          var second = window.sockets[1];
          second.readyState = 1;
          second.onopen();
          return {{hello: second.sent[0], kept: window.localStorage.getItem("shopbot:tb_lily:resume")}};
        }});""",
                        page=SHOP_PAGE)
    assert (found["hello"]["conversation_id"], found["hello"]["resume"]) == ("conv-1", "token-of-conv-1")
    assert found["kept"] == "token-of-conv-1"


def test_a_line_refused_as_too_fast_is_kept_and_sent_again_after_the_wait():
    welcome = {"type": "welcome", "conversation_id": "conv-1", "account": "tb_lily", "state": "bot"}
    found = run_in_page([("widget.js", widget_bundle(STATIC))], f"""
        {welcomed(welcome)}
        window.ShopbotWidget.send("有货吗");
        var line = socket.sent[socket.sent.length - 1];
        socket.onmessage({{data: JSON.stringify({{type: "error", error: "发送太频繁,请稍后再试",
                                                  client_id: line.client_id, retry_after: 1}})}});
        var banner = document.getElementById("shopbot-banner").textContent;
        var before = socket.sent.length;
        return new Promise(function (done) {{ setTimeout(done, 1200); }}).then(function () {{
          var again = socket.sent[socket.sent.length - 1];
          return {{banner: banner, resent: socket.sent.length - before, same: again.client_id === line.client_id,
                   text: again.text}};
        }});""", page=SHOP_PAGE)
    assert found == {"banner": "发送太频繁,请稍后再试", "resent": 1, "same": True, "text": "有货吗"}
