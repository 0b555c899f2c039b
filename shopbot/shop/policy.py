"""The shop's policy: settings.yml, regions and couriers, as answers to questions.

Actions ask this module "what does postage to 新疆 by 顺丰 cost?" or "when does an
order paid now leave?"; they never read the YAML themselves. The Tmall rules are
built in where the settings could break them: invoices are always free, credit
cards never cost extra, free shipping is decided before payment only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from shopbot.shop import files
from shopbot.shop.pricing import Offer, offers_in

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Postage:
    region: str
    courier: str
    free: bool
    fee: float            # what the buyer pays in total for postage
    shipped: bool = True  # False: the shop does not ship there


@dataclass(frozen=True)
class ShipTime:
    today: bool           # an order paid now leaves today
    leaves_on: str        # 今天 / 明天 / 周一 ...
    cutoff: str
    leaves: Optional[date] = None  # the day it leaves the warehouse


def _parse_clock(value: str) -> time:
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def _ship_days(spec: str) -> List[int]:
    """'周一至周六' / '每天' -> weekday numbers (0 = Monday)."""
    if not spec or spec == "每天":
        return list(range(7))
    if "至" in spec:
        first, last = (WEEKDAYS.index(part[-1]) for part in spec.split("至"))
        return list(range(first, last + 1))
    return [WEEKDAYS.index(ch) for ch in spec if ch in WEEKDAYS]


class ShopPolicy:
    def __init__(self, shop_dir: Path):
        path = Path(shop_dir) / "settings.yml"
        if not path.exists():
            raise files.ShopFileError(f"shop file not found: {path}")
        self.settings: Dict = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        self._regions = {r["name"]: r for r in files.read_regions(shop_dir)}
        self._couriers = [c["name"] for c in files.read_couriers(shop_dir)]

    # -- shop ---------------------------------------------------------------
    @property
    def shop_name(self) -> str:
        return self.settings["shop"]["name"]

    @property
    def agent_nickname(self) -> str:
        return self.settings["shop"].get("agent_nickname", "客服")

    def agent_hours_text(self) -> str:
        hours = self.settings.get("agent_hours", {})
        return f"{hours.get('days', '每天')} {hours.get('start', '09:00')}-{hours.get('end', '18:00')}"

    def agents_working(self, now: datetime) -> bool:
        hours = self.settings.get("agent_hours", {})
        start = _parse_clock(hours.get("start", "09:00"))
        end = _parse_clock(hours.get("end", "18:00"))
        return start <= now.time() < end

    # -- couriers and postage -----------------------------------------------
    @property
    def default_courier(self) -> str:
        return self.settings["couriers"]["default"]

    @property
    def free_couriers(self) -> List[str]:
        return list(self.settings["couriers"].get("free", [self.default_courier]))

    def courier_upgrade_fee(self, courier: str) -> Optional[float]:
        """Extra fee for a courier outside free shipping; None if not offered."""
        if courier in self.free_couriers:
            return 0.0
        for upgrade in self.settings["couriers"].get("upgrades", []):
            if upgrade["name"] == courier:
                return float(upgrade["fee"])
        return None

    def region_group(self, region: str) -> Optional[str]:
        entry = self._regions.get(region)
        return entry.get("group") if entry else None

    def postage(self, region: str, courier: Optional[str] = None) -> Postage:
        courier = courier or self.default_courier
        shipping = self.settings["shipping"]
        group = self.region_group(region)
        if group in shipping.get("not_shipped", []):
            return Postage(region, courier, free=False, fee=0.0, shipped=False)
        region_fee = 0.0 if group in shipping.get("free_groups", []) else \
            float(shipping.get("surcharge", {}).get(group, 0))
        courier_fee = self.courier_upgrade_fee(courier) or 0.0
        fee = region_fee + courier_fee
        return Postage(region, courier, free=fee == 0, fee=fee)

    def delivery_days(self, region: Optional[str]) -> str:
        days = self.settings["shipping"].get("delivery_days", {})
        group = self.region_group(region) if region else None
        if days.get(group):
            return days[group]
        spans = [[int(part) for part in str(value).split("-")] for value in days.values()]
        return f"{min(span[0] for span in spans)}-{max(span[-1] for span in spans)}"

    def arrival_days(self, region: Optional[str], leaves: date) -> Tuple[date, date]:
        """The first and last day a parcel leaving on `leaves` for `region` usually arrives."""
        span = [int(part) for part in str(self.delivery_days(region)).split("-")]
        return leaves + timedelta(days=span[0]), leaves + timedelta(days=span[-1])

    def arrival_span(self, region: Optional[str], leaves: date) -> str:
        """The days a parcel leaving on `leaves` for `region` arrives, as "12月09日-12月11日"."""
        first, last = self.arrival_days(region, leaves)
        return first.strftime("%m月%d日") if first == last else \
            f"{first.strftime('%m月%d日')}-{last.strftime('%m月%d日')}"

    # -- dispatch -------------------------------------------------------------
    @property
    def cutoff(self) -> str:
        return str(self.settings["dispatch"]["cutoff"])

    @property
    def promise_hours(self) -> int:
        return int(self.settings["dispatch"].get("promise_hours", 48))

    def ship_time(self, now: datetime, paid_at: Optional[datetime] = None) -> ShipTime:
        """When an order paid at `paid_at` (by default: paid now) leaves the warehouse, said as of `now`."""
        paid_at = paid_at or now
        ship_days = _ship_days(self.settings["dispatch"].get("days", "每天"))
        leaves = paid_at.date()
        if not (paid_at.weekday() in ship_days and paid_at.time() < _parse_clock(self.cutoff)):
            leaves = next((paid_at.date() + timedelta(days=offset) for offset in range(1, 8)
                           if (paid_at.date() + timedelta(days=offset)).weekday() in ship_days),
                          paid_at.date() + timedelta(days=1))
        offset = (leaves - now.date()).days
        label = "今天" if offset <= 0 else "明天" if offset == 1 else f"周{WEEKDAYS[leaves.weekday()]}"
        return ShipTime(offset <= 0, label, self.cutoff, leaves)

    # -- returns, invoices, payment, bargaining -------------------------------
    @property
    def returns(self) -> Dict:
        return self.settings["returns"]

    @property
    def invoice(self) -> Dict:
        return self.settings["invoice"]

    @property
    def payment(self) -> Dict:
        return self.settings["payment"]

    @property
    def promotions(self) -> List[str]:
        """The live promotions as buyers read them."""
        return [offer.text for offer in map(Offer.from_setting, self.settings.get("promotions") or [])]

    @property
    def coupons(self) -> List[str]:
        return [offer.text for offer in map(Offer.from_setting, self.settings.get("coupons") or [])]

    @property
    def offers(self) -> List[Offer]:
        """Promotions and coupons with what it takes to compute them (shopbot.shop.pricing)."""
        return offers_in(self.settings)

    @property
    def price_protection(self) -> Dict:
        """价保: `days` from payment, `excluded` prices (text), `refund`: how the difference comes back."""
        return self.settings.get("price_protection") or {}

    @property
    def member_benefit(self) -> str:
        return self.settings.get("member_benefit", "")

    @property
    def bargain(self) -> Dict:
        return self.settings.get("bargain", {})

    @property
    def stalled_after_days(self) -> int:
        return int(self.settings.get("logistics", {}).get("stalled_after_days", 3))
