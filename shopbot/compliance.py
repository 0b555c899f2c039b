"""Tmall-rule checker for reply text sent to buyers (bot replies and agents' replies).

``check_reply(text, context)`` returns the list of :class:`Breach` (empty = passed).
Pure: no I/O; import only compiles regexes.  The text is normalised first (NFKC
folds full-width forms, ``zhconv`` maps traditional to simplified, whitespace
becomes a clause break, particles 哦/呢/啊/呀/啦/嘛/吧/~ are dropped) and excerpts
come from that normalised text.  Rules work per clause (split at , 。 ! ? ; and
line breaks) so a negation (不能/没有/无法/只能 ...) only covers its own clause.

Deliberate choice: ``absolute_promise`` flags the words themselves (保证, 肯定,
绝对, 百分百 ...) even in negated, reassuring phrasing such as "绝对不会加钱",
because the shop manual tells agents to avoid these words entirely.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import zhconv


@dataclass(frozen=True)
class ReplyContext:
    account: str | None = None                  # buyer account of this chat (from the channel)
    own_order_ids: frozenset[str] = frozenset()  # order ids that belong to that account
    free_shipping_promised: bool = False         # earlier in this chat the shop promised free shipping


@dataclass(frozen=True)
class Breach:
    rule: str     # rule code, a key of RULES
    title: str    # short Chinese explanation for the agent
    excerpt: str  # the part of the (normalised) text that triggered it


RULES: dict[str, str] = {
    "invoice_refused": "发票:不得拒绝或推诿开具发票",
    "invoice_charged": "发票:不得因开票另收税点或费用",
    "invoice_falsified": "发票:不得虚开品名或金额",
    "card_refused": "支付:不得拒绝信用卡或花呗付款",
    "card_fee": "支付:不得向买家收取刷卡或分期手续费",
    "transaction_closed": "交易:不得擅自关闭买家的交易",
    "other_account_order": "隐私:不得泄露其他买家的订单或信息",
    "postage_after_free": "运费:承诺包邮后不得再收运费",
    "absolute_promise": "承诺:不得使用保证、肯定、绝对等绝对化用语",
}

C = re.compile
_PARTICLES = C(r"[哦噢喔呢啊呀啦嘛吧~]")
_SPLIT = C(r"[,;!?。\n]+|(?<!\d)\.|\.(?!\d)")
# A negation earlier in the clause cancels a match ("不能帮您关闭交易", "只能按实际金额开").
_NEG = C(r"不(?!用担心|客气|好意思|过|仅|但)|没(?!问题|关系)|无法|无需|无须|别|禁止|只能|只可以|仅能|未|拒绝")
_YOU = r"(?:您|你|亲)"
_CARD = C(r"信用卡|花呗|刷卡|分期|信用支付")


def _normalise(text: str) -> str:
    t = zhconv.convert(unicodedata.normalize("NFKC", text), "zh-cn")
    t = re.sub(r"(?<=\d)[ \t]+(?=\d)", "", t)
    return _PARTICLES.sub("", re.sub(r"\s+", ",", t))


def _clauses(text: str) -> list[str]:
    return [c for c in _SPLIT.split(text) if c]


def _hits(rule: str, text: str, patterns, negatable: bool = True, skip=None) -> list[Breach]:
    """Matches of ``patterns`` per clause, dropping negated ones and clauses matching ``skip``."""
    out = []
    for clause in _clauses(text):
        if skip is not None and skip.search(clause):
            continue
        taken: list[range] = []
        for m in (m for pat in patterns for m in pat.finditer(clause)):
            if any(m.start() < r.stop and r.start < m.end() for r in taken):
                continue  # overlaps an earlier hit of the same rule
            if not (negatable and _NEG.search(clause[:m.start()])):
                taken.append(range(m.start(), m.end()))
                out.append(Breach(rule, RULES[rule], m.group(0)))
    return out


_REFUSE = [
    C(r"(?:不(?!用|需)|(?<!还)没|无法|没法|没办法|暂不|不再)(?:能|可以|可|给|帮|为|予|提供)*" + _YOU + r"?"
      r"(?:开具|开出|补开|开|提供|出具|有|出)?(?:发票|票)(?!抬头|信息|税号|类型|内容)"),
    C(r"(?:发票|开票|票)(?:(?!可以|能开|都).){0,4}?(?:开不了|开不出来?|不能开|不可以开|不开|无法开具?|没法开|"
      r"没办法开|没有(?!问题|额外|任何|费用|限制|关系)|不提供|提供不了)"),
    C(r"开不(?:了|出来?)(?:发)?票"),
    C(r"(?:发票机|税控机|税控盘|开票系统|开票机)(?:.){0,3}?(?:坏|故障|出问题|维修|用不了)"),
    C(r"(?:财务|会计|开票员)(?:.){0,6}?(?:开不了|开不出|不能开|没法开|无法开)"),
    C(r"只(?:能|可以|提供)?(?:给|开|提供|出具|开具)?" + _YOU + r"?(?:开|出具)?(?:收据|收条|白条|购物凭证)"),
    C(r"只(?:能|可以)?开具?(?:公司|企业|单位|个人)(?:抬头)?|不(?:能|可以)?开具?(?:个人|公司|企业|单位)(?:抬头)?"),
]


def rule_invoice_refused(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 发票规则 (6 分): an invoice must be issued on request for every item and
    any title; excuses (machine broken, finance away, a receipt instead) are refusals."""
    return _hits("invoice_refused", text, _REFUSE, negatable=False)


_CHARGE = [
    C(r"(?:开票|发票|开发票)(?:(?!不|免|无|没|别|含).){0,8}?(?:加钱|加价|另付|另外付|另收|另外收|收费|付费|"
      r"额外(?:收|付|加)|加收|税点|税费|手续费|加\d+个?点|加个点|加\d+(?:\.\d+)?%|补税|加税(?!号)|交税)"),
    C(r"(?:加|补|收|另加|另收|承担)(?:一下)?(?:\d+(?:\.\d+)?(?:个点|%|点的?税)|税点|税费)(?:的?税)?"),
    C(r"(?:邮费|运费|快递费)(?:需要|要|得|由|请)?" + _YOU + r"(?:自己)?(?:出|承担|付|支付|补)|"
      r"(?:邮费|运费|快递费)(?:需要|要)?(?:自理|到付)"),
]


def rule_invoice_charged(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 发票规则 (6 分): the invoice and its postage are free; tax points or postage
    asked for it are a breach.  Card clauses are left to ``card_fee``."""
    pats = _CHARGE if "票" in text else _CHARGE[:2]
    return [b for c in _clauses(text) if not _CARD.search(c) for b in _hits("invoice_charged", c, pats)]


_FALSIFY = [
    C(r"开成(?!.{0,4}?(?:抬头|电子|纸质|专|普|增值税|个人|公司|单位|企业|具体|实际|明细))(?:.){0,8}"),
    C(r"(?:开|写|做|改)(?:成|为)?(?:办公用品|劳保用品|耗材|礼品|餐费|餐饮|会务费|材料费|日用品|服务费|咨询费|办公费|福利费)"),
    C(r"(?:开|写|填)(?:别的|其他|其它|另外的|任意|随便的?)(?:品名|名目|商品|项目|东西|名称|内容|类目)"),
    C(r"(?:品名|名目|项目)(?:随便|随意|任意|您定|你定|您来定|自己定|自己填|可以改|可以换|都行|都可以|没问题)"),
    C(r"(?:金额|数额|价格)(?:可以|能|也能)?(?:开|写|改|调)?(?:高|大|多|低|少|成|到|您定|你定|随便|随意|多少都)\d*"),
    C(r"(?:多开|开高|开大|开多|少开|开低|虚开|加开)(?:一点|一些|点|些)?(?:金额|钱|数额)?"),
    C(r"(?:帮|给|替)" + _YOU + r"?(?:开|写)(?:一张)?\d+(?:\.\d+)?(?:元|块钱|块)?的?(?:发票|票)"),
]


def rule_invoice_falsified(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 发票规则 (虚开发票): only the goods and amount actually bought may be
    invoiced; a polite refusal ("只能按实际购买的商品和金额开具") is negated and passes."""
    return _hits("invoice_falsified", text, _FALSIFY)


_PAY_WORDS = r"信用卡|花呗|刷卡|信用支付"
_CONDITIONAL = C(r"如果|若|要是|假如|的话")
_CARD_REFUSE = [
    C(r"(?:不(?!用|需)|没|无法|没法|没办法|暂不|暂时不)(?:能|可以|可|支持|接受|开通|提供|用|使用|让|允许)*"
      + _YOU + r"?(?:用|使用|刷|走|开通)?(?:" + _PAY_WORDS + r"|卡(?=支付|付款))"),
    C(r"(?:" + _PAY_WORDS + r")(?:(?!可以|能用).){0,6}?(?:不能(?!免息|叠加|优惠)|不可以(?!免息|叠加|优惠)|不支持|不接受|用不了|"
      r"付不了|刷不了|无法使用|无法支付|不行|不可用|没开通|未开通|不开通|不给用|不让用)"),
]


def rule_card_refused(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 信用卡/花呗规则 (4-6 分): a seller may not refuse credit-card or 花呗
    payment.  Conditional troubleshooting ("如果花呗用不了, 请检查额度") is skipped."""
    return _hits("card_refused", text, _CARD_REFUSE, negatable=False, skip=_CONDITIONAL)


_BANK = C(r"银行|支付宝|收银台|平台")
_FEE = [
    C(r"(?:信用卡|花呗|刷卡|分期|信用支付)(?:(?!不|免|没|无).){0,8}?(?:加|收|另收|额外|补|加收|多收|多付|需要|要)"
      r"(?:(?!不|免|没|无).){0,4}?(?:手续费|服务费|\d+(?:\.\d+)?%|\d+个点)"),
    C(r"(?:手续费|服务费|分期费)(?:需要|要|得|由|请)?" + _YOU + r"(?:自己)?(?:承担|出|付|支付|来出|负担)"),
    C(_YOU + r"(?:需要|要|得)?(?:自己)?(?:承担|出|付|支付|负担)(?:一下)?.{0,4}?手续费"),
]


def rule_card_fee(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 信用卡规则 (4-6 分): no card or instalment fee may be passed to the buyer.
    The bank's/支付宝's own fee shown by the cashier is not the shop's: skipped."""
    if not _CARD.search(text):
        return []
    return _hits("card_fee", text, _FEE, skip=_BANK)


_CLOSE_BY = r"(?:帮|给|替)" + _YOU + r"?(?:(?!自己|可以|怎么|如何|点击|申请|需要|查).){0,6}?"
_CLOSE = [
    C(_CLOSE_BY + r"(?:关闭|关掉|关了)了?"),
    C(r"(?:我们|我这边|我|这边|客服|商家|店铺|小二)(?:这边)?(?:已经|已|马上|现在|直接|会|来|就)*"
      r"(?:关闭|关掉|取消|撤销)了?" + _YOU + r"?的?(?:这笔|这个|该)?(?:交易|订单)"),
]
_CANCEL = [C(_CLOSE_BY + r"(?:取消|撤销|撤掉)了?")]
_ORDER_WORD = C(r"交易|订单|单子|这单|该单")


def rule_transaction_closed(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 关闭交易规则 (1 分): the seller must not close a buyer's transaction;
    telling buyers to close it themselves ("亲自己关闭一下就好") passes."""
    out = _hits("transaction_closed", text, _CLOSE)
    for clause in _clauses(text):
        if _ORDER_WORD.search(clause):
            out += _hits("transaction_closed", clause, _CANCEL)
    return out


_ORDER_ID = C(r"(?<![\dA-Za-z])\d{10,20}(?!\d)")
_TRACKING = C(r"快递|运单|物流单|圆通|中通|申通|韵达|顺丰|邮政|EMS|京东|极兔", re.I)
_PHONE = C(r"(?<!\d)1[3-9]\d(?:-?\d{4}){2}(?!\d)")
_OTHER = [C(r"(?:(?:另一个|另外一个|另个|其他|其它|别的|另外的)(?:账号|帐号|账户|用户|买家|顾客|客户|人)|别人|他人)"
            r"的?.{0,6}?(?:订单|地址|电话|手机|收货人|姓名|单号|信息)(?:号)?.{0,4}?(?:是|为|:|显示|写着|填的|叫)")]


def rule_other_account_order(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 泄露他人信息规则 (6 分): never disclose another buyer's order or data.
    With a context, any order number (10-20 digits) not in ``own_order_ids`` is
    flagged (except in clauses about a tracking number); without a context order
    numbers cannot be judged and pass.  Unmasked mobile numbers and phrases like
    "另一个账号的订单地址是" are always flagged."""
    out = _hits("other_account_order", text, _OTHER)
    phones = [m.group(0) for m in _PHONE.finditer(text)]
    owned = ctx.own_order_ids if ctx is not None else frozenset()
    ids = [m.group(0) for c in _clauses(text) if ctx is not None and not _TRACKING.search(c)
           for m in _ORDER_ID.finditer(c) if m.group(0) not in phones]
    return out + [Breach("other_account_order", RULES["other_account_order"], n)
                  for n in phones + ids if n not in owned]


_POST = r"(?:运费|邮费|快递费)(?!险)"
_DEMAND = [
    C(r"(?:补|加|付|出|收|承担|交|另付|支付)(?:一下|下)?(?:(?!不|免|包|我|款|退).){0,3}?" + _POST),
    C(_POST + r"(?:需要|要|得|由|请)?" + _YOU + r"(?:自己)?(?:出|承担|付|支付|补|来出)"),
    C(_POST + r"(?:需要|要|得)?(?:另付|另算|自理|到付|另外付|另外算)"),
    C(r"拍(?:一下|下)?.{0,4}?(?:邮费|运费|补差)(?:链接)?"),
]
_PROMISE = C(r"包邮|免邮|免运费|运费全免|运费由?(?:我们|店铺|卖家|商家)来?(?:出|承担|包)|(?:我们|店铺|卖家|商家)来?(?:承担|出)运费|不收取?运费")
_RETURN = C(r"退货|退回|寄回|退换|换货")
_QUALIFIED = C(r"大部分|部分|多数|指定|除|江浙沪|满\d|省内|同城|内地|大陆|偏远|以外|之外|其他|其余|其它|港澳台|不含|不包括")


def _unqualified_promise(text: str) -> bool:
    for clause in _clauses(text):
        for m in _PROMISE.finditer(clause):
            before = clause[:m.start()]
            after = text[text.find(clause) + m.end():][:10]
            if (not _NEG.search(before) and not _QUALIFIED.search(before)
                    and not re.match(r".{0,8}?(?:除外|以外|之外|不含|不包括)", after)):
                return True
    return False


def rule_postage_after_free(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 包邮承诺规则 (4 分): once the shop promised free shipping to this buyer
    it may not ask for postage.  A region surcharge per the freight template
    ("大部分地区包邮, 新疆西藏需要补15元运费") is fine; an unqualified promise and a
    postage demand in the same text, or a demand after ``free_shipping_promised``,
    is a breach.  Return-postage clauses are not about the delivery promise."""
    if not ((ctx is not None and ctx.free_shipping_promised) or _unqualified_promise(text)):
        return []
    return _hits("postage_after_free", text, _DEMAND, skip=_RETURN)


_ABSOLUTE = [C(r"保证(?!金)|肯定|绝对|(?<![\d.])100%(?!纯)|百分百(?!纯)|百分之百(?!纯)|必定|必然|必到|必达|"
               r"一定(?:能|会|可以)?(?:送|寄)?(?:到|送达|到达|到货|收到)|包" + _YOU + r"?满意|打包票|保准|准保")]


def rule_absolute_promise(text: str, ctx: ReplyContext | None) -> list[Breach]:
    """Tmall 描述/承诺规则 and the advertising law: no absolute promises about
    delivery dates or effects.  Negated phrasing is flagged too (see module doc)."""
    return _hits("absolute_promise", text, _ABSOLUTE, negatable=False)


_CHECKS = (rule_invoice_refused, rule_invoice_charged, rule_invoice_falsified, rule_card_refused,
           rule_card_fee, rule_transaction_closed, rule_other_account_order,
           rule_postage_after_free, rule_absolute_promise)


def check_reply(text: str, context: ReplyContext | None = None) -> list[Breach]:
    """All breaches of the Tmall rules in ``text``, in RULES order, without duplicates."""
    norm = _normalise(text or "")
    seen, out = set(), []
    for check in _CHECKS:
        for b in check(norm, context):
            if (b.rule, b.excerpt) not in seen:
                seen.add((b.rule, b.excerpt))
                out.append(b)
    return out
