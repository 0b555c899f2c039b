"""After-sales through the whole stack as `make run` starts it: the desk's process in front of the
real Rasa and action server, the buyer on the widget's socket, the agent on the console's API."""
import asyncio

from tests.desk_support import signed_hello
from tests.test_desk_end_to_end import agent_session, bot_texts, chat


def cases_of_chat(desk, chat_id):
    listed = agent_session(desk).get(f"{desk.url}/api/cases", timeout=10).json()["cases"]
    return [case for case in listed if case["conversation_id"] == chat_id]


def says(words):
    return lambda event: event["type"] == "message" and words in event["message"]["text"]


def test_expired_food_is_an_urgent_case_at_the_top_of_the_list_and_the_chat_waits_for_a_person(desk):
    welcome, events = asyncio.run(chat(desk, signed_hello("tb_lily"), ["收到的麻辣牛肉干过期了"],
                                       answered=says("人工")))
    assert any("请先不要食用" in text for text in bot_texts(events))
    [case] = cases_of_chat(desk, welcome["conversation_id"])
    assert (case["problem"], case["urgent"], case["state"]) == ("expired", True, "waiting")
    assert case["order"]["order_id"] == case["order_id"] == "3163092502056737219"
    listed = agent_session(desk).get(f"{desk.url}/api/cases", timeout=10).json()["cases"]
    assert listed[0]["urgent"]  # urgent cases first
    state = agent_session(desk).get(f"{desk.url}/api/conversations/{welcome['conversation_id']}", timeout=10)
    assert state.json()["conversation"]["state"] == "waiting"


def test_signed_for_but_not_received_becomes_a_case_after_the_buyer_has_looked(desk):
    welcome, events = asyncio.run(chat(desk, signed_hello("tb_lily"),
                                       ["物流显示签收了但我没收到", "找过了,还是没收到"], answered=says("亲")))
    texts = bot_texts(events)
    assert "快递柜" in texts[0] and any("联系快递公司核实" in text for text in texts)
    [case] = cases_of_chat(desk, welcome["conversation_id"])
    assert (case["problem"], case["state"], case["order_id"]) == ("not_received", "waiting", "3913085546601637317")


def test_an_exchange_keeps_the_return_tracking_number_the_buyer_gives_later(desk):
    welcome, events = asyncio.run(chat(desk, signed_hello("tb_lily"), [
        "订单3163092502056737219想换货", "退货的快递单号是SF1312345678901"], answered=says("亲")))
    [case] = cases_of_chat(desk, welcome["conversation_id"])
    assert any(f"记到售后申请(编号{case['id']})" in text for text in bot_texts(events)), bot_texts(events)
    assert (case["problem"], case["proposal"]) == ("exchange", "换货")
    assert (case["return_courier"], case["return_tracking"]) == ("顺丰", "SF1312345678901")


def test_a_buyer_without_cases_is_told_so_when_asking_for_progress(desk):
    _, events = asyncio.run(chat(desk, signed_hello("tb_zhou77"), ["我的售后进度"], answered=says("亲")))
    assert any("没有售后申请" in text for text in bot_texts(events))


# Each after-sales situation through the desk: what the buyer reads, and the case agents get (if any).
SITUATIONS = [
    ("sunny_day", "少发了一包 订单3765179783840271206", "核对仓库的打包记录", "missing"),
    ("tb_zhou77", "发错了 我买的夏威夷果 收到的不是", "来回运费都由我们承担", "wrong_item"),
    ("tb_chen_mama", "燕麦片有一股怪味 有异味", "请先别再食用", "quality"),
    ("tb_lily", "夏威夷果还没发货 我不想要了 能退款吗", "仅退款", None),
    ("sunny_day", "订单3765179783840271206不喜欢吃 想退货 运费谁出", "退货运费需要您承担", None),
    ("sunny_day", "订单4175828270851764495质量有问题 要退货 运费谁出", "运费都由我们承担", None),
]


def test_each_aftersale_situation_reaches_the_buyer_and_the_agents_through_the_desk(desk):
    for account, line, read, problem in SITUATIONS:
        welcome, events = asyncio.run(chat(desk, signed_hello(account), [line], answered=says(read)))
        cases = cases_of_chat(desk, welcome["conversation_id"])
        assert [case["problem"] for case in cases] == ([problem] if problem else []), line
        if problem:
            assert cases[0]["order"]["status"] in ("delivered", "completed"), line  # a received order only
