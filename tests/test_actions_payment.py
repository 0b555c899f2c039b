"""Invoices, payment methods and changes to an order, inside the Tmall rules."""
from __future__ import annotations

import pytest

from actions.payment import ActionChangeOrder, ActionInvoice, ActionPayment
from tests.shop_action_helpers import (all_orders, ask, assert_hands_off, assert_no_handoff,
                                       everything_sent, order_status_in_db, pick_order, render,
                                       responses, restart_with, shop_dir_copy, slot_sets)


# -- invoices ---------------------------------------------------------------------------
def test_invoice_is_available_free_with_electronic_and_paper_terms(shop):
    messages, events = ask(ActionInvoice(), "能开发票吗", "ask_invoice")
    assert responses(messages) == ["utter_invoice_yes"]
    text = render(messages[0])
    assert "免费" in text
    types = shop.policy.invoice["types"]
    assert types["electronic"] in text
    assert types["paper"] in text
    assert events == []


@pytest.mark.parametrize("text", ["能开专票吗", "需要增值税专用发票"])
def test_vat_special_invoice_lists_what_the_company_must_provide(shop, text):
    messages, _ = ask(ActionInvoice(), text, "ask_invoice")
    assert responses(messages) == ["utter_invoice_vat"]
    assert shop.policy.invoice["types"]["vat_special"] in render(messages[0])


@pytest.mark.parametrize("text", ["发票能开成办公用品吗", "发票金额开大一点", "能多开200块吗", "品名写成礼品"])
def test_invoice_for_other_goods_or_amount_is_politely_refused(shop, text):
    messages, events = ask(ActionInvoice(), text, "ask_invoice")
    assert responses(messages) == ["utter_invoice_only_real"]
    assert events == []


@pytest.mark.parametrize("text", ["发票还没收到", "我的发票漏了"])
def test_missing_invoice_is_resent_within_the_days_from_settings(shop, text):
    messages, _ = ask(ActionInvoice(), text, "ask_invoice")
    assert responses(messages) == ["utter_invoice_resend"]
    assert f"{shop.policy.invoice['missing_resend_days']}天内为您补开补寄" in render(messages[0])


# -- payment ---------------------------------------------------------------------------
def test_credit_card_payment_is_accepted_without_a_fee(shop):
    messages, _ = ask(ActionPayment(), "可以用信用卡吗", "ask_payment")
    assert responses(messages) == ["utter_payment_methods"]
    text = render(messages[0])
    assert "信用卡" in text and "不收取任何手续费" in text


def test_instalments_state_the_threshold_from_settings(shop):
    messages, _ = ask(ActionPayment(), "能分期吗", "ask_payment")
    assert responses(messages) == ["utter_payment_instalment"]
    threshold = shop.policy.payment["instalment_min_amount"]
    assert f"满{threshold}元" in render(messages[0])


def test_an_edited_instalment_threshold_is_what_the_buyer_hears(shop, tmp_path):
    def edit(settings):
        settings["payment"]["instalment_min_amount"] = 1000
    restart_with(shop, shop_dir_copy(tmp_path, edit))
    messages, _ = ask(ActionPayment(), "能分期吗", "ask_payment")
    assert "满1000元" in render(messages[0])


def test_cash_on_delivery_follows_settings(shop, tmp_path):
    assert shop.policy.payment["cash_on_delivery"] is False
    messages, _ = ask(ActionPayment(), "能货到付款吗", "ask_payment")
    assert responses(messages) == ["utter_payment_cod_no"]

    def edit(settings):
        settings["payment"]["cash_on_delivery"] = True
    restart_with(shop, shop_dir_copy(tmp_path, edit))
    messages, _ = ask(ActionPayment(), "能货到付款吗", "ask_payment")
    assert responses(messages) == ["utter_payment_cod_yes"]


def test_failed_payment_gets_troubleshooting_tips(shop):
    messages, _ = ask(ActionPayment(), "付款失败怎么办", "ask_payment")
    assert responses(messages) == ["utter_payment_failed"]


# -- changing and closing orders --------------------------------------------------------
@pytest.mark.parametrize("text", ["帮我把订单关了", "帮我取消订单", "拍错了 不要了"])
def test_the_shop_never_closes_an_order_it_tells_the_buyer_how_to(shop, text):
    order = pick_order(shop, lambda o: o["status"] == "unpaid")
    statuses_before = {o["order_id"]: o["status"] for o in all_orders(shop)}
    messages, events = ask(ActionChangeOrder(), text, "change_order",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_close_order_yourself"]
    assert events == []
    assert order_status_in_db(shop, order["order_id"]) == "unpaid"
    assert {o["order_id"]: o["status"] for o in all_orders(shop)} == statuses_before


@pytest.mark.parametrize("status", ["unpaid", "paid"])
def test_changing_an_unshipped_order_goes_to_an_agent(shop, status):
    order = pick_order(shop, lambda o: o["status"] == status)
    messages, events = ask(ActionChangeOrder(), "帮我改一下地址", "change_order",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_change_order_agent"]
    assert order["order_id"] in render(messages[0])
    assert slot_sets(events)["order_id"] == order["order_id"]
    assert_hands_off(events, "change_order", "normal")
    assert order_status_in_db(shop, order["order_id"]) == status


@pytest.mark.parametrize("status", ["shipped", "delivered"])
def test_a_shipped_order_cannot_be_changed(shop, status):
    order = pick_order(shop, lambda o: o["status"] == status)
    messages, events = ask(ActionChangeOrder(), "帮我改一下地址", "change_order",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_change_order_shipped"]
    assert_no_handoff(events)


def test_anonymous_buyer_changing_an_order_is_asked_to_log_in(shop):
    order = pick_order(shop, lambda o: o["status"] == "paid")
    messages, events = ask(ActionChangeOrder(), "帮我改一下地址", "change_order",
                           {"order_id": order["order_id"]})
    assert responses(messages) == ["utter_need_account"]
    assert events == []


def test_changing_another_accounts_order_reveals_nothing_and_hands_nothing_off(shop):
    order = pick_order(shop, lambda o: o["status"] == "paid")
    stranger = next(o["account"] for o in all_orders(shop) if o["account"] != order["account"])
    messages, events = ask(ActionChangeOrder(), "帮我改一下地址", "change_order",
                           {"order_id": order["order_id"]}, account=stranger)
    assert responses(messages) == ["utter_order_not_found"]
    sent = everything_sent(messages)
    for detail in [order["receiver"]["address"], order["receiver"]["phone"]] + [
            i["name"] for i in order["items"]]:
        assert detail not in sent
    assert_no_handoff(events)
