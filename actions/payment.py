"""Invoices, payment methods and changes to an order, inside the Tmall rules.

Invoices: always available, free, matching the real goods and amount. Credit
cards and 花呗: accepted, no fee. The shop never closes a buyer's transaction.
"""
from __future__ import annotations

from typing import Dict, List, Text

from rasa_sdk import Action

from actions.common import get_shop, handoff, latest_text, mentions
from actions.orders import find_order


class ActionInvoice(Action):
    def name(self) -> Text:
        return "action_invoice"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        policy = get_shop().policy
        text = latest_text(tracker)
        types = policy.invoice["types"]
        if mentions(text, "开成", "开别的", "写成", "改成", "多开", "金额开", "开高", "开大", "开多", "品名"):
            dispatcher.utter_message(response="utter_invoice_only_real")
        elif mentions(text, "没收到", "没有收到", "没给", "漏了", "没寄", "还没到", "没看到", "沒收到"):
            dispatcher.utter_message(response="utter_invoice_resend",
                                     days=policy.invoice.get("missing_resend_days", 3))
        elif mentions(text, "专票", "专用", "增值税", "專票"):
            dispatcher.utter_message(response="utter_invoice_vat", vat=types.get("vat_special", ""))
        else:
            dispatcher.utter_message(response="utter_invoice_yes",
                                     electronic=types.get("electronic", ""), paper=types.get("paper", ""))
        return []


class ActionPayment(Action):
    def name(self) -> Text:
        return "action_payment"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        payment = get_shop().policy.payment
        text = latest_text(tracker)
        if mentions(text, "货到付款", "到付", "貨到付款", "收货再付", "收到再付"):
            response = "utter_payment_cod_yes" if payment.get("cash_on_delivery") else "utter_payment_cod_no"
            dispatcher.utter_message(response=response)
        elif mentions(text, "分期", "免息", "分几期", "分3期", "分6期", "分12期"):
            dispatcher.utter_message(response="utter_payment_instalment",
                                     threshold=payment.get("instalment_min_amount", 600))
        elif mentions(text, "付不了", "付款失败", "支付失败", "付不出", "付不进", "限额", "扣款失败", "付款不成功"):
            dispatcher.utter_message(response="utter_payment_failed")
        else:
            dispatcher.utter_message(response="utter_payment_methods")
        return []


CLOSE_WORDS = ("关闭", "关掉", "关了", "取消", "不要了", "撤销", "關閉", "取消订单", "拍错")


class ActionChangeOrder(Action):
    def name(self) -> Text:
        return "action_change_order"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        if mentions(latest_text(tracker), *CLOSE_WORDS):
            # Tmall rule: the shop never closes a buyer's transaction, whoever asks.
            dispatcher.utter_message(response="utter_close_order_yourself")
            return []
        shop = get_shop()
        lookup = find_order(dispatcher, tracker, shop, "change_order",
                            lambda o: o["status"] in ("unpaid", "paid"))
        order = lookup.order
        if order is None:
            return lookup.events
        if order["status"] in ("unpaid", "paid"):
            dispatcher.utter_message(response="utter_change_order_agent", order_id=order["order_id"])
            return lookup.events + handoff("change_order", "normal")
        dispatcher.utter_message(response="utter_change_order_shipped", order_id=order["order_id"])
        return lookup.events
