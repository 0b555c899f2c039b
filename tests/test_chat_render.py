"""The message renderer and frame reader the buyer widget and the agents' console share.

static/chat-render.js, run in node in a stand-in page (tests/js_page.py): what a
buyer or an agent would see of each reply kind, and that what buyers write stays text.
"""
import json

import pytest

from shopbot.desk.frames import events_in, frame_of
from tests.js_page import run_in_page, static_script

XSS = "<img src=x onerror=alert(1)>"
WIDGET_LOOK = ('{text: "sb-text", image: "sb-img", buttons: "sb-chips", button: "sb-chip", '
               'onButton: function (text) { said.push(text); }}')
CONSOLE_LOOK = '{text: "line-body", image: "line-img", buttons: "line-buttons", button: ""}'


def rendered(message: dict, look: str = WIDGET_LOOK, then: str = "") -> dict:
    """The body chat-render draws for the message: each child's tag, class, text and attributes."""
    check = f"""
        var said = [];
        var box = ShopbotChat.renderBody(document.createElement("div"), {json.dumps(message, ensure_ascii=False)}, {look});
        {then}
        return {{
          said: said,
          images: box.querySelectorAll("img").length,
          parts: box.children.map(function (n) {{
            return {{tag: n.tagName.toLowerCase(), cls: n.className, text: n.textContent, src: n.src || null,
                     chips: n.children.map(function (c) {{
                       return {{tag: c.tagName.toLowerCase(), cls: c.className, text: c.textContent,
                                title: c.title || null}};
                     }})}};
          }})
        }};"""
    return run_in_page([static_script("chat-render.js")], check)


def test_what_a_buyer_writes_is_shown_as_text_never_as_markup():
    body = rendered({"sender": "buyer", "text": XSS})
    assert body["parts"] == [{"tag": "div", "cls": "sb-text", "text": XSS, "src": None, "chips": []}]
    assert body["images"] == 0  # the fake page's innerHTML throws: it was not used either


@pytest.mark.parametrize("url, shown", [
    ("https://img.alicdn.com/mango.jpg", "https://img.alicdn.com/mango.jpg"),
    ("  /static/mango.jpg ", "/static/mango.jpg"),
    ("javascript:alert(1)", None),
    ("http://img.example/mango.jpg", None),
    ("//evil.example/x.png", None),
    ("/\\evil.example/x.png", None),
    ("data:image/png;base64,AAAA", None),
])
def test_only_https_and_same_site_images_are_shown(url, shown):
    body = rendered({"sender": "bot", "text": "", "payload": {"image": url}}, look=CONSOLE_LOOK)
    if shown:
        assert body["parts"][0]["tag"] == "img" and body["parts"][0]["src"] == shown
    else:  # nothing to show: an empty bubble, no image
        assert body["images"] == 0 and body["parts"] == [
            {"tag": "div", "cls": "line-body", "text": "", "src": None, "chips": []}]


def test_every_reply_kind_of_one_message_is_shown_in_order_in_both_looks():
    message = {"sender": "bot", "text": "亲,请选择", "payload": {
        "image": "/static/mango.jpg", "buttons": [{"title": "查物流", "payload": "/ask_logistics"}],
        "custom": {"kind": "card"}}}
    assert [(p["tag"], p["cls"]) for p in rendered(message)["parts"]] == [
        ("div", "sb-text"), ("img", "sb-img"), ("div", "sb-chips")]
    assert [(p["tag"], p["cls"]) for p in rendered(message, look=CONSOLE_LOOK)["parts"]] == [
        ("div", "line-body"), ("img", "line-img"), ("div", "line-buttons")]


def test_a_custom_payload_alone_shows_an_empty_bubble():
    assert rendered({"sender": "bot", "text": "", "payload": {"custom": {"handoff": {}}}})["parts"] == [
        {"tag": "div", "cls": "sb-text", "text": "", "src": None, "chips": []}]


BUTTONS = [{"title": "查物流", "payload": "/ask_logistics"}, {"title": "顺丰", "payload": "顺丰包邮吗"},
           {"payload": "/greet"}, {"title": "", "payload": ""}, "not a button", None]


def test_the_widgets_buttons_say_what_the_buyer_would_say():
    body = rendered({"sender": "bot", "text": "", "payload": {"buttons": BUTTONS}},
                    then='box.querySelectorAll("button").forEach(function (b) { b.click(); });')
    chips = body["parts"][0]["chips"]
    assert [(c["tag"], c["cls"], c["text"]) for c in chips] == [
        ("button", "sb-chip", "查物流"), ("button", "sb-chip", "顺丰"), ("button", "sb-chip", "/greet")]
    # A Rasa command is escaped by the desk when a buyer sends it: its title is said instead.
    assert body["said"] == ["查物流", "顺丰包邮吗", "/greet"]


def test_the_consoles_buttons_are_read_only_chips_that_show_their_command():
    body = rendered({"sender": "bot", "text": "", "payload": {"buttons": BUTTONS}}, look=CONSOLE_LOOK)
    assert body["parts"][0]["chips"] == [
        {"tag": "span", "cls": "", "text": "查物流", "title": "/ask_logistics"},
        {"tag": "span", "cls": "", "text": "顺丰", "title": "顺丰包邮吗"},
        {"tag": "span", "cls": "", "text": "/greet", "title": "/greet"}]


def test_the_frame_reader_reads_frames_as_the_desk_makes_them():
    line = {"type": "message", "message": {"id": 1, "sender": "buyer", "text": XSS}}
    answer = {"type": "message", "message": {"id": 2, "sender": "bot", "text": "亲,在的哦"}}
    frames = [frame_of([line]), frame_of([line, answer]),
              {"type": "batch", "events": [1, "x", {"type": "typing", "on": True}]}]
    texts = [json.dumps(frame, ensure_ascii=False) for frame in frames] + ["not json", "null", "42"]
    read = run_in_page([static_script("chat-render.js")],
                       f"return {json.dumps(texts)}.map(ShopbotChat.eventsInFrame);")
    assert read == [events_in(frame) for frame in frames] + [[], [], []]


def test_a_buyers_photo_shows_its_thumbnail_opening_the_photo_and_an_unsafe_address_shows_text():
    photo = {"photo": "ab" * 16, "thumb_url": "/photos/abab/thumb?sig=1", "url": "/photos/abab/photo?sig=1"}
    body = rendered({"sender": "buyer", "text": "[图片]", "payload": photo},
                    then="var link = box.children[0]; said.push(link.href, link.rel, link.children[0].src);")
    assert [(p["tag"], p["text"]) for p in body["parts"]] == [("a", "")] and body["images"] == 1
    assert body["said"] == ["/photos/abab/photo?sig=1", "noopener noreferrer", "/photos/abab/thumb?sig=1"]
    unsafe = rendered({"sender": "buyer", "text": "[图片]", "payload": dict(photo, thumb_url="javascript:x")})
    assert unsafe["images"] == 0 and unsafe["parts"][0]["text"] == "[图片]"
