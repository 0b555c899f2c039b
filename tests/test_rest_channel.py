"""Talking to the running assistant over Rasa's REST channel, as the desk does."""
import uuid

import pytest
import requests
import yaml

# One plain message per intent, and the reply that intent must get.
TYPICAL = {
    "greet": "在吗",
    "goodbye": "好的谢谢 拜拜",
    "affirm": "可以的",
    "deny": "不用了",
    "ask_stock": "这款有货吗",
    "ask_shelf_life": "保质期多久啊",
    "ask_product_info": "这个是正品吗",
    "ask_recommendation": "哪个好吃 推荐一下",
    "bargain": "便宜点呗",
    "hesitate": "我再考虑考虑",
    "ask_courier": "发什么快递",
    "ask_ship_time": "什么时候发货",
    "ask_delivery_time": "几天能到",
    "ask_free_shipping": "包邮吗",
    "urge_shipping": "怎么还不发货啊",
    "ask_logistics": "物流怎么不动了",
    "ask_invoice": "有发票吗",
    "ask_payment": "能用信用卡吗",
    "change_order": "地址写错了帮我改一下",
    "request_return": "我要退货",
    "ask_refund_progress": "怎么还没退款",
    "report_problem": "收到是碎的",
    "complain": "我要投诉你们",
    "request_human": "转人工",
    "out_of_scope": "今天天气怎么样",
}


@pytest.fixture(scope="module")
def replies_of(project_root):
    responses = yaml.safe_load((project_root / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return lambda name: {variant["text"] for variant in responses[name]}


def send(rasa_url, message, sender=None, **extra):
    body = {"sender": sender or uuid.uuid4().hex, "message": message, **extra}
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
    response.raise_for_status()
    return [m.get("text", "") for m in response.json()]


def test_stock_question_gets_a_chinese_stock_reply(rasa_url, replies_of):
    texts = send(rasa_url, "这款有货吗", metadata={"account": "tb_lily"})
    assert texts and texts[0] in replies_of("utter_ask_stock")
    assert "货" in texts[0]


@pytest.mark.parametrize("intent,message", sorted(TYPICAL.items()))
def test_each_intent_gets_its_own_reply(rasa_url, replies_of, intent, message):
    texts = send(rasa_url, message)
    assert texts, f"no reply to {message!r}"
    assert texts[0] in replies_of(f"utter_{intent}"), texts


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
    assert send(rasa_url, "包邮吗", sender=sender)[0] in replies_of("utter_ask_free_shipping")


def test_malformed_json_is_a_client_error_not_a_crash(rasa_url, replies_of):
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", data=b"{not json",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert 400 <= response.status_code < 500
    assert send(rasa_url, "有发票吗")[0] in replies_of("utter_ask_invoice")


def test_two_misunderstandings_in_a_row_offer_a_person(rasa_url, replies_of):
    sender = uuid.uuid4().hex
    # "/nlu_fallback" forces what the classifier does when it is unsure.
    first = send(rasa_url, "/nlu_fallback", sender=sender)
    second = send(rasa_url, "/nlu_fallback", sender=sender)
    assert first[0] in replies_of("utter_ask_rephrase")
    assert second[0] in replies_of("utter_offer_human")
