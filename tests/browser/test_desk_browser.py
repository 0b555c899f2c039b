"""A buyer, an agent and the bot, in a real browser against the running stack."""
import json
import random
import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

XSS = "<img src=x onerror=alert(1)>"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def open_widget(page, desk, account="tb_lily"):
    page.goto(f"{desk.url}/?account={account}")
    page.click("#shopbot-bubble")
    expect(page.locator("#shopbot-chat")).to_be_visible()


def say(page, text):
    page.fill("#shopbot-input", text)
    page.click("#shopbot-send")


def last_bot_text(page):
    return page.locator("#shopbot-messages .msg-bot").last


def test_a_buyer_asks_about_stock_and_gets_the_answer(page_factory, desk):
    page = page_factory(**PHONE)
    open_widget(page, desk)
    say(page, "这个芒果干还有货吗")
    expect(last_bot_text(page)).to_contain_text(re.compile("芒果干.*(有现货|件)"), timeout=20000)
    screenshot(page, "widget-stock-answer")


def test_on_a_product_page_this_one_is_priced_with_the_shops_promotions(page_factory, desk):
    """The storefront is the mango's page: "这款" is the mango, with its price and live offers."""
    page = page_factory(**PHONE)
    open_widget(page, desk)
    say(page, "这款多少钱")
    answer = last_bot_text(page)
    expect(answer).to_contain_text(re.compile("芒果干.*¥29.9"), timeout=20000)
    expect(answer).to_contain_text("店铺券满99减10")
    screenshot(page, "widget-page-product-price")


def test_complaint_handoff_agent_reply_hand_back_and_reload(page_factory, desk):
    buyer = page_factory(**PHONE)
    open_widget(buyer, desk)
    say(buyer, XSS)
    # Its own words find this chat in the queue: other tests' complaints may wait there too.
    complaint = f"你们什么服务态度 我要投诉 第{random.randint(100, 999)}次了"
    say(buyer, complaint)
    expect(buyer.locator("#shopbot-messages .msg-system").last).to_contain_text("人工", timeout=20000)

    agent = page_factory(viewport={"width": 1280, "height": 800})
    agent.goto(f"{desk.url}/console")
    agent.fill("#login-username", "alice")
    agent.fill("#login-password", "wrong-password")
    agent.click("#login-submit")
    expect(agent.locator("#login-error")).to_contain_text("用户名或密码错误")
    agent.fill("#login-password", "agentpass1")
    agent.click("#login-submit")

    item = agent.locator("#queue .queue-item").filter(has_text=complaint)
    expect(item).to_be_visible(timeout=15000)
    item.locator(".claim").click()
    transcript = agent.locator("#transcript")
    # The buyer's HTML is shown as text, never run: no <img> element is created from it.
    expect(transcript).to_contain_text(XSS, timeout=15000)
    assert transcript.locator("img[src='x']").count() == 0
    screenshot(agent, "console-claimed-chat")

    agent.fill("#reply-text", "亲,非常抱歉给您带来不好的体验,我来帮您处理")
    agent.click("#reply-send")
    expect(buyer.locator("#shopbot-messages .msg-agent").last).to_contain_text("我来帮您处理", timeout=15000)
    screenshot(buyer, "widget-agent-reply")

    agent.click("#hand-back")
    expect(buyer.locator("#shopbot-messages .msg-system").last).to_contain_text("小助手", timeout=15000)
    say(buyer, "新疆包邮吗")
    expect(last_bot_text(buyer)).to_contain_text("15", timeout=20000)

    before = buyer.locator("#shopbot-messages .msg").count()
    buyer.reload()
    buyer.click("#shopbot-bubble")
    expect(buyer.locator("#shopbot-messages .msg")).to_have_count(before, timeout=15000)
    expect(buyer.locator("#shopbot-messages")).to_contain_text("我来帮您处理")
    screenshot(buyer, "widget-after-reload")


def test_a_line_sent_on_a_socket_that_closed_unconfirmed_is_resent_as_a_resend_and_answered_once(
        page_factory, desk):
    """The widget tells the desk which lines may have arrived before: those are stored before Rasa sees them."""
    page = page_factory(**PHONE)
    sockets, frames = [], []

    def through_to_the_desk(ws):
        sockets.append(ws)
        desk_side = ws.connect_to_server()
        first = len(sockets) == 1

        def from_widget(message):
            frame = json.loads(message)
            if frame.get("type") == "message":
                frames.append(frame)
                if first:  # lost with the socket: the desk never confirms it
                    ws.close()
                    return
            desk_side.send(message)

        ws.on_message(from_widget)
        desk_side.on_message(lambda message: ws.send(message))

    page.route_web_socket(re.compile(r".*/ws/buyer"), through_to_the_desk)
    open_widget(page, desk)
    say(page, "这个芒果干还有货吗")
    expect(last_bot_text(page)).to_contain_text(re.compile("芒果干.*(有现货|件)"), timeout=20000)
    assert len(sockets) >= 2  # it reconnected
    assert [(f["text"], f["resend"]) for f in frames] == [("这个芒果干还有货吗", False), ("这个芒果干还有货吗", True)]
    assert frames[0]["client_id"] == frames[1]["client_id"]
    expect(page.locator("#shopbot-messages .msg-buyer")).to_have_count(1)
    expect(page.locator("#shopbot-messages .msg-bot")).to_have_count(1)

    say(page, "保质期多久")  # on the live socket: a first send
    expect(page.locator("#shopbot-messages .msg-bot")).to_have_count(2, timeout=20000)
    assert (frames[-1]["text"], frames[-1]["resend"]) == ("保质期多久", False)
