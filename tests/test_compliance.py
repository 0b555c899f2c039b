"""Tests of shopbot.compliance: the Tmall-rule checker over reply text."""
from __future__ import annotations

import pytest

from shopbot.compliance import RULES, Breach, ReplyContext, check_reply

OWN = "3512345678901234567"
OTHER = "3598765432109876543"
CTX = ReplyContext(account="tb_buyer_01", own_order_ids=frozenset({OWN}))
PROMISED = ReplyContext(account="tb_buyer_01", free_shipping_promised=True)


def rules_of(text, context=None):
    return {b.rule for b in check_reply(text, context)}


FAIL = {
    "invoice_refused": [
        "亲,不能开发票哦",
        "不好意思,我们这边没有发票的",
        "本店不提供发票",
        "特价商品不开票的呢",
        "亲,开不了票哦",
        "发票机坏了,暂时开不了",
        "财务不在开不了,您理解一下",
        "只能给您开收据哦",
        "我们只开公司抬头,不开个人",
        "发票的话没办法开呢",
        "亲,活动款无法提供发票",
    ],
    "invoice_charged": [
        "开票要加税点的哦",
        "开发票的话要加3个点",
        "发票需要另付费用",
        "发票邮费您出哦",
        "开发票要加钱的",
        "亲,开票需另收6%的税",
        "发票可以开,运费需要您自己出",
    ],
    "invoice_falsified": [
        "可以给您开成办公用品",
        "没问题,可以多开一点金额",
        "好的,帮您开2000的发票",
        "开别的品名没问题",
        "发票金额可以开高一点",
        "品名随便写都行",
        "可以帮您开劳保用品的发票",
    ],
    "card_refused": [
        "不支持信用卡哦亲",
        "信用卡不能用的",
        "亲,我们这里不能刷卡",
        "不能用花呗呢",
        "本店暂不支持花呗付款",
        "花呗用不了哦,请用储蓄卡",
        "信用卡、花呗这边都不接受",
    ],
    "card_fee": [
        "信用卡要加手续费的",
        "刷卡加2%",
        "分期手续费由您承担",
        "用花呗的话要多收3个点",
        "信用卡付款需要您承担1%的手续费",
        "花呗付款,手续费您自己出哦",
    ],
    "transaction_closed": [
        "我帮您关闭交易吧",
        "已经给您关掉订单了",
        "我这边给您取消订单",
        "帮您把交易关了哦",
        "好的亲,订单已经帮您取消了",
        "我已经关闭了您的订单",
        "亲,交易给您关闭了,重新拍一下",
    ],
    "other_account_order": [
        "另一个账号的订单地址是北京市朝阳区",
        "亲,收货人电话13812345678",
        "收件人手机是139-1234-5678",
        "其他买家的订单收货人是张三",
        "别人的订单地址为上海市浦东新区",
    ],
    "postage_after_free": [
        "这款包邮的,不过新疆要补10元运费",
        "全国包邮,偏远地区需要补10元运费",
        "包邮哦亲,运费需要您出一半",
        "我们免运费的,但是您要拍一下邮费链接",
        "包邮的,新疆需要加运费哦",
    ],
    "absolute_promise": [
        "保证明天到",
        "肯定是新鲜的",
        "绝对不会加钱",
        "100%正品",
        "百分百满意",
        "百分之百是今年的新货",
        "放心,一定能到",
        "周五之前一定送到",
        "必定准时发货",
        "包您满意",
        "明天必到",
    ],
}

PASS = {
    "invoice_refused": [
        "亲,有发票的哦,免费开具,个人或公司抬头都可以",
        "只能按实际购买的商品和金额开具发票哦",
        "发票会随货寄出,没有额外费用",
        "电子发票会在确认收货后开具",
        "下单时没填发票抬头也没关系,联系客服补开就好",
        "亲,发票没问题的,特价商品也能开",
        "纸质发票和电子发票都可以提供",
        "发票还没开好,明天随货寄出",
    ],
    "invoice_charged": [
        "亲,有发票的哦,免费开具,个人或公司抬头都可以",
        "发票邮费由我们承担",
        "开发票不需要额外收费",
        "开票是免费的,不收取任何费用",
        "发票随货寄出,无需另付",
        "您点击一下订单页的申请开票就可以",
        "开票的同时可以给您加点赠品",
    ],
    "invoice_falsified": [
        "只能按您实际购买的商品和金额开具哦",
        "抱歉亲,不能开成办公用品",
        "不可以多开金额的哦",
        "发票金额以实际支付为准",
        "可以帮您开成公司抬头",
        "品名会开具体的商品名称",
        "我们不会虚开发票",
        "按实际金额开具发票,品名为食品",
    ],
    "card_refused": [
        "信用卡和花呗都可以用,不收取任何手续费",
        "亲,支持信用卡和花呗付款哦",
        "支持花呗分期,3期免息",
        "信用卡付款是没问题的",
        "如果花呗用不了,请检查一下额度",
        "花呗额度不够的话可以换信用卡支付",
        "不支持货到付款,可以用信用卡或花呗",
    ],
    "card_fee": [
        "信用卡和花呗都可以用,不收取任何手续费",
        "我们不收取任何手续费",
        "信用卡付款不加手续费",
        "花呗分期手续费以收银台显示为准,由支付宝收取",
        "选择3期免息,手续费由我们承担",
        "部分银行分期会收取手续费,以收银台为准",
        "信用卡付款的话要在5点前付款才能当天发",
    ],
    "transaction_closed": [
        "我们没有权限关闭交易哦,亲可以自己在订单页点击关闭",
        "您自己关闭一下就可以了",
        "我们没有权限关闭交易,亲自己关闭一下就好",
        "亲可以在订单详情页取消订单",
        "订单超时未付款会自动关闭",
        "帮您查了下,订单已经取消了",
        "不能帮您关闭交易,需要您本人操作",
        "给您关注一下物流",
    ],
    "other_account_order": [
        "亲,请提供一下订单号",
        "为保护隐私,我们不能透露其他买家的信息",
        "收货手机号是138****5678",
        "请用下单的账号来咨询哦",
        "包裹预计3-5天送达",
    ],
    "postage_after_free": [
        "本店大部分地区包邮,新疆西藏需要补15元运费",
        "新疆需要补10元运费",
        "包邮(新疆西藏除外),新疆需要补运费",
        "偏远地区需补运费,其他地区包邮",
        "全国包邮,不用补运费",
        "包邮的,退货运费需要您承担",
        "新疆西藏不包邮,需要补15元运费",
    ],
    "absolute_promise": [
        "我们会尽力尽快为您发出",
        "保质期12个月",
        "店铺缴纳了消费者保障保证金",
        "一般3-5天送达,具体以物流为准",
        "我们一定尽快安排发货",
        "这款是100%纯果汁",
        "支付宝担保交易,请放心购买",
    ],
}

TRADITIONAL_FAIL = [
    ("不能開發票哦", "invoice_refused"),
    ("發票機壞了,開不了", "invoice_refused"),
    ("開發票要加錢的", "invoice_charged"),
    ("可以給您開成辦公用品", "invoice_falsified"),
    ("不支持信用卡喔", "card_refused"),
    ("不能用花唄", "card_refused"),
    ("刷卡加2%手續費", "card_fee"),
    ("我幫您關閉交易", "transaction_closed"),
    ("已經給您關掉訂單了", "transaction_closed"),
    ("另一個帳號的訂單地址是北京", "other_account_order"),
    ("這款包郵的,不過新疆要補10元運費", "postage_after_free"),
    ("保證明天到", "absolute_promise"),
    ("絕對新鮮", "absolute_promise"),
]

TRADITIONAL_PASS = [
    "親,有發票的哦,免費開具,個人或公司抬頭都可以",
    "發票郵費由我們承擔",
    "信用卡和花唄都可以用,不收取任何手續費",
    "本店大部分地區包郵,新疆西藏需要補15元運費",
    "我們會盡力儘快為您發出",
    "只能按實際購買的商品和金額開具發票哦",
    "我們沒有權限關閉交易,親自己關閉一下就好",
]

FULL_WIDTH_FAIL = [
    ("刷卡加２％", "card_fee"),
    ("亲，不能开发票哦！", "invoice_refused"),
    ("收货人电话１３８１２３４５６７８", "other_account_order"),
    ("１００％正品", "absolute_promise"),
]


@pytest.mark.parametrize("rule,text", [(r, t) for r, ts in FAIL.items() for t in ts])
def test_breach_detected(rule, text):
    assert rule in rules_of(text, CTX if rule == "other_account_order" else None)


@pytest.mark.parametrize("rule,text", [(r, t) for r, ts in PASS.items() for t in ts])
def test_no_false_positive(rule, text):
    assert rule not in rules_of(text, CTX if rule == "other_account_order" else None)


@pytest.mark.parametrize("text,rule", TRADITIONAL_FAIL + FULL_WIDTH_FAIL)
def test_traditional_and_full_width_breaches(text, rule):
    assert rule in rules_of(text, CTX)


@pytest.mark.parametrize("text", TRADITIONAL_PASS)
def test_traditional_positive_scripts_pass(text):
    assert check_reply(text, CTX) == []


POSITIVE_SCRIPTS = [
    "亲,有发票的哦,免费开具,个人或公司抬头都可以",
    "发票邮费由我们承担",
    "信用卡和花呗都可以用,不收取任何手续费",
    "本店大部分地区包邮,新疆西藏需要补15元运费",
    "我们会尽力尽快为您发出",
    "只能按实际购买的商品和金额开具发票哦",
    "我们没有权限关闭交易,亲自己关闭一下就好",
    f"亲,您的订单{OWN}已经发货了",
]


@pytest.mark.parametrize("text", POSITIVE_SCRIPTS)
def test_positive_scripts_have_no_breach_at_all(text):
    assert check_reply(text, CTX) == []


# --- context-dependent rules ------------------------------------------------

@pytest.mark.parametrize("text,context,flagged", [
    (f"您的订单{OWN}已经发出", CTX, False),
    (f"您的订单{OTHER}已经发出", CTX, True),
    (f"订单号:{OTHER},地址北京", CTX, True),
    (f"您的订单{OTHER}已经发出", None, False),
    (f"您的订单{OTHER}已经发出", ReplyContext(), True),
    (f"订单{OWN}和{OTHER}都已发货", CTX, True),
    (f"订单{OWN}已签收", ReplyContext(account="x", own_order_ids=frozenset({OWN})), False),
    ("您的订单１２３４５６７８９０１２３已经发出", CTX, True),
    ("亲,收货人电话13812345678", None, True),
    ("亲,您的快递单号是SF1234567890123", CTX, False),
    ("中通快递,运单号7531234567890", CTX, False),
])
def test_other_account_order_with_context(text, context, flagged):
    assert ("other_account_order" in rules_of(text, context)) is flagged


def test_other_account_order_excerpt_is_the_foreign_id():
    breaches = [b for b in check_reply(f"订单{OWN}和{OTHER}", CTX) if b.rule == "other_account_order"]
    assert [b.excerpt for b in breaches] == [OTHER]


@pytest.mark.parametrize("text,context,flagged", [
    ("新疆需要补10元运费", None, False),
    ("新疆需要补10元运费", PROMISED, True),
    ("新疆需要补10元运费", ReplyContext(free_shipping_promised=False), False),
    ("亲,麻烦拍一下邮费链接", PROMISED, True),
    ("亲,麻烦拍一下邮费链接", None, False),
    ("运费需要您出", PROMISED, True),
    ("需要加运费哦", PROMISED, True),
    ("补邮费5元就可以发顺丰", PROMISED, True),
    ("不用补运费的,放心", PROMISED, False),
    ("运费由我们承担", PROMISED, False),
    ("退货运费需要您承担", PROMISED, False),
    ("本店大部分地区包邮,新疆西藏需要补15元运费", PROMISED, True),
    ("本店大部分地区包邮,新疆西藏需要补15元运费", None, False),
    ("這款包郵的,不過新疆要補10元運費", None, True),
    ("已經給您包郵了,不用補運費", PROMISED, False),
])
def test_postage_after_free_with_and_without_promise(text, context, flagged):
    assert ("postage_after_free" in rules_of(text, context)) is flagged


# --- API ---------------------------------------------------------------------

def test_rules_legend_and_breach_shape():
    assert set(RULES) == {
        "invoice_refused", "invoice_charged", "invoice_falsified", "card_refused", "card_fee",
        "transaction_closed", "other_account_order", "postage_after_free", "absolute_promise",
    }
    [b] = [b for b in check_reply("亲,不能开发票哦") if b.rule == "invoice_refused"]
    assert isinstance(b, Breach)
    assert b.title == RULES["invoice_refused"] and "发票" in b.title
    assert "不能开发票" in b.excerpt


def test_several_rules_in_one_reply_and_no_duplicates():
    breaches = check_reply("不支持信用卡,也不能开发票,保证明天到,保证新鲜")
    rules = [b.rule for b in breaches]
    assert {"card_refused", "invoice_refused", "absolute_promise"} <= set(rules)
    assert len({(b.rule, b.excerpt) for b in breaches}) == len(breaches)


@pytest.mark.parametrize("text", ["", "   ", "亲,在的,请问有什么可以帮您", "好的"])
def test_neutral_text(text):
    assert check_reply(text) == [] and check_reply(text, CTX) == []


def test_dataclasses_are_frozen():
    with pytest.raises(Exception):
        CTX.account = "other"  # type: ignore[misc]


def test_asking_for_the_tax_number_is_not_charging_tax():
    """'公司请加税号' asks the buyer to add their tax number; it is not 加税 (charging tax)."""
    text = "麻烦您把开票抬头(公司请加税号)和邮箱发给我,我们3天内为您补开补寄,费用都由我们承担哦"
    assert [b.rule for b in check_reply(text)] == []
