"""The goods a buyer's question names, read from where buyers put them, for goods the shop's
names did not match: "小龙虾有货吗", "你们有卖辣条吗", "苹果多少钱一斤".

The NLU finds the shop's own products by name, alias and short name
(shopbot.nlu.product_names); when it found none, a question about stock, price or a
product's facts either means the product in view ("这款有货吗") or names goods the shop
does not sell. This module tells the two apart by the sentence's shape: the words just
before a question's ending (有货吗, 多少钱, 保质期...) or just after 有没有卖 / 有卖, once
greetings and "your shop's" are taken off the front, when they are neither a pronoun, a
service word (快递, 价格, 优惠...), a quantity nor a time. Only Chinese characters are
ever returned, so the phrase is safe to quote back in a reply.
"""
from __future__ import annotations

import re
from typing import Optional

# What buyers say before the goods: greetings, "your shop's", "I want to ask".
_LEAD = r"(?:请问一下|请问|我想问一下|我想问下|我想问|想问一下|想问下|想问|问一下|问下|你好|您好|亲亲|亲|在吗|老板|掌柜|客服|" \
        r"你们家|你们店里|你们店|你们|你家|您家|贵店|店里|家里|这边|那个|就是|的|呀|啊|哈|,|，|\s)*"
# Question endings that follow the goods they are about.
_TAIL = r"(?:还有货|有没有货|有货|有现货|还有没有|还有|有吗|有没有|有木有|卖吗|多少钱|多少米|怎么卖|什么价|啥价|价格|价钱|" \
        r"保质期|生产日期|新鲜|好吃|甜不甜|辣不辣|脆不脆|是哪里|哪里产|哪产|产地|配料|成分|规格|几克|多重|怎么吃|怎么保存)"
_GOODS = r"([\u4e00-\u9fff]{2,8}?)"
_BEFORE_TAIL = re.compile(r"^" + _LEAD + _GOODS + _TAIL)
_AFTER_SELL = re.compile(r"(?:有没有卖|有没卖|有没有|有木有|有卖|卖不卖|卖)" + _GOODS + r"(?:吗|嘛|么|吧|呀|啊|的|没|不|呢|\?|？|$)")

# Words that make a phrase something other than goods: pronouns and "this one", the shop and
# its service, money, time, quantities, packing (礼盒装) and particles.
NOT_GOODS = (
    "这", "那", "它", "啥", "什么", "哪", "别的", "其他", "其它", "东西", "宝贝", "商品", "产品", "货", "款",
    "店", "你", "我", "他", "她", "快递", "物流", "运费", "邮", "发", "单", "付", "价", "钱", "优惠", "券", "活动",
    "红包", "折", "口味", "味道", "包装", "日期", "保质", "规格", "链接", "赠品", "发票", "会员", "客服", "售后",
    "今天", "明天", "后天", "昨天", "现在", "时候", "天", "号", "点", "多少", "几", "一", "二", "两", "三", "四",
    "五", "六", "七", "八", "九", "十", "百", "千", "万", "斤", "推荐", "便宜", "贵", "新鲜", "好", "还",
    "都", "也", "要", "想", "能", "可以", "有", "没", "是", "不", "在", "完", "装", "吗", "呢", "吧", "嘛", "了",
    "的", "啊", "呀", "到手", "总", "最", "合计", "平时", "原", "现", "单", "口感", "吃起来", "里面", "每", "含量",
    "整箱", "大袋", "小袋", "袋装", "糖", "试吃", "新", "一样", "质量", "正品", "效果", "区别",
)


def goods_named(text: str) -> Optional[str]:
    """The goods a question names (Chinese characters only), or None when it names none."""
    for pattern in (_BEFORE_TAIL, _AFTER_SELL):
        match = pattern.search(text)
        if match and not any(word in match.group(1) for word in NOT_GOODS):
            return match.group(1)
    return None
