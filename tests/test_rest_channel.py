"""Talking to the running assistant over Rasa's REST channel, as the desk does."""
import uuid

import pytest
import requests
import yaml

from harness.hostile import load_accounts
from tests.conftest import channel_headers, rasa_api
from tests.replies import responses_matching

BUYER = "tb_lily"
# One plain message per intent (from a logged-in buyer), and the replies that
# intent's answer may take for that buyer.
TYPICAL = {
    "greet": ("在吗", {"utter_greet_shop"}),
    "goodbye": ("好的谢谢 拜拜", {"utter_goodbye"}),
    "affirm": ("可以的", {"utter_affirm"}),
    "deny": ("不用了", {"utter_deny"}),
    "inform": ("新疆乌鲁木齐", {"utter_free_shipping_fee"}),
    "ask_stock": ("这款有货吗", {"utter_ask_stock"}),
    "ask_shelf_life": ("保质期多久啊", {"utter_ask_shelf_life"}),
    "ask_product_info": ("这个是正品吗", {"utter_ask_product_info"}),
    "ask_recommendation": ("哪个好吃 推荐一下", {"utter_recommend"}),
    "ask_price": ("这个多少钱", {"utter_ask_price"}),
    "bargain": ("便宜点呗", {"utter_bargain_value"}),
    "price_protection": ("你们有价保吗", {"utter_price_protection_rules", "utter_price_protection_due",
                                          "utter_price_protection_no_drop"}),
    "hesitate": ("我再考虑考虑", {"utter_hesitate"}),
    "ask_courier": ("发什么快递", {"utter_courier_default"}),
    # The buyer has a paid order waiting: the answer is about it, else the general rule.
    "ask_ship_time": ("什么时候发货", {"utter_ship_time_order", "utter_ship_time_today", "utter_ship_time_later"}),
    "ask_delivery_time": ("几天能到", {"utter_delivery_time_shipped", "utter_delivery_time_waiting",
                                       "utter_delivery_time_general"}),
    "ask_free_shipping": ("包邮吗", {"utter_free_shipping_ask_region"}),
    "urge_shipping": ("怎么还不发货啊", {"utter_ask_which_order", "utter_urge_shipping_soon", "utter_urge_overdue"}),
    "ask_logistics": ("物流怎么不动了", {"utter_ask_which_order", "utter_logistics_status", "utter_logistics_stalled"}),
    "ask_invoice": ("有发票吗", {"utter_invoice_yes"}),
    "ask_payment": ("能用信用卡吗", {"utter_payment_methods"}),
    "change_order": ("地址写错了帮我改一下", {"utter_ask_which_order", "utter_change_order_agent"}),
    "request_return": ("我要退货", {"utter_ask_which_order", "utter_ask_return_reason"}),
    "ask_refund_progress": ("怎么还没退款", {"utter_ask_which_order", "utter_refund_requested", "utter_refund_overdue"}),
    "report_problem": ("收到是碎的", {"utter_ask_which_order", "utter_case_damaged"}),
    "complain": ("我要投诉你们", {"utter_complain"}),
    "request_human": ("转人工", {"utter_request_human"}),
    "out_of_scope": ("今天天气怎么样", {"utter_out_of_scope"}),
}


@pytest.fixture(scope="module")
def replies_of(project_root):
    responses = yaml.safe_load((project_root / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return lambda name: {variant["text"] for variant in responses[name]}


def send(rasa_url, message, sender=None, headers=None, **extra):
    """A message as the desk sends it (with the channel token), unless `headers` says otherwise."""
    body = {"sender": sender or uuid.uuid4().hex, "message": message, **extra}
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=30,
                             headers=channel_headers() if headers is None else headers)
    response.raise_for_status()
    # The desk's instructions (handoff, case...) carry no text and are never shown: only what buyers read.
    return [m.get("text", "") for m in response.json() if not isinstance(m.get("custom"), dict)]


def test_stock_question_gets_a_chinese_stock_reply(rasa_url, replies_of):
    texts = send(rasa_url, "这款有货吗", metadata={"account": "tb_lily"})
    assert texts and texts[0] in replies_of("utter_ask_stock")
    assert "货" in texts[0]


@pytest.mark.parametrize("intent", sorted(TYPICAL))
def test_each_intent_gets_its_own_reply(rasa_url, intent):
    message, allowed = TYPICAL[intent]
    texts = send(rasa_url, message, metadata={"account": BUYER})
    assert texts, f"no reply to {message!r}"
    assert responses_matching(texts[0]) & allowed, texts


HOSTILE = {
    "empty": "",
    "very long": "我想问一下这个芒果干" * 500,
    "only emoji": "😂😂😂🙏🙏",
    "only English": "hello can you ship to London tomorrow please",
    "html": "<b>hi</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('x')</script>",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_input_gets_a_polite_reply_and_the_bot_carries_on(rasa_url, replies_of, kind):
    sender = uuid.uuid4().hex
    texts = send(rasa_url, HOSTILE[kind], sender=sender)
    assert texts and all("亲" in t for t in texts), texts
    assert "utter_free_shipping_ask_region" in responses_matching(send(rasa_url, "包邮吗", sender=sender)[0])


def test_malformed_json_is_a_client_error_not_a_crash(rasa_url, replies_of):
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", data=b"{not json",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert 400 <= response.status_code < 500
    assert "utter_invoice_yes" in responses_matching(send(rasa_url, "有发票吗")[0])


def test_two_misunderstandings_in_a_row_offer_a_person(rasa_url, replies_of):
    sender = uuid.uuid4().hex
    # "/nlu_fallback" forces what the classifier does when it is unsure.
    first = send(rasa_url, "/nlu_fallback", sender=sender)
    second = send(rasa_url, "/nlu_fallback", sender=sender)
    assert first[0] in replies_of("utter_ask_rephrase")
    assert second[0] in replies_of("utter_offer_human")


def test_a_caller_without_the_channel_token_cannot_read_a_buyers_orders(rasa_url):
    """The attack: post to Rasa's REST channel naming someone else's account."""
    lily = load_accounts()["tb_lily"]
    identifiers = lily["order_ids"] + lily["tracking_nos"]
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": channel_headers()["Authorization"] + "x"}):
        texts = send(rasa_url, "我的快递到哪了", headers=headers, metadata={"account": "tb_lily"})
        assert texts and not [i for i in identifiers if any(i in t for t in texts)], (headers, texts)
        assert any("登录" in t for t in texts), texts  # answered as an anonymous buyer
    # The desk, with the token, is believed: the same question names lily's order.
    texts = send(rasa_url, "我的快递到哪了", metadata={"account": "tb_lily"})
    assert not any("登录" in t for t in texts), texts


def test_rasas_model_and_tracker_api_refuses_callers_without_its_token(rasa_url):
    for method, path, body in [("DELETE", "/model", None), ("PUT", "/model", {"model_server": {"url": "http://x/m"}}),
                               ("GET", "/status", None), ("GET", "/conversations/any/tracker", None),
                               ("POST", "/conversations/any/tracker/events", [{"event": "pause"}])]:
        for params in ({}, {"token": "guessed"}):
            answer = requests.request(method, rasa_url + path, json=body, params=params, timeout=10)
            assert answer.status_code in (401, 403), (method, path, params, answer.status_code)
    assert requests.get(rasa_url + "/status", params=rasa_api(), timeout=10).ok  # still serving, with the token
