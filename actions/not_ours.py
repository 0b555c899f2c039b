"""What the shop does not handle, answered specifically: other goods, the platform, small talk."""
from __future__ import annotations

from typing import Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import get_shop, latest_text, mentions

# The buyer's Taobao/Tmall account, password, Alipay, membership: Tmall's own service answers.
PLATFORM_WORDS = ("账号", "帐号", "密码", "登录", "登陆", "支付宝", "淘宝客服", "天猫客服", "官方客服", "88vip",
                  "88VIP", "芝麻", "实名", "注销", "冻结", "解绑", "绑定", "淘气值", "花呗额度", "手机号换")
# Shopping words: a buyer looking for goods this shop does not sell.
SHOPPING_WORDS = ("买", "卖", "有没有", "有吗", "多少钱", "尺码", "型号", "款式", "充值", "订票", "机票", "火车票",
                  "衣服", "鞋", "手机", "化妆品", "口红", "尿不湿", "奶粉")


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict]:
        text = latest_text(tracker)
        if mentions(text, *PLATFORM_WORDS):
            dispatcher.utter_message(response="utter_out_of_scope_platform")
        elif mentions(text, *SHOPPING_WORDS):
            categories = []
            for product in get_shop().store.products():
                if product.category not in categories:
                    categories.append(product.category)
            dispatcher.utter_message(response="utter_out_of_scope_goods", shop_name=get_shop().policy.shop_name,
                                     categories="、".join(categories[:6]))
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []
