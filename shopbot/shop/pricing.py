"""What a buyer pays: a product's price for a quantity under the shop's live promotions,
and what price protection (价保) gives back when the price dropped after buying.

The promotions and coupons of shop/settings.yml are shown to buyers as their `text`;
the fields beside it say how to compute them. An entry that is only text (a plain
string) is shown and never computed, so a merchant can announce what the bot cannot
price. Amounts are in yuan, rounded to fen as Tmall's checkout rounds them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple


@dataclass(frozen=True)
class Offer:
    """One live promotion or coupon: 满`over`减`off` on the order, or every `nth` item of
    `category` at `nth_rate` of its price (第二件半价: nth 2, nth_rate 0.5). In settings.yml
    `off` is spelled `save`: YAML reads a key `off` as false."""

    text: str
    over: float = 0.0
    off: float = 0.0
    category: str = ""
    nth: int = 0
    nth_rate: float = 1.0

    @classmethod
    def from_setting(cls, entry: Any) -> "Offer":
        if not isinstance(entry, dict):
            return cls(str(entry))
        return cls(str(entry.get("text", "")), float(entry.get("over", 0) or 0), float(entry.get("save", 0) or 0),
                   str(entry.get("category", "") or ""), int(entry.get("nth", 0) or 0),
                   float(entry.get("nth_rate", 1) or 1))

    def applies_to(self, category: str) -> bool:
        return not self.category or self.category == category


@dataclass
class Quote:
    """The price of `qty` of one product: list price, each saving by its offer, what is paid."""

    unit_price: float
    qty: int
    savings: List[Tuple[str, float]] = field(default_factory=list)
    after_item_offers: float = 0.0  # what the order's thresholds (满减, coupons) are judged on

    @property
    def list_total(self) -> float:
        return round(self.unit_price * self.qty, 2)

    @property
    def pay(self) -> float:
        return round(self.list_total - sum(saving for _, saving in self.savings), 2)


def offers_in(settings: Dict[str, Any]) -> List[Offer]:
    """Every promotion and coupon of the settings, in their order."""
    return [Offer.from_setting(entry) for key in ("promotions", "coupons") for entry in settings.get(key) or []]


def quote(unit_price: float, category: str, qty: int, offers: Iterable[Offer]) -> Quote:
    """The best price for `qty` items bought together: item offers first, then the order's 满减
    on what is left (Tmall takes item discounts before order thresholds)."""
    result = Quote(unit_price, max(int(qty), 1))
    offers = [offer for offer in offers if offer.applies_to(category)]
    for offer in offers:
        if offer.nth >= 2 and offer.nth_rate < 1 and result.qty >= offer.nth:
            saving = unit_price * (1 - offer.nth_rate) * (result.qty // offer.nth)
            result.savings.append((offer.text, round(saving, 2)))
    result.after_item_offers = result.pay  # each threshold is judged on this, not after the others
    for offer in offers:
        if offer.off > 0 and result.after_item_offers >= offer.over:
            result.savings.append((offer.text, offer.off))
    return result


@dataclass
class BasketQuote:
    """The price of several products bought together: each line's item offers, then the order's
    thresholds on the lines they cover (a category's 满减 on that category's lines)."""

    lines: List[Tuple[str, Quote]]
    savings: List[Tuple[str, float]] = field(default_factory=list)

    @property
    def list_total(self) -> float:
        return round(sum(quote.list_total for _, quote in self.lines), 2)

    @property
    def pay(self) -> float:
        item_savings = sum(saving for _, quote in self.lines for _, saving in quote.savings)
        return round(self.list_total - item_savings - sum(saving for _, saving in self.savings), 2)


def quote_basket(lines: Iterable[Tuple[str, float, str, int]], offers: Iterable[Offer]) -> BasketQuote:
    """(name, unit price, category, qty) lines priced together, as Tmall prices one order."""
    offers = list(offers)
    item_offers = [offer for offer in offers if offer.nth >= 2]
    basket = BasketQuote([(name, quote(price, category, qty, item_offers)) for name, price, category, qty in lines])
    categories = {name: category for name, _, category, _ in lines}
    for offer in offers:
        if offer.off <= 0:
            continue
        covered = sum(quote.after_item_offers for name, quote in basket.lines if offer.applies_to(categories[name]))
        if covered >= offer.over:
            basket.savings.append((offer.text, offer.off))
    return basket


def nearest_threshold(subtotal: float, category: str, offers: Iterable[Offer]) -> Optional[Tuple[Offer, float]]:
    """The next 满减 not reached yet and how much more reaches it, to tell the buyer."""
    missing = [(offer, round(offer.over - subtotal, 2)) for offer in offers
               if offer.off > 0 and offer.applies_to(category) and subtotal < offer.over]
    return min(missing, key=lambda pair: pair[1]) if missing else None


@dataclass(frozen=True)
class PriceDrop:
    """One item of the buyer's order against today's price, under the protection policy."""

    order_id: str
    paid_at: datetime
    product: str
    qty: int
    paid_price: float
    price_now: float
    within_days: bool

    @property
    def difference(self) -> float:
        return round(max(self.paid_price - self.price_now, 0.0) * self.qty, 2)


def price_drops(orders: Iterable[Dict[str, Any]], price_now: Dict[str, float], now: datetime,
                days: int, product: Optional[str] = None) -> List[PriceDrop]:
    """The paid, not refunded items of these orders (of `product` if named), newest first,
    each against today's catalog price and whether it was paid within `days`."""
    drops = []
    for order in orders:
        if not order.get("paid_at") or order.get("status") in ("unpaid", "closed", "refunded"):
            continue
        paid_at = datetime.fromisoformat(order["paid_at"])
        for item in order.get("items") or []:
            if item.get("sku") not in price_now or (product and item.get("name") != product):
                continue
            drops.append(PriceDrop(order["order_id"], paid_at, item["name"], int(item.get("qty") or 1),
                                   float(item["price"]), price_now[item["sku"]],
                                   now - paid_at <= timedelta(days=days)))
    return sorted(drops, key=lambda drop: drop.paid_at, reverse=True)
